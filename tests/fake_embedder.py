"""A small deterministic embedder for tests, registered through the same path as the real models.

Words (Latin) and character bigrams (Han) are hashed into a 256-d bag of features, so texts that share words are
close and the ranking is predictable. Importing this module registers it as "fake" (and "fake-32", a different
dimension, for mismatch tests); subprocesses get it through PODQUOTE_PLUGINS=fake_embedder.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

from podquote.embedders import normalise, register_embedder

_TOKEN = re.compile(r"[A-Za-z0-9]+|[\u4e00-\u9fff]")


def _features(text: str) -> list[str]:
    tokens = _TOKEN.findall(text.lower())
    han = [t for t in tokens if "\u4e00" <= t <= "\u9fff"]
    return [t for t in tokens if not ("\u4e00" <= t <= "\u9fff")] + [a + b for a, b in zip(han, han[1:])] + han


class FakeEmbedder:
    def __init__(self, name: str = "fake", dimension: int = 256):
        self.name = name
        self.dimension = dimension
        self.calls: list[int] = []  # batch sizes, so tests can count what was embedded

    def embed_batch(self, texts, *, query: bool = False) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in _features(text) or ["<empty>"]:
                bucket = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=4).digest(), "little")
                out[row, bucket % self.dimension] += 1.0
        return normalise(out)

    @property
    def embedded(self) -> int:
        return sum(self.calls)


register_embedder("fake", lambda spec: FakeEmbedder())
register_embedder("fake-32", lambda spec: FakeEmbedder("fake-32", 32))
