"""Podcasting 2.0 JSON chapters: `{"version", "chapters": [{"startTime", "title"?, "endTime"?, "toc"?, ...}]}`.

The format of `<podcast:chapters type="application/json+chapters">` (podcast-namespace, chapters/jsonChapters.md).
Each titled chapter is one `chapter` passage, like a show-notes timeline entry: it starts at its startTime and
ends at its endTime, else where the next titled chapter starts. The title is the publisher's, kept as written
(whitespace collapsed, nothing else). A "silent" chapter (`"toc": false`) is still one: it hides a marker from
a player's list, not from search. A chapter without a title (artwork or a location only) has nothing to find.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..errors import UnreadableSource
from ..passage import Episode
from ..timecode import media_fragment
from .base import Document, DocumentBuilder, collapse_space
from .json_text import load_json, locate, seconds

_CHAPTERS_HEAD = re.compile(r'^\s*\{.*"chapters"\s*:\s*\[', re.S)


@dataclass(slots=True)
class Chapter:
    start: float
    end: float | None
    title: str
    span: tuple[int, int]  # where the title is written in the file


def _text(value: object) -> str:
    return collapse_space(value) if isinstance(value, str) else ""


def _describe(data: dict, episode: Episode, path: PurePosixPath) -> None:
    """The file's own episode title and podcast name, when the feed or folder gave none."""
    episode.episode = episode.episode or path.stem
    episode.title = episode.title or _text(data.get("title")) or path.stem
    episode.show = episode.show or _text(data.get("podcastName")) or None


def _chapter_list(data: object, name: str) -> list:
    chapters = data.get("chapters") if isinstance(data, dict) else None
    if not isinstance(chapters, list):
        raise UnreadableSource(f'{name}: not a Podcasting 2.0 chapters file (no "chapters" list)')
    return chapters


def _chapters(text: str, chapters: list, name: str) -> list[Chapter]:
    """The titled chapters in time order; every chapter needs a startTime, as the format says."""
    found: list[Chapter] = []
    starts: list[float] = []
    cursor = max(text.find('"chapters"'), 0)
    for index, chapter in enumerate(chapters):
        start = seconds(chapter.get("startTime")) if isinstance(chapter, dict) else None
        if start is None:
            raise UnreadableSource(f'{name}: chapter {index} has no numeric "startTime"')
        title = chapter.get("title")
        if not isinstance(title, str) or not title.strip():
            continue
        span = locate(text, title, cursor)
        cursor = span[1]
        found.append(Chapter(start, seconds(chapter.get("endTime")), title, span))
        starts.append(start)
    found.sort(key=lambda c: c.start)  # the format assumes ascending order; a stray one should not end others early
    starts.sort()
    for chapter in found:
        at = bisect_right(starts, chapter.start)
        later = starts[at] if at < len(starts) else None
        chapter.end = chapter.end if chapter.end is not None and chapter.end > chapter.start else later
    return found


class ChaptersJsonReader:
    name = "chapters-json"
    extensions = (".json",)

    def sniff(self, text: str, path: PurePosixPath) -> float:
        head = text[:4000]
        return 0.95 if _CHAPTERS_HEAD.match(head) and re.search(r'"startTime"\s*:', head) else 0.0

    def read(self, text: str, episode: Episode, path: PurePosixPath) -> Document:
        name = str(path)
        data = load_json(text, name)
        chapters = _chapters(text, _chapter_list(data, name), name)
        if not chapters:
            raise UnreadableSource(f"{name}: no chapter has a title (nothing to search)")
        _describe(data, episode, path)
        builder = DocumentBuilder(episode)
        for chapter in chapters:
            url = media_fragment(episode.url, chapter.start)
            builder.add(chapter.title, "chapter", start=chapter.start, end=chapter.end, url=url, span=chapter.span)
        return builder.document
