"""The sentence vectors searched directly: the passages that hold the query's best-matching sentences.

A passage vector is the mean of its sentences, so a long turn whose one sentence answers the question sits far
down the passage ranking; its sentence does not. The top sentences' passages join the candidates
(podquote.candidates). Up to SENTENCE_EXACT_LIMIT (podquote.vectors.faiss_params) sentences they are scanned exactly; beyond, an inverted file of 8-bit
codes (`sentence_index.faiss`, a quarter of float32, built with the index) is searched in its nearest lists.
docs/retrieval.md has what it adds to the candidates and what it costs.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from .faiss_index import faiss_module
from .faiss_params import SENTENCE_EXACT_LIMIT, SENTENCE_TRAIN_PER_LIST, sentence_list_count, sentence_nprobe

SENTENCE_INDEX_FILE = "sentence_index.faiss"


def build_sentence_index(vectors: np.ndarray, directory: Path) -> list[str]:
    """Write the inverted file for `vectors` (float16 or float32 rows); nothing for a small index."""
    if len(vectors) <= SENTENCE_EXACT_LIMIT:
        return []
    faiss = faiss_module()
    nlist = sentence_list_count(len(vectors))
    index = faiss.index_factory(vectors.shape[1], f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
    sample = np.random.default_rng(0).choice(len(vectors), min(len(vectors), SENTENCE_TRAIN_PER_LIST * nlist), replace=False)
    index.train(np.ascontiguousarray(vectors[np.sort(sample)], dtype=np.float32))
    for lo in range(0, len(vectors), 100_000):
        index.add(np.ascontiguousarray(vectors[lo:lo + 100_000], dtype=np.float32))
    faiss.write_index(index, str(directory / SENTENCE_INDEX_FILE))
    return [SENTENCE_INDEX_FILE]


class SentenceIndex:
    def __init__(self, vectors: np.ndarray, offsets: np.ndarray, index=None):
        self.vectors = vectors  # (sentences, d) float16, memory-mapped
        self.offsets = offsets  # passage row r owns sentences offsets[r]:offsets[r + 1]
        self.index = index

    @classmethod
    def load(cls, directory: Path, vectors: np.ndarray, offsets: np.ndarray, mapped: bool = False) -> "SentenceIndex":
        """`mapped`: memory-map the file rather than read it (one search from the CLI: reading 300 MB took
        0.4 s); a server reads it, since a memory-mapped search took 7 ms, not 1.7."""
        path = directory / SENTENCE_INDEX_FILE
        if not path.exists():
            return cls(vectors, offsets)
        faiss = faiss_module()
        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mapped else 0
        index = faiss.read_index(str(path), flags)
        if index.ntotal != len(vectors):
            raise ValueError(f"{SENTENCE_INDEX_FILE} holds {index.ntotal} sentences, not {len(vectors)}")
        faiss.extract_index_ivf(index).nprobe = sentence_nprobe(faiss.extract_index_ivf(index).nlist)
        return cls(vectors, offsets, index)

    @cached_property
    def _matrix(self) -> np.ndarray:
        return np.asarray(self.vectors, dtype=np.float32)  # at most SENTENCE_EXACT_LIMIT rows: 40 MB at 512-d

    def top_rows(self, query: np.ndarray, n: int) -> np.ndarray:
        """Passage rows of the best sentences, best first, up to n distinct passages."""
        found = self._top_sentences(np.asarray(query, dtype=np.float32), 2 * n)
        rows = np.searchsorted(self.offsets, found, side="right") - 1
        _, first = np.unique(rows, return_index=True)
        return rows[np.sort(first)][:n]

    def _top_sentences(self, query: np.ndarray, k: int) -> np.ndarray:
        if self.index is None:
            if not len(self.vectors):
                return np.zeros(0, dtype=np.int64)
            sims = self._matrix @ query
            k = min(k, len(sims))
            top = np.argpartition(-sims, k - 1)[:k]
            return top[np.argsort(-sims[top])]
        faiss = faiss_module()
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)  # one query gains nothing from more (faiss_params.SEARCH_THREADS)
        try:
            _, ids = self.index.search(query[None, :], k)
        finally:
            faiss.omp_set_num_threads(threads)
        return ids[0][ids[0] >= 0]
