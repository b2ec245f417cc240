"""The embedder interface: a name, a dimension, and one method that embeds a batch."""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    name: str  # recorded in the index manifest; an index only answers queries embedded by the same name
    dimension: int

    def embed_batch(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        """(len(texts), dimension) float32, each row L2-normalised. `query` marks search queries, for models
        that embed questions and passages differently (e5); others ignore it."""
        ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)
