"""Show notes in Markdown with YAML front matter and a chapter timeline (开源面对面 / opensource-f2f).

Front matter: `num` (`S01E27`), `date`, `title`, `link` (the audio file), `hosts`/`guests` (GitHub ids).
Body: `##` sections. The timeline (`## 时间线`) has one chapter per line, `* 12:34 话题`, `- 1:02:03 话题` or a
bare `00:50 话题`; each becomes a `chapter` passage starting at its time, linked into the audio. Descriptions
(the intro, 背景摘要, 内容大纲, 嘉宾介绍) become narration. Link lists (Staff, 扩展阅读, 推荐内容), host lists and the
boilerplate 关于节目 that every episode repeats are not what the episode says, so they are skipped.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ..passage import Episode
from ..timecode import media_fragment, parse_timecode
from .base import Document, DocumentBuilder
from .front_matter import has_front_matter, split_front_matter, text_field
from .markdown_inline import strip_inline
from .turns import Turn, emit_turn, fill_ends

_HEADING = re.compile(r"^(?P<marks>#{1,6})\s+(?P<title>.*?)\s*#*\s*$")
_CHAPTER = re.compile(r"^\s*(?:[-*+]\s*)?(?P<time>\d{1,2}:\d{2}(?::\d{2})?)[ \t]+(?P<topic>\S.*?)\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(?P<text>.*)$")
_QUOTE_MARK = re.compile(r"^\s*>\s?")
_BARE_LINK = re.compile(r"^\s*(?:[-*+]\s+)?(?:\[[^\]]*\]\([^)]*\)|<?https?://\S+>?)[\s,，、]*$")
_TIMELINE = re.compile(r"时间线|时间轴|timeline|chapters", re.I)
_SKIPPED = re.compile(
    r"staff|扩展阅读|相关链接|相关阅读|背景阅读|参考|推荐|关于节目|剪辑|主持人|节目名称|hosts?\b|links|further reading",
    re.I,
)
_CONTENT = re.compile(r"[\w\u4e00-\u9fff]")
_SHOW_KEYS = re.compile(r"^(?:num|link|hosts|guests)\s*:", re.M)
_TIMELINE_HEADING = re.compile(r"^#{1,6}\s*(?:时间线|时间轴)", re.M)
_FILE_NUMBER = re.compile(r"^(?P<num>S\d+E\d+|\d+)\b", re.I)
# Directory names that say nothing about which podcast a file belongs to.
_GENERIC_DIRS = {"shownotes", "episodes", "_episodes", "notes", "site", "docs", "corpus", "content", "posts"}


def _series(path: PurePosixPath) -> tuple[str, str | None]:
    """(id prefix, show name) from the directories of the source id."""
    folders = path.parts[:-1]
    if any(part.startswith("opensource-f2f") for part in folders):
        return "opensource-f2f", "开源面对面"
    named = next((p for p in reversed(folders) if p.lower() not in _GENERIC_DIRS), None)
    return (named or "shownotes"), None


class _Section:
    """Which kind of section the current line is in: skipped, timeline or prose."""

    def __init__(self) -> None:
        self.skip_level: int | None = None
        self.timeline = False

    def heading(self, level: int, title: str) -> None:
        if self.skip_level is not None and level > self.skip_level:
            return  # a sub-heading of a skipped section (推荐内容 > 书籍) stays skipped
        self.skip_level = level if _SKIPPED.search(title) else None
        self.timeline = bool(_TIMELINE.search(title))


class ShowNotesReader:
    name = "shownotes"
    extensions = (".md", ".markdown")

    def sniff(self, text: str, path: PurePosixPath) -> float:
        head = text[:20_000]
        if has_front_matter(head):
            fields = _SHOW_KEYS.search(head.split("\n---", 1)[0])
            return 0.9 if fields or _TIMELINE_HEADING.search(head) else 0.3
        return 0.6 if _TIMELINE_HEADING.search(head) else 0.0

    def read(self, text: str, episode: Episode, path: PurePosixPath) -> Document:
        front, body_start = split_front_matter(text, str(path))
        self._describe(front, episode, path)
        builder = DocumentBuilder(episode)
        section = _Section()
        paragraph: Turn | None = None
        seen_title = False
        at = body_start
        for raw_line in text[body_start:].split("\n"):
            line, line_start = raw_line.rstrip("\r"), at
            at += len(raw_line) + 1
            heading = _HEADING.match(line)
            chapter = _CHAPTER.match(line) if section.skip_level is None else None
            if not line.strip() or heading or chapter or _BARE_LINK.match(line) or section.skip_level is not None:
                paragraph = self._flush(builder, paragraph, text)
            if heading:
                level = len(heading.group("marks"))
                if level == 1 and not seen_title:
                    seen_title = True  # the title again, as a heading
                    continue
                section.heading(level, heading.group("title"))
            elif chapter:
                self._chapter(builder, chapter, line_start)
            elif section.skip_level is None and line.strip() and not _BARE_LINK.match(line):
                paragraph = self._prose(builder, section, paragraph, line, line_start, text)
        self._flush(builder, paragraph, text)
        if not builder.document.passages and episode.title:
            # Notes with nothing but front matter: the title is all the episode says about itself, and without
            # a passage the episode could not be found at all.
            builder.add(episode.title, "narration")
        fill_ends([p for p in builder.document.passages if p.kind == "chapter"])
        return builder.document

    @staticmethod
    def _describe(front: dict, episode: Episode, path: PurePosixPath) -> None:
        prefix, show = _series(path)
        number = text_field(front, "num")
        if not number:
            from_name = _FILE_NUMBER.match(path.stem)
            number = from_name.group("num") if from_name else path.stem
        link = text_field(front, "link")
        episode.episode = episode.episode or f"{prefix}/{number}"
        episode.show = episode.show or show or text_field(front, "show")
        episode.title = episode.title or text_field(front, "title") or path.stem
        episode.date = episode.date or text_field(front, "date")
        episode.url = episode.url or (link if link and re.match(r"^https?://", link) else None)

    @staticmethod
    def _chapter(builder: DocumentBuilder, chapter: re.Match, at: int) -> None:
        try:
            start = parse_timecode(chapter.group("time"))
        except ValueError:
            return
        topic = strip_inline(chapter.group("topic")).strip()
        if len(_CONTENT.findall(topic)) < 2:
            return
        span = (at + chapter.start("topic"), at + chapter.end("topic"))
        builder.add(topic, "chapter", start=start, url=media_fragment(builder.document.episode.url, start), span=span)

    def _prose(self, builder: DocumentBuilder, section: _Section, paragraph: Turn | None, line: str,
               at: int, text: str) -> Turn | None:
        item = _LIST_ITEM.match(line)
        if section.timeline and item:
            # A timeline entry without a time ("* 开源精神大安利") is still a chapter, just not a moment.
            topic = strip_inline(item.group("text")).strip()
            if len(_CONTENT.findall(topic)) >= 2:
                builder.add(topic, "chapter", span=(at + item.start("text"), at + len(line)))
            return self._flush(builder, paragraph, text)
        body = item.group("text") if item else _QUOTE_MARK.sub("", line)
        offset = len(line) - len(body)
        cleaned = strip_inline(body)
        if len(_CONTENT.findall(cleaned)) < 2:
            return paragraph  # "……", "略": nothing to search for
        paragraph = paragraph or Turn(None)
        paragraph.add(cleaned, at + offset, at + len(line), sep="\n")
        return paragraph

    @staticmethod
    def _flush(builder: DocumentBuilder, paragraph: Turn | None, text: str) -> None:
        if paragraph is not None:  # a paragraph that says nothing (a guest's name alone: "潘潘") is dropped
            emit_turn(builder, paragraph, text, kind="narration")
        return None
