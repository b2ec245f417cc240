"""Podcasting 2.0 HTML transcripts: `<cite>Speaker:</cite>`, `<time>0:09</time>`, `<p>what they said</p>`.

The format of `<podcast:transcript type="text/html">` (podcast-namespace, transcripts/transcripts.md): a speaker
name, the start of the monologue and its text, repeated. Publishers nest them differently (siblings in `<body>`,
`<cite>` and `<time>` inside the `<p>`, each group in a `<div>`), so the document is read in order: a `<cite>`
or `<time>` sets the speaker or time for the text that follows, and the text is what stands in `<p>` elements
(or, in a file with no `<p>` at all, in the body). Paragraphs of one speaker are joined into a turn and cut into
quotes as for WebVTT; only starts are given, so a passage ends where the next one starts.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

import lxml.etree
import lxml.html

from ..errors import UnreadableSource
from ..passage import Episode
from ..timecode import parse_timecode
from .base import Document, collapse_space
from .turns import Cue, cue_document

_MARKERS = ("cite", "time")
_SKIPPED = ("script", "style", "head", "template", "noscript")
_CITE = re.compile(r"<cite[\s>]", re.I)
_TIME = re.compile(r"<time[\s>]", re.I)
_Event = tuple[str, object]  # ("text", str), ("cite" | "time", element) or ("end", None) after a paragraph


def _parse(text: str, name: str) -> lxml.html.HtmlElement:
    try:
        # lxml refuses a str that declares its encoding (<?xml ... encoding=?>); as bytes it reads the declaration.
        return lxml.html.document_fromstring(text.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8"))
    except (lxml.etree.ParserError, ValueError) as exc:
        raise UnreadableSource(f"{name}: unreadable HTML ({exc or 'no elements'})") from None


def _events(element: lxml.html.HtmlElement, inside: bool) -> Iterator[_Event]:
    """The document in reading order: text (only inside a paragraph when `inside` is False), speakers, times."""
    inside = inside or element.tag == "p"
    if inside and element.text:
        yield "text", element.text
    for child in element:
        if child.tag in _MARKERS:
            yield child.tag, child
        elif child.tag == "br":
            yield "text", " "
        elif isinstance(child.tag, str) and child.tag not in _SKIPPED:  # comments have a function as their tag
            yield from _events(child, inside)
        if inside and child.tail:
            yield "text", child.tail
    if element.tag == "p":
        yield "end", None


def _speaker(cite: lxml.html.HtmlElement) -> str | None:
    """`Alban :` -> `Alban`; an empty <cite> names no one."""
    return collapse_space(cite.text_content()).rstrip(": ").strip() or None


def _time(element: lxml.html.HtmlElement, current: float | None) -> float | None:
    """The time a <time> gives (its text, else its datetime attribute); one that is no timestamp changes nothing."""
    for value in (element.text_content(), element.get("datetime") or ""):
        try:
            return parse_timecode(value)
        except ValueError:
            continue
    return current


def _place(source: str, words: str, cursor: int) -> tuple[int, int]:
    """Where a paragraph's text lies in the file from `cursor` on, found by its first and last words (as written
    or as HTML escapes them); (cursor, cursor) when markup hides them."""
    tokens = words.split()
    lo = -1
    for form in (tokens[0], html.escape(tokens[0], quote=False)):
        lo = source.find(form, cursor)
        if lo >= 0:
            break
    if lo < 0:
        return cursor, cursor
    for form in (tokens[-1], html.escape(tokens[-1], quote=False)):
        hi = source.find(form, lo + len(words) - len(tokens[-1]) - 1)
        if hi >= 0:
            return lo, hi + len(form)
    return lo, lo + len(tokens[0])


def _cues(root: lxml.html.HtmlElement, source: str) -> list[Cue]:
    body = root.find("body")
    body = root if body is None else body
    paragraphs = body.find(".//p") is not None
    cues: list[Cue] = []
    speaker: str | None = None
    start: float | None = None
    pending: list[str] = []
    cursor = 0
    for kind, value in _events(body, inside=not paragraphs):
        if kind == "text":
            pending.append(value)
            continue
        words = collapse_space("".join(pending))
        pending.clear()
        if words:
            raw_start, cursor = _place(source, words, cursor)
            cues.append(Cue(start, None, words, speaker, raw_start, cursor))
        if kind == "cite":
            speaker = _speaker(value) or speaker
        elif kind == "time":
            start = _time(value, start)
    words = collapse_space("".join(pending))
    if words:
        cues.append(Cue(start, None, words, speaker, *_place(source, words, cursor)))
    return cues


class HtmlTranscriptReader:
    name = "html-transcript"
    extensions = (".html", ".htm")

    def sniff(self, text: str, path: PurePosixPath) -> float:
        head = text[:20_000]
        if head.lstrip("\ufeff \t\n").startswith("<") and _CITE.search(head) and _TIME.search(head):
            return 0.9
        return 0.0

    def read(self, text: str, episode: Episode, path: PurePosixPath) -> Document:
        root = _parse(text, str(path))
        try:
            cues = _cues(root, text)
        except RecursionError:
            raise UnreadableSource(f"{path}: unreadable HTML (nested too deeply)") from None
        if not cues:
            raise UnreadableSource(f"{path}: no transcript text (nothing in <p> elements)")
        title = root.find(".//title")
        title = collapse_space(title.text_content()) if title is not None else ""
        episode.episode = episode.episode or path.stem
        episode.title = episode.title or title or path.stem
        return cue_document(episode, cues, text)
