"""Cross-language word expansion: a query's words matched to words of the other script, from the index's own words.

An English question over Chinese show notes, or a Chinese question over English transcripts, shares almost no
word with its answer, so BM25 finds nothing and the vector search alone must carry it. Each content word of the
query is matched to its nearest words of the other script (Han against everything else) by the index's own
embedder, and the matches run as a second BM25 query, each weighed by its similarity times EXPANSION_WEIGHT, so
that a translated word never counts as much as the word itself.

The words and their translations are the index's vocabulary (podquote.vocabulary), written with the index; a
query word the index does not hold is embedded when first asked for (kept for later queries).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from functools import cached_property
from pathlib import Path

import numpy as np

from .lexical import ZH_STOP
from .vocabulary import MIN_SIMILARITY, SIDE_FILES, TARGETS, VOCABULARY_FILE, is_han, worth_translating

EXPANSION_WEIGHT = 0.5  # a translated word's BM25 share counts this much times its similarity
SIDE_PROBES = 16
_CACHE = 4096  # out-of-vocabulary query words kept with their translations


def _search_cut(text: str) -> list[str]:
    import rjieba

    return rjieba.cut_for_search(text)


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
        terms = [t for t in terms if worth_translating(t)]
        self._look_up([t for t in terms if t not in self._known])
        return [t for t in terms if self._known.get(t, ...) is None]

    def pairs(self, terms: list[str] | tuple[str, ...]) -> list[str]:
        """Neighbouring terms the vocabulary holds as a pair ("bare metal"): translated as one (裸机)."""
        pairs = [f"{a} {b}" for a, b in zip(terms, terms[1:]) if not is_han(a) and not is_han(b)]
        self._look_up([p for p in pairs if p not in self._known])
        return [p for p in pairs if self._known.get(p)]

    def compounds(self, terms: list[str] | tuple[str, ...]) -> dict[str, list[str]]:
        """Han terms of three characters or more -> the words jieba finds inside them (持续性能剖析: 持续, 性能,
        剖析): a technical compound is often absent from both the vocabulary and the embedder, its parts not."""
        out = {}
        for term in terms:
            if is_han(term) and len(term) >= 3:
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

        for term in filter(worth_translating, terms):
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
            terms = [t for t in embedded if is_han(t) != han]
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
