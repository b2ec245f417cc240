"""Cross-language word expansion: a query's words matched to words of the other script, from the index's own words.

An English question over Chinese show notes, or a Chinese question over English transcripts, shares almost no
word with its answer, so BM25 finds nothing and the vector search alone must carry it. Each content word of the
query is matched to its nearest words of the other script (Han against everything else) by the index's own
embedder, and the matches run as a second BM25 query, each weighed by its similarity times EXPANSION_WEIGHT, so
that a translated word never counts as much as the word itself.

The vocabulary is every word of the index's passages (jieba words for Han text, the rest split as FTS5 would),
stop words left out, the most frequent VOCABULARY_LIMIT of each script. Its vectors (float16) and each word's
nearest words are written with the index; a query word the index does not hold is embedded when first asked
for (kept for later queries).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from .lexical import EN_STOP, ZH_STOP, words

VOCABULARY_FILE = "vocabulary.npy"
# Raised when the words chosen or their translations change (or another table derived when an index is written,
# as the speakers table of search.people): an index whose manifest records another version has them written
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
EXPANSION_WEIGHT = 0.5  # a translated word's BM25 share counts this much times its similarity
EMBED_BATCH = 256
# A script with more words than this gets an inverted file for matching query words against them.
SIDE_EXACT_LIMIT = 5_000
SIDE_FILES = {True: "vocabulary_han.faiss", False: "vocabulary_words.faiss"}
SIDE_PROBES = 16
_CACHE = 4096  # out-of-vocabulary query words kept with their translations

Embed = Callable[[list[str]], np.ndarray]


def _search_cut(text: str) -> list[str]:
    import rjieba

    return rjieba.cut_for_search(text)


def _is_han(word: str) -> bool:
    return any("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in word)


def _kind(word: str) -> str:
    return "han" if _is_han(word) else "pair" if " " in word else "word"


def _keep(word: str) -> bool:
    """A word worth translating or translating to: a Han word of two characters or more (one character alone is
    too ambiguous: 大, 化, 一), another word of three letters or more ("ux", "ly" matched noise)."""
    if word in EN_STOP or word in ZH_STOP or word.isdigit():
        return False
    return len(word) >= 2 if _is_han(word) else len(word) >= 3 and word[0].isalpha()


def count_words(texts: Iterable[str]) -> Counter:
    """In how many of `texts` each word is (lowercased; Han words as jieba cuts them), stop words left out, and
    each pair of neighbouring words of other scripts ("cold start", "service mesh"): a Han compound often
    translates to two English words, neither of which alone says it."""
    counts: Counter = Counter()
    for text in texts:
        found = words(text)
        kept = {w for w in found if _keep(w)}
        kept.update(f"{a} {b}" for a, b in zip(found, found[1:]) if a in kept and b in kept
                    and not _is_han(a) and not _is_han(b))
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
        return cls(chosen, np.array([_is_han(w) for w in chosen], dtype=bool),
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


def search_words(translations: dict[str, tuple[float, str]]) -> dict[str, float]:
    """The words BM25 searches for the translations, with their weights: a pair's two words each at the pair's
    weight. BM25 then favours the passages holding both without the phrase query FTS5 would run for the pair
    (5-15 ms the first time a query meets it: the lexicon holds words, not pairs)."""
    out: dict[str, float] = {}
    for target, (weight, _) in translations.items():
        for word in target.split(" "):
            out[word] = max(out.get(word, 0.0), weight)
    return out


def held_targets(translations: dict[str, tuple[float, str]], words: list[str], held: np.ndarray) -> np.ndarray:
    """(passages, translations): a passage holds a translation when it holds each of its words (`held`:
    (passages, words), as `search_words` listed them)."""
    column = {word: j for j, word in enumerate(words)}
    out = np.zeros((len(held), len(translations)), dtype=bool)
    for k, target in enumerate(translations):
        out[:, k] = held[:, [column[w] for w in target.split(" ")]].all(axis=1)
    return out


def _parse_targets(text: str) -> list[tuple[str, float]]:
    out = []
    for item in filter(None, text.split("\t")):
        word, _, similarity = item.rpartition(" ")
        out.append((word, float(similarity)))
    return out


class Expander:
    """A query's words -> weighed words of the other script, read from an index's vocabulary."""

    def __init__(self, db: sqlite3.Connection, vectors: np.ndarray, directory: Path | None = None):
        self.db = db
        self.vectors = vectors  # memory-mapped float16
        self.directory = directory
        self._lock = threading.Lock()
        self._known: OrderedDict[str, list[tuple[str, float]] | None] = OrderedDict()
        self._sides: dict[bool, tuple] = {}  # han -> (rows, float32 vectors, reach), on demand

    @classmethod
    def open(cls, db: sqlite3.Connection, directory: Path) -> "Expander | None":
        """None for an index written without a vocabulary."""
        path = directory / VOCABULARY_FILE
        if not path.exists():
            return None
        return cls(db, np.load(path, mmap_mode="r", allow_pickle=False), directory)

    def warm(self) -> None:
        self._targets
        for han in (True, False):
            self._side(han)

    def unknown(self, terms: list[str]) -> list[str]:
        """The terms whose translations must be found by embedding them (not in the vocabulary, not seen yet)."""
        terms = [t for t in terms if _keep(t)]
        self._look_up([t for t in terms if t not in self._known])
        return [t for t in terms if self._known.get(t, ...) is None]

    def pairs(self, terms: list[str] | tuple[str, ...]) -> list[str]:
        """Neighbouring terms the vocabulary holds as a pair ("bare metal"): translated as one (裸机)."""
        pairs = [f"{a} {b}" for a, b in zip(terms, terms[1:]) if not _is_han(a) and not _is_han(b)]
        self._look_up([p for p in pairs if p not in self._known])
        return [p for p in pairs if self._known.get(p)]

    def compounds(self, terms: list[str] | tuple[str, ...]) -> dict[str, list[str]]:
        """Han terms of three characters or more -> the words jieba finds inside them (持续性能剖析: 持续, 性能,
        剖析): a technical compound is often absent from both the vocabulary and the embedder, its parts not."""
        out = {}
        for term in terms:
            if _is_han(term) and len(term) >= 3:
                parts = [p for p in _search_cut(term) if len(p) >= 2 and p != term and p not in ZH_STOP]
                if len(parts) >= 2:
                    out[term] = list(dict.fromkeys(parts))
        return out

    def translations(self, terms: list[str] | tuple[str, ...], embedded: dict[str, np.ndarray] | None = None,
                     compounds: dict[str, list[str]] | None = None) -> dict[str, tuple[float, str]]:
        """word of the other script -> (weight: EXPANSION_WEIGHT x similarity, the query term it translates),
        the best over the terms. `embedded`: vectors of the terms (and compounds' parts) `unknown` named.

        A compound (see `compounds`) is also translated by its parts, and by pairs of the vocabulary that put
        one part's translation after the next one's ("continuous profiling"), at the lower similarity."""
        for term, targets in self._nearest(embedded or {}).items():
            self._remember(term, targets)
        parts = [p for found in (compounds or {}).values() for p in found]
        self._look_up([t for t in [*terms, *parts] if t not in self._known])
        out: dict[str, tuple[float, str]] = {}

        def add(word: str, similarity: float, term: str) -> None:
            if word not in terms and EXPANSION_WEIGHT * similarity > out.get(word, (0.0, ""))[0]:
                out[word] = (EXPANSION_WEIGHT * similarity, term)

        for term in filter(_keep, terms):
            for word, similarity in self._known.get(term) or []:
                add(word, similarity, term)
        for compound, pieces in (compounds or {}).items():
            found = [self._known.get(p) or [] for p in pieces]
            for word, similarity in (pair for each in found for pair in each):
                add(word, similarity, compound)
            for left, right in zip(found, found[1:]):
                for (a, sa), (b, sb) in ((x, y) for x in left for y in right):
                    if f"{a} {b}" in self._targets:
                        add(f"{a} {b}", min(sa, sb), compound)
        return out

    def _look_up(self, terms: list[str]) -> None:
        if "_targets" in self.__dict__ or not terms:  # read whole (a server, warmed), else just these words
            found = self._targets
        else:
            marks = ", ".join("?" * len(terms))
            found = dict(self.db.execute(f"SELECT word, targets FROM vocabulary WHERE word IN ({marks})", terms))
        for term in terms:
            self._remember(term, _parse_targets(found[term]) if term in found else None)

    @cached_property
    def _targets(self) -> dict[str, str]:
        """word -> its translations as stored, read whole when a server warms up: its queries look up a dozen
        words each, and one SQLite lookup cost more than reading 60,000 words once (~50 ms)."""
        return dict(self.db.execute("SELECT word, targets FROM vocabulary").fetchall())

    def _remember(self, term: str, targets: list[tuple[str, float]] | None) -> None:
        with self._lock:
            self._known[term] = targets
            self._known.move_to_end(term)
            while len(self._known) > _CACHE:
                self._known.popitem(last=False)

    def _nearest(self, embedded: dict[str, np.ndarray]) -> dict[str, list[tuple[str, float]]]:
        """Translations of words the vocabulary does not hold: mutual nearest words, as for those it holds. The
        words of one script are matched in one search."""
        out: dict[str, list[tuple[str, float]]] = {}
        for han in (False, True):  # the script of the candidates: the other one than the words'
            terms = [t for t in embedded if _is_han(t) != han]
            if not terms:
                continue
            rows, sims, reach = self._search_side(han, np.array([embedded[t] for t in terms], dtype=np.float32))
            for term, found_rows, found_sims in zip(terms, rows, sims):
                out[term] = [(int(r), float(x)) for r, x in zip(found_rows, found_sims)
                             if r >= 0 and x >= max(MIN_SIMILARITY, reach.get(int(r), 1.0))]
        wanted = sorted({r for found in out.values() for r, _ in found})
        names = dict(self.db.execute(f"SELECT row, word FROM vocabulary WHERE row IN ({', '.join('?' * len(wanted))})",
                                     wanted)) if wanted else {}
        return {term: [(names[r], x) for r, x in found] for term, found in out.items()}

    def _search_side(self, han: bool, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[int, float]]:
        """(rows, cosines) of each vector's TARGETS nearest words of one script, and those words' reach."""
        rows, matrix, reach, index = self._side(han)
        if index is not None:
            sims, found = index.search(vectors, TARGETS)
        elif len(rows):
            scores = vectors @ matrix.T
            top = np.argsort(-scores, axis=1)[:, :TARGETS]
            sims, found = np.take_along_axis(scores, top, axis=1), rows[top]
        else:
            return np.full((len(vectors), 0), -1), np.zeros((len(vectors), 0)), {}
        return found, sims, reach

    def _side(self, han: bool) -> tuple:
        """(rows, float32 vectors or None, row -> reach, inverted file or None) of one script's words, read once."""
        if han not in self._sides:
            found = self.db.execute("SELECT row, reach FROM vocabulary WHERE han = ? ORDER BY row", (int(han),))
            pairs = np.array(found.fetchall(), dtype=np.float64).reshape(-1, 2)
            rows = pairs[:, 0].astype(np.int64)
            reach = dict(zip(rows.tolist(), pairs[:, 1].tolist()))
            path = self.directory / SIDE_FILES[han] if self.directory else None
            if path is not None and path.exists():
                import faiss

                index = faiss.read_index(str(path))
                faiss.extract_index_ivf(index).nprobe = SIDE_PROBES
                self._sides[han] = (rows, None, reach, index)
            else:
                self._sides[han] = (rows, np.asarray(self.vectors[rows], dtype=np.float32), reach, None)
        return self._sides[han]
