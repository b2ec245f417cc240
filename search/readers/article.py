"""Articles and show notes in Markdown: every attributed quote its own passage, chapter links as chapters.

The seed article is the model: a `#` title, a `> 原文：<url>` source line, prose paragraphs quoting people
(“…”傅说。), a media embed with its caption, and a chapter list of `[4:30:](https://…?t=4:30) topic` lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..passage import Episode
from ..timecode import parse_timecode
from .attribution import after_quote, before_quote, names_after_quotes
from .base import Document, DocumentBuilder
from .markdown_inline import is_url_only, strip_inline

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SOURCE_LINE = re.compile(
    r"^>\s*(?:原文|来源|出处|source|original|via)\s*[:：]\s*<?(?P<url>https?://[^\s>]+)>?\s*$", re.I
)
_CHAPTER = re.compile(
    r"^\s*[-*]?\s*\[(?P<time>\d{1,3}(?::\d{1,2}){1,2})\s*[:：]?\s*\]\((?P<url>[^)\s]+)\)\s*[:：\-–—]?\s*(?P<topic>.+)$"
)
_HTML_BLOCK = re.compile(r"^\s*<(?:svg|div|iframe|figure|script|style|video|audio|img|p|span|table|!--)", re.I)
_CAPTIONS = {"视频", "音频", "图片", "video", "audio", "image", "photo", "embed"}
# “…” in any text, "…" (straight quotes) in text outside curly quotes, 「…」 in CJK typesetting.
_QUOTE = re.compile(r"“(?P<a>[^“”]+)”|「(?P<b>[^「」]+)」|\"(?P<c>[^\"\n]+)\"")
# An unattributed quote shorter than this is a term in quotation marks, not a statement.
_MIN_STATEMENT_CHARS = 20
_SENTENCE_PUNCT = re.compile(r"[。！？.!?，,；;…]")
_CONTENT = re.compile(r"[\w\u4e00-\u9fff]")


@dataclass
class Block:
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass
class Quote:
    start: int  # span of the quoted words, marks excluded, relative to the block
    end: int
    consumed: tuple[int, int]  # marks and attributions: what is not narration
    speaker: str | None
    attributed: bool


def split_blocks(text: str) -> list[Block]:
    """Paragraphs separated by blank lines, except that chapter lines are blocks of their own."""
    blocks: list[Block] = []
    for match in re.finditer(r"[^\n]+(?:\n[^\n]+)*", text):
        lines = match.group().split("\n")
        if any(_CHAPTER.match(line) for line in lines):
            offset = match.start()
            for line in lines:
                blocks.append(Block(line, offset))
                offset += len(line) + 1
        else:
            blocks.append(Block(match.group(), match.start()))
    return blocks


def sniff_article(text: str) -> float:
    head = text.lstrip()[:2000]
    score = 0.0
    if _HEADING.match(head.split("\n", 1)[0]):
        score += 0.55
    if any(_SOURCE_LINE.match(line) for line in head.split("\n")):
        score += 0.2
    if "“" in text or "\"" in text:
        score += 0.1
    return score


class ArticleReader:
    name = "article"
    extensions = (".md", ".markdown")

    def sniff(self, text: str, path: PurePosixPath) -> float:
        return sniff_article(text)

    def read(self, text: str, episode: Episode, path: PurePosixPath) -> Document:
        blocks = split_blocks(text)
        self._read_header(blocks, episode, path)
        builder = DocumentBuilder(episode)
        known = names_after_quotes([b.text for b in blocks], [[m.end() for m in _QUOTE.finditer(b.text)] for b in blocks])
        after_media = False
        last_speaker: str | None = None
        for block in blocks:
            kind = _classify(block.text, after_media)
            after_media = kind == "media"
            if kind == "chapter":
                _add_chapter(builder, block)
            elif kind == "paragraph":
                last_speaker = _add_paragraph(builder, block, known, last_speaker)
        return builder.document

    @staticmethod
    def _read_header(blocks: list[Block], episode: Episode, path: PurePosixPath) -> None:
        for block in blocks:
            heading = _HEADING.match(block.text)
            if heading and len(heading.group(1)) == 1 and not episode.title:
                episode.title = strip_inline(heading.group(2)).strip()
            for line in block.text.split("\n"):
                source = _SOURCE_LINE.match(line)
                if source and not episode.url:
                    episode.url = source.group("url")
        episode.title = episode.title or path.stem
        episode.episode = episode.episode or episode.source


def _classify(text: str, after_media: bool) -> str:
    stripped = text.strip()
    if _HEADING.match(stripped) or _SOURCE_LINE.match(stripped) or _HTML_BLOCK.match(stripped):
        return "skip"
    if _CHAPTER.match(stripped):
        return "chapter"
    plain = strip_inline(stripped).strip()
    if not _CONTENT.search(plain) or is_url_only(plain):
        return "media"
    if plain.lower() in _CAPTIONS or (after_media and len(plain) <= 12 and not _SENTENCE_PUNCT.search(plain)):
        return "skip"
    return "paragraph"


def _add_chapter(builder: DocumentBuilder, block: Block) -> None:
    match = _CHAPTER.match(block.text)
    start = parse_timecode(match.group("time"))
    topic = strip_inline(match.group("topic"))
    span = (block.start + match.start("topic"), block.start + match.end("topic"))
    builder.add(topic, "chapter", start=start, url=match.group("url"), span=span)


def _find_quotes(text: str, known: set[str]) -> list[Quote]:
    quotes: list[Quote] = []
    for match in _QUOTE.finditer(text):
        group = next(g for g in "abc" if match.group(g) is not None)
        lo, hi = match.span(group)
        consumed = [match.start(), match.end()]
        after = after_quote(text[match.end():], known)
        before = before_quote(text[: match.start()], known)
        speaker, attributed = None, False
        if after:
            speaker, attributed = after.name, True
            consumed[1] = match.end() + after.span[1]
        elif before:
            speaker, attributed = before.name, True
            consumed[0] = before.span[0]
        words = text[lo:hi].strip()
        if attributed or (len(words) >= _MIN_STATEMENT_CHARS and _SENTENCE_PUNCT.search(words)):
            quotes.append(Quote(lo, hi, (consumed[0], consumed[1]), speaker, attributed))
    return quotes


def _resolve_speakers(quotes: list[Quote], previous: str | None, opens_paragraph: bool) -> None:
    """Unattributed statements (and pronouns) take the nearest named speaker in the paragraph.

    A paragraph that opens with an unattributed quote continues the previous paragraph's speaker, as news
    writing does.
    """
    named = [q.speaker for q in quotes if q.speaker]
    current = previous if opens_paragraph else None
    for index, quote in enumerate(quotes):
        if quote.speaker:
            current = quote.speaker
            continue
        following = next((q.speaker for q in quotes[index + 1:] if q.speaker), None)
        quote.speaker = current or following or (named[0] if named else None)
        current = quote.speaker or current


def _add_paragraph(builder: DocumentBuilder, block: Block, known: set[str], previous: str | None) -> str | None:
    text = block.text
    quotes = _find_quotes(text, known)
    opens = bool(quotes) and not _CONTENT.search(text[: quotes[0].consumed[0]])
    _resolve_speakers(quotes, previous, opens)
    cursor = 0
    for quote in quotes:
        _add_narration(builder, block, cursor, quote.consumed[0])
        words = text[quote.start:quote.end].rstrip(" ,，")
        span = (block.start + quote.start, block.start + quote.start + len(words))
        builder.add(strip_inline(words), "quote", speaker=quote.speaker, span=span)
        cursor = max(cursor, quote.consumed[1])
    _add_narration(builder, block, cursor, len(text))
    return quotes[-1].speaker if quotes else previous


def _add_narration(builder: DocumentBuilder, block: Block, lo: int, hi: int) -> None:
    piece = block.text[lo:hi]
    plain = strip_inline(piece).strip(" \n—–-:：,，")
    # Leftovers such as "傅说。" between two quotes carry no statement of their own.
    if len(_CONTENT.findall(plain)) < 4:
        return
    offset = len(piece) - len(piece.lstrip())
    builder.add(plain, "narration", span=(block.start + lo + offset, block.start + hi))
