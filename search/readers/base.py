"""What every reader produces, and the small builder that keeps passages consistent across readers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Protocol

from ..lang import detect_language
from ..passage import Episode, Passage

_SPACE = re.compile(r"\s+")
_ASCII_LETTER = re.compile(r"[A-Za-z]")


@dataclass
class Document:
    episode: Episode
    passages: list[Passage] = field(default_factory=list)
    # What was read with a guess or not at all (another encoding, a damaged tail): `podquote index` shows them.
    warnings: list[str] = field(default_factory=list)


class Reader(Protocol):
    """One source format. `sniff` says how sure it is (0..1) that a text is its format."""

    name: str
    extensions: tuple[str, ...]

    def sniff(self, text: str, path: PurePosixPath) -> float: ...

    def read(self, text: str, episode: Episode, path: PurePosixPath) -> Document: ...


def collapse_space(text: str) -> str:
    # str.split() and the regex \s agree on what whitespace is; split/join is several times faster.
    return " ".join(text.split())


def passage_language(text: str) -> str:
    """`detect_language`, with a shortcut for plain ASCII text (most English transcript passages).

    ASCII text has no Han and no other script, so detect_language can only answer "en" (if it has a Latin
    word) or "other"; answering that directly keeps a whole-corpus parse within seconds.
    """
    if text.isascii():
        return "en" if _ASCII_LETTER.search(text) else "other"
    return detect_language(text)


class DocumentBuilder:
    """Appends passages in source order, numbering them and filling what the episode already knows."""

    def __init__(self, episode: Episode):
        self.document = Document(episode)

    def add(
        self,
        text: str,
        kind: str,
        *,
        speaker: str | None = None,
        speaker_alias: str | None = None,
        start: float | None = None,
        end: float | None = None,
        url: str | None = None,
        span: tuple[int, int] = (0, 0),
        marks: tuple[tuple[int, float], ...] = (),
    ) -> Passage | None:
        """`marks`: Passage.marks, with offsets into `text` as given (before its spaces are collapsed)."""
        marks = tuple((len(collapse_space(text[:at] + "x")) - 1, seconds) for at, seconds in marks)
        text = collapse_space(text)
        if not text:
            return None
        ep = self.document.episode
        passage = Passage(
            source=ep.source,
            position=len(self.document.passages),
            text=text,
            kind=kind,
            speaker=speaker,
            title=ep.title,
            episode=ep.episode,
            show=ep.show,
            lang=passage_language(text),
            start=start,
            end=end,
            url=url or ep.url,
            date=ep.date,
            char_start=span[0],
            char_end=span[1],
            speaker_alias=speaker_alias,
            episode_alias=ep.alias,
            marks=tuple(m for m in marks if 0 < m[0] < len(text)),
        )
        self.document.passages.append(passage)
        return passage
