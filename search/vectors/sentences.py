"""Per-sentence vectors of every passage, used to rescore the top candidates and to find the highlight.

The passage vector in FAISS is the normalised mean of its sentence vectors, so each text is embedded once.
Sentence vectors are kept as float16: they only rescore a few dozen candidates per query, where half precision
changes no ranking that matters, and they are the largest file of an index.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..segment import is_question

SENTENCES_FILE = "sentences.npy"
SPANS_FILE = "sentence_spans.npy"
OFFSETS_FILE = "sentence_offsets.npy"
QUESTIONS_FILE = "sentence_questions.npy"


class SentenceVectors:
    def __init__(self, vectors: np.ndarray, spans: np.ndarray, offsets: np.ndarray,
                 questions: np.ndarray | None = None):
        self.vectors = vectors  # (n_sentences, d) float16
        self.spans = spans  # (n_sentences, 2) int32: character span within the passage text
        self.offsets = offsets  # (n_passages + 1,) int64: sentences of passage row r are offsets[r]:offsets[r+1]
        self.questions = questions  # (n_sentences,) bool: the sentence asks; None in an index written before

    def questions_of(self, rows: np.ndarray, texts: list[str], spans: np.ndarray, owner: np.ndarray) -> np.ndarray:
        """Whether each sentence of `rows` (one run per row, in order) is a question: read from the index, or
        from the texts (`owner`: which of `texts` each sentence is in) for an index written before it kept them."""
        if self.questions is not None:
            lo, hi = self.offsets[rows], self.offsets[rows + 1]
            return np.asarray(self.questions[runs(lo, hi - lo)], dtype=bool)
        return np.array([is_question(texts[i][a:b]) for i, (a, b) in zip(owner.tolist(), spans.tolist())], dtype=bool)

    def of_row(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = int(self.offsets[row]), int(self.offsets[row + 1])
        return self.vectors[lo:hi], self.spans[lo:hi]

    def similarities(self, rows: list[int], query: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(cosines with `query`, spans, bounds) of the sentences of each row, one after another: row i's are
        [bounds[i]:bounds[i + 1]]. One gather and one product for all rows, where a product per row costs more
        in calls than in arithmetic."""
        rows = np.asarray(rows, dtype=np.int64)
        lo, hi = self.offsets[rows], self.offsets[rows + 1]
        index = runs(lo, hi - lo)
        sims = np.asarray(self.vectors[index], dtype=np.float32) @ query.astype(np.float32)
        return sims, self.spans[index], np.concatenate(([0], np.cumsum(hi - lo)))

    @classmethod
    def from_parts(cls, parts: list[tuple[np.ndarray, np.ndarray]], dimension: int,
                   texts: list[str] | None = None) -> "SentenceVectors":
        """From each passage's (sentence vectors, spans); with the passages' `texts`, which sentences ask."""
        counts = [len(spans) for _, spans in parts]
        offsets = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        if not parts:
            return cls(np.zeros((0, dimension), np.float16), np.zeros((0, 2), np.int32), offsets,
                       np.zeros(0, dtype=bool))
        vectors = np.concatenate([v for v, _ in parts]).astype(np.float16)
        spans = np.concatenate([s for _, s in parts]).astype(np.int32)
        questions = None
        if texts is not None:
            questions = np.array([is_question(text[a:b]) for text, (_, sp) in zip(texts, parts)
                                  for a, b in sp.tolist()], dtype=bool)
        return cls(vectors, spans, offsets, questions)

    def save(self, directory: Path) -> list[str]:
        np.save(directory / SENTENCES_FILE, self.vectors, allow_pickle=False)
        np.save(directory / SPANS_FILE, self.spans, allow_pickle=False)
        np.save(directory / OFFSETS_FILE, self.offsets, allow_pickle=False)
        names = [SENTENCES_FILE, SPANS_FILE, OFFSETS_FILE]
        if self.questions is not None:
            np.save(directory / QUESTIONS_FILE, self.questions, allow_pickle=False)
            names.append(QUESTIONS_FILE)
        return names

    @classmethod
    def load(cls, directory: Path) -> "SentenceVectors":
        def load(name: str) -> np.ndarray:
            return np.load(directory / name, mmap_mode="r", allow_pickle=False)

        questions = load(QUESTIONS_FILE) if (directory / QUESTIONS_FILE).exists() else None
        return cls(load(SENTENCES_FILE), load(SPANS_FILE), load(OFFSETS_FILE), questions)


def runs(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """starts[0], starts[0] + 1, ..., for counts[0] numbers, then the same for each following start."""
    if not len(counts):
        return np.zeros(0, dtype=np.int64)
    before = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return np.repeat(starts - before, counts) + np.arange(int(np.sum(counts)))
