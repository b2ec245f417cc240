"""The vector-store interface. FAISS is the embedded default; a distributed backend can sit beside it.

Ids are the int64 vector ids derived from passage ids (`search.passage.vector_id`), so they are stable across
reindexes. Scores are cosine similarities (inner products of L2-normalised vectors): higher is better.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np


class VectorStore(Protocol):
    dimension: int

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def delete(self, ids: np.ndarray) -> None: ...

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query row; `allowed` restricts the answer to those ids. Missing slots are
        id -1."""
        ...

    def count(self) -> int: ...

    def save(self, directory: Path) -> list[str]:
        """Write the store into `directory`; returns the file names written (for the manifest)."""
        ...
