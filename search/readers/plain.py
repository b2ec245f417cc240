"""Plain text: one passage per paragraph, the fallback for any text no other reader claims."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ..passage import Episode
from .base import Document, DocumentBuilder

_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\n\s*\n|\s*$)", re.S)


class PlainTextReader:
    name = "text"
    extensions = (".txt", ".text")

    def sniff(self, text: str, path: PurePosixPath) -> float:
        return 0.1

    def read(self, text: str, episode: Episode, path: PurePosixPath) -> Document:
        episode.title = episode.title or path.stem
        builder = DocumentBuilder(episode)
        for match in _PARAGRAPH.finditer(text):
            builder.add(match.group(), "narration", span=match.span())
        return builder.document
