"""Sentences as the ranking sees them: questions, and short fillers merged into a neighbour."""

from __future__ import annotations

from .segment import sentence_spans  # one splitter for cutting turns and for embedding sentences

__all__ = ["is_question", "merge_short", "sentence_spans"]


def is_question(sentence: str) -> bool:
    return sentence.rstrip(" ”’\"')）」").endswith(("?", "？"))


def merge_short(spans: list[tuple[int, int]], min_chars: int) -> list[tuple[int, int]]:
    """Join sentences shorter than `min_chars` to a neighbour: "Yeah." or "也就是说" alone match anything."""
    merged: list[tuple[int, int]] = []
    carry: int | None = None  # start of a short first sentence waiting for the next one
    for lo, hi in spans:
        if carry is not None:
            lo, carry = carry, None
        if hi - lo >= min_chars:
            merged.append((lo, hi))
        elif merged:
            merged[-1] = (merged[-1][0], hi)
        else:
            carry = lo
    if carry is not None:
        merged.append((carry, spans[-1][1]))
    return merged
