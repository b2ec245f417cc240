"""FAISS vector store: exact inner-product search over normalised vectors, saved without pickle.

On disk the vectors are a plain `.npy` array beside an `.npy` of their ids, so they can be memory-mapped,
reused by the next incremental build, and read back by any numpy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

VECTORS_FILE = "vectors.npy"
IDS_FILE = "ids.npy"


def _faiss():
    import faiss  # imported on first use: it is large and `--help` should not pay for it

    return faiss


class FaissStore:
    type = "flat-ip"

    def __init__(self, dimension: int):
        faiss = _faiss()
        self.dimension = dimension
        self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))

    def delete(self, ids: np.ndarray) -> None:
        self.index.remove_ids(np.asarray(ids, dtype=np.int64))

    def count(self) -> int:
        return int(self.index.ntotal)

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None):
        faiss = _faiss()
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if allowed is None:
            return self.index.search(queries, k)
        if len(allowed) == 0:
            return np.full((len(queries), k), -np.inf, "float32"), np.full((len(queries), k), -1, "int64")
        selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
        return self.index.search(queries, k, params=faiss.SearchParameters(sel=selector))

    def vectors_and_ids(self) -> tuple[np.ndarray, np.ndarray]:
        ids = _faiss().vector_to_array(self.index.id_map).astype(np.int64)
        vectors = self.index.index.reconstruct_n(0, self.index.ntotal) if len(ids) else np.zeros((0, self.dimension), "float32")
        return vectors, ids

    def save(self, directory: Path) -> list[str]:
        vectors, ids = self.vectors_and_ids()
        np.save(directory / VECTORS_FILE, vectors, allow_pickle=False)
        np.save(directory / IDS_FILE, ids, allow_pickle=False)
        return [VECTORS_FILE, IDS_FILE]

    @classmethod
    def load(cls, directory: Path, dimension: int) -> "FaissStore":
        store = cls(dimension)
        vectors = np.load(directory / VECTORS_FILE, mmap_mode="r", allow_pickle=False)
        ids = np.load(directory / IDS_FILE, allow_pickle=False)
        if vectors.ndim != 2 or vectors.shape[1] != dimension or len(ids) != len(vectors):
            raise ValueError(f"vectors {vectors.shape} and ids {ids.shape} do not fit dimension {dimension}")
        store.add(ids, vectors)
        return store
