"""Sentence boundaries in Chinese and English text, as character spans (so text is never rewritten)."""

from __future__ import annotations

import re

# A sentence ends at Chinese 。！？； (with closing quotes/brackets after them), or at English . ! ? followed
# by whitespace and not part of a common abbreviation or a decimal number.
_END = re.compile(r"[。！？；]+[”’」』）)\"']*|[!?.]+[”’\"')]*(?=\s|$)")
_ABBREVIATION = re.compile(r"(?:\b(?:Mr|Ms|Mrs|Dr|St|vs|etc|e\.g|i\.e|Jr|Sr|No|Prof)|\b[A-Z])\.$")
_MIN_CHARS = 2


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of `text`, stripped of surrounding whitespace, covering all its content."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _END.finditer(text):
        if _ABBREVIATION.search(text[max(0, match.start() - 5):match.start() + 1]):
            continue
        _append(spans, text, start, match.end())
        start = match.end()
    _append(spans, text, start, len(text))
    return spans


def _append(spans: list[tuple[int, int]], text: str, lo: int, hi: int) -> None:
    piece = text[lo:hi]
    stripped = piece.strip()
    if len(stripped) < _MIN_CHARS:
        if spans and stripped:
            spans[-1] = (spans[-1][0], lo + len(piece.rstrip()))
        return
    lead = len(piece) - len(piece.lstrip())
    spans.append((lo + lead, lo + lead + len(stripped)))


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
