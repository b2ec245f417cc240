"""The vocabulary written with an index: its words, their vectors and their translations (podquote.expansion).

The vocabulary is every word of the index's passages (jieba words for Han text, the rest split as FTS5 would),
stop words left out, the most frequent VOCABULARY_LIMIT of each script. Its vectors (float16) and each word's
nearest words of the other script are written with the index.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .lexical import EN_STOP, ZH_STOP, words

VOCABULARY_FILE = "vocabulary.npy"
# Raised when the words chosen or their translations change (or another table derived when an index is written,
# as the speakers table of podquote.people): an index whose manifest records another version has them written
# again on the next `podquote index` (its passages are reused as they are).
VOCABULARY_VERSION = 6
VOCABULARY_SCHEMA = """
CREATE TABLE IF NOT EXISTS vocabulary (
    row INTEGER PRIMARY KEY,  -- row of vocabulary.npy
    word TEXT NOT NULL UNIQUE,
    han INTEGER NOT NULL,  -- 1: a Han word, 0: any other script
    passages INTEGER NOT NULL,
    reach REAL NOT NULL,  -- its TARGETS-th best cosine with a word of the other script
    targets TEXT NOT NULL  -- its translations: "word similarity" pairs, tab-separated, best first
);
"""
# Per kind (Han words, other words, pairs of other words). The rarest are left out: typos and one-off names make
# noisy translations, and the cost of matching the two scripts' words grows with the product of their sizes.
VOCABULARY_LIMIT = 20_000
# A Han word once (Chinese is the small side here), another word twice, a pair of words five times.
MIN_PASSAGES = {"han": 1, "word": 2, "pair": 5}
TARGETS = 3  # nearest words of the other script kept per word
# A word of the other script is a translation when each is among the other's TARGETS nearest (mutual) and their
# cosine is at least MIN_SIMILARITY. Nearest alone maps names to noise ("etcd" -> 而言 at 0.78, "rook" -> 火);
# true translations are mutual ("storage" <-> 存储 at 0.92, "hiring" <-> 招聘). docs/retrieval.md has samples.
MIN_SIMILARITY = 0.5
EMBED_BATCH = 256
# A script with more words than this gets an inverted file for matching query words against them.
SIDE_EXACT_LIMIT = 5_000
SIDE_FILES = {True: "vocabulary_han.faiss", False: "vocabulary_words.faiss"}

Embed = Callable[[list[str]], np.ndarray]


def is_han(word: str) -> bool:
    return any("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in word)


def _kind(word: str) -> str:
    return "han" if is_han(word) else "pair" if " " in word else "word"


def worth_translating(word: str) -> bool:
    """A word worth translating or translating to: a Han word of two characters or more (one character alone is
    too ambiguous: 大, 化, 一), another word of three letters or more ("ux", "ly" matched noise)."""
    if word in EN_STOP or word in ZH_STOP or word.isdigit():
        return False
    return len(word) >= 2 if is_han(word) else len(word) >= 3 and word[0].isalpha()


def count_words(texts: Iterable[str]) -> Counter:
    """In how many of `texts` each word is (lowercased; Han words as jieba cuts them), stop words left out, and
    each pair of neighbouring words of other scripts ("cold start", "service mesh"): a Han compound often
    translates to two English words, neither of which alone says it."""
    counts: Counter = Counter()
    for text in texts:
        found = words(text)
        kept = {w for w in found if worth_translating(w)}
        kept.update(f"{a} {b}" for a, b in zip(found, found[1:]) if a in kept and b in kept
                    and not is_han(a) and not is_han(b))
        counts.update(kept)
    return counts


@dataclass
class Vocabulary:
    words: list[str]
    han: np.ndarray  # bool per word
    passages: np.ndarray  # int per word
    vectors: np.ndarray  # (n, d) float16, L2-normalised

    @classmethod
    def build(cls, counts: Counter, embed: Embed, progress: Callable[[int, int], None] | None = None,
              known: dict[str, np.ndarray] | None = None) -> "Vocabulary":
        """The most frequent words of each kind, embedded; `known` (word -> vector, from the previous generation
        with the same embedder) is reused, so an update embeds only words new to the index."""
        chosen: list[str] = []
        for kind in ("han", "word", "pair"):
            side = [(n, w) for w, n in counts.items() if _kind(w) == kind and n >= MIN_PASSAGES[kind]]
            side.sort(key=lambda item: (-item[0], item[1]))
            chosen += [w for _, w in side[:VOCABULARY_LIMIT]]
        known = known or {}
        new = [w for w in chosen if w not in known]
        found = dict(known)
        for lo in range(0, len(new), EMBED_BATCH):
            batch = new[lo:lo + EMBED_BATCH]
            found.update(zip(batch, np.asarray(embed(batch), dtype=np.float16)))
            if progress:
                progress(min(lo + EMBED_BATCH, len(new)), len(new))
        vectors = np.array([found[w] for w in chosen], dtype=np.float16) if chosen else \
            np.zeros((0, 0), dtype=np.float16)
        return cls(chosen, np.array([is_han(w) for w in chosen], dtype=bool),
                   np.array([counts[w] for w in chosen], dtype=np.int64), vectors)

    @staticmethod
    def read_vectors(db: sqlite3.Connection, directory: Path) -> dict[str, np.ndarray]:
        """word -> vector of a written vocabulary ({} if there is none)."""
        path = directory / VOCABULARY_FILE
        try:
            rows = db.execute("SELECT row, word FROM vocabulary").fetchall()
            vectors = np.load(path, allow_pickle=False)
        except (sqlite3.Error, OSError, ValueError):
            return {}
        return {word: vectors[row] for row, word in rows if row < len(vectors)}

    def targets(self) -> tuple[list[list[tuple[str, float]]], np.ndarray]:
        """(each word's translations, best first; each word's reach: its TARGETS-th best cosine with a word of
        the other script). A translation is mutual: each word is among the other's TARGETS nearest."""
        out: list[list[tuple[str, float]]] = [[] for _ in self.words]
        reach = np.ones(len(self.words), dtype=np.float32)
        han_rows, other_rows = np.flatnonzero(self.han), np.flatnonzero(~self.han)
        if not len(han_rows) or not len(other_rows):
            return out, reach
        sims = np.asarray(self.vectors[han_rows], dtype=np.float32) @ np.asarray(self.vectors[other_rows],
                                                                                 dtype=np.float32).T
        k_han, k_other = min(TARGETS, sims.shape[1]), min(TARGETS, sims.shape[0])
        reach[han_rows] = -np.partition(-sims, k_han - 1, axis=1)[:, k_han - 1]
        reach[other_rows] = -np.partition(-sims, k_other - 1, axis=0)[k_other - 1, :]
        for sims_of, rows, others in ((sims, han_rows, other_rows), (sims.T, other_rows, han_rows)):
            top = np.argsort(-sims_of, axis=1)[:, :TARGETS]
            for row, picks, line in zip(rows.tolist(), top, sims_of):
                out[row] = [(self.words[others[j]], float(line[j])) for j in picks
                            if line[j] >= max(MIN_SIMILARITY, reach[others[j]])]
        return out, reach

    def write(self, db: sqlite3.Connection, directory: Path) -> list[str]:
        db.executescript("DROP TABLE IF EXISTS vocabulary;" + VOCABULARY_SCHEMA)
        targets, reach = self.targets()
        rows = ((i, w, int(h), int(n), float(r), "\t".join(f"{t} {s:.3f}" for t, s in found))
                for i, (w, h, n, r, found) in enumerate(zip(self.words, self.han, self.passages, reach, targets)))
        db.executemany("INSERT INTO vocabulary VALUES (?, ?, ?, ?, ?, ?)", rows)
        np.save(directory / VOCABULARY_FILE, self.vectors, allow_pickle=False)
        return [VOCABULARY_FILE, *(name for han in (True, False) for name in self._write_side(han, directory))]

    def _write_side(self, han: bool, directory: Path) -> list[str]:
        """An inverted file over one script's words, when there are many: a query word the vocabulary lacks is
        matched against them (`Expander._nearest`), and scanning 40,000 float32 rows cost 5-8 ms a word."""
        rows = np.flatnonzero(self.han == han)
        if len(rows) <= SIDE_EXACT_LIMIT:
            return []
        import faiss

        nlist = max(16, int(2 * np.sqrt(len(rows))))
        index = faiss.index_factory(self.vectors.shape[1], f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
        vectors = np.ascontiguousarray(self.vectors[rows], dtype=np.float32)
        index.train(vectors)
        index.add_with_ids(vectors, rows.astype(np.int64))
        name = SIDE_FILES[han]
        faiss.write_index(index, str(directory / name))
        return [name]
