"""Passages to vectors: every sentence embedded once, the passage vector their normalised mean."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .embedders import Embedder
from .segment import merge_short, sentence_spans

EMBED_BATCH = 64
# Sentences shorter than this are embedded with a neighbour: alone, a filler matches any short query.
MIN_SENTENCE_CHARS = 12


@dataclass
class EncodedPassage:
    vector: np.ndarray  # (d,) float32, L2-normalised
    sentences: np.ndarray  # (n, d) sentence vectors, float16 (as stored: see podquote.vectors.sentences)
    spans: np.ndarray  # (n, 2) character spans of the sentences in the passage text


def passage_spans(text: str) -> list[tuple[int, int]]:
    """The pieces of a passage that are embedded: its sentences, short ones joined to a neighbour."""
    return merge_short(sentence_spans(text), MIN_SENTENCE_CHARS) or [(0, len(text))]


def encode_passages(
    texts: Sequence[str], model: Embedder, progress: Callable[[int, int], None] | None = None,
    spans: Sequence[list[tuple[int, int]]] | None = None,
) -> list[EncodedPassage]:
    """Encode `texts` (their `passage_spans` may be given, computed once by the caller)."""
    spans = spans if spans is not None else [passage_spans(text) for text in texts]
    pieces = [text[a:b] for text, sp in zip(texts, spans) for a, b in sp]
    vectors = embed_sorted(pieces, model, progress)
    encoded, cursor = [], 0
    for sp in spans:
        block = vectors[cursor:cursor + len(sp)]
        cursor += len(sp)
        mean = block.sum(axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
        # float16 at once: they are stored so, and float32 copies of every sentence of a large corpus were
        # the biggest thing an indexing process held (~1.2 GB at 250,000 passages).
        encoded.append(EncodedPassage(mean.astype(np.float32), block.astype(np.float16),
                                      np.asarray(sp, dtype=np.int32)))
    return encoded


def embed_sorted(texts: list[str], model: Embedder, progress=None, dtype=np.float32) -> np.ndarray:
    """Embed in batches of similar length (less padding), returning rows in the input order, as `dtype`."""
    out = np.zeros((len(texts), model.dimension), dtype=dtype)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for start in range(0, len(order), EMBED_BATCH):
        batch = order[start:start + EMBED_BATCH]
        out[batch] = model.embed_batch([texts[i] for i in batch])
        if progress:
            progress(min(start + EMBED_BATCH, len(order)), len(order))
    return out
