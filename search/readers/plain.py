"""Plain text: one passage per paragraph (long ones cut between sentences), the fallback for any text."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ..passage import Episode
from ..segment import MAX_CHARS, cut_turn
from .base import Document, DocumentBuilder

_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\n\s*\n|\s*$)", re.S)
# A line that is one token (a path, an id, a number) says nothing anyone said.
_ONE_TOKEN_LINE = re.compile(r"^\s*\S+\s*$")


def is_listing(paragraph: str) -> bool:
    """A block of one-token lines (a list of files or ids), not prose: it yields no passage."""
    lines = [line for line in paragraph.split("\n") if line.strip()]
    return len(lines) >= 2 and sum(bool(_ONE_TOKEN_LINE.match(line)) for line in lines) >= 0.8 * len(lines)


class PlainTextReader:
    name = "text"
    extensions = (".txt", ".text")

    def sniff(self, text: str, path: PurePosixPath) -> float:
        return 0.1

    def read(self, text: str, episode: Episode, path: PurePosixPath) -> Document:
        episode.title = episode.title or path.stem
        builder = DocumentBuilder(episode)
        for match in _PARAGRAPH.finditer(text):
            paragraph = match.group()
            if is_listing(paragraph):
                continue
            if len(paragraph) <= MAX_CHARS:
                builder.add(paragraph, "narration", span=match.span())
                continue
            # A long paragraph is cut between sentences, like a long turn, so no passage outgrows the bound.
            for lo, hi in cut_turn(paragraph):
                builder.add(paragraph[lo:hi], "narration", span=(match.start() + lo, match.start() + hi))
        return builder.document
