"""Embedding a build's new passages, in steps that feed the vector index as they finish; the second embedder's
vectors and the vocabulary's words (podquote.vocabulary) are embedded here too."""

from __future__ import annotations

from typing import Callable

import numpy as np

from .passage_embedding import embed_sorted, encode_passages, passage_spans
from .vocabulary import Vocabulary, count_words
from .index_sources import Pending
from .passage import Passage

Progress = Callable[[str, int, int], None]  # (stage, done, total)

# Passages embedded per step. Each step's sentences are sorted by length (less padding), and the passage vectors
# of a finished step go to the vector index at once, which is built in the background meanwhile.
EMBED_STEP = 8192


def embed(pending: Pending, model, report, progress: Progress | None, vectors=None) -> None:
    """Embed `pending.to_embed`, handing every passage vector (reused ones first) to the builder `vectors`."""
    texts = [text for _, text in pending.to_embed]
    spans = [passage_spans(text) for text in texts]
    total, done = sum(len(sp) for sp in spans), 0
    if vectors is not None:
        for vid, encoded in pending.encoded.items():  # reused from the previous generation: ready now
            vectors.put(vid, encoded.vector)
        vectors.advance()
    for lo in range(0, len(texts), EMBED_STEP):
        hi = min(lo + EMBED_STEP, len(texts))
        step = (lambda d, t, base=done: progress("embed", base + d, total)) if progress else None
        encoded = encode_passages(texts[lo:hi], model, step, spans[lo:hi])
        for (vid, _), item in zip(pending.to_embed[lo:hi], encoded):
            pending.encoded[vid] = item
            if vectors is not None:
                vectors.put(vid, item.vector)
        if vectors is not None:
            vectors.advance()
        done += sum(len(sp) for sp in spans[lo:hi])
    report.passages_embedded = len(texts)


def second_vectors(pending: Pending, report, progress: Progress | None) -> np.ndarray:
    """Every passage's vector by the second embedder, in row order; unchanged text keeps its vector."""
    model = pending.second
    todo = [i for i, digest in enumerate(pending.hashes) if digest not in pending.second_known]
    step = (lambda done, total: progress("second", done, total)) if progress else None
    fresh = embed_sorted([pending.passages[i].text for i in todo], model, step, dtype=np.float16)
    out = np.zeros((len(pending.passages), model.dimension), dtype=np.float16)
    for i, digest in enumerate(pending.hashes):
        if digest in pending.second_known:
            out[i] = pending.second_known[digest]
    out[todo] = fresh
    report.second_embedded = len(todo)
    return out


def vocabulary(passages: list[Passage], model, progress: Progress | None, known: dict) -> Vocabulary:
    """The index's words with their vectors and translations (podquote.vocabulary): what query expansion reads."""
    counts = count_words(p.text for p in passages)
    step = (lambda done, total: progress("words", done, total)) if progress else None
    return Vocabulary.build(counts, model.embed_batch, step, known)
