"""The passage: one quotable unit of what was said, with everything needed to cite it."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Literal

# "soundbite": a passage within a moment the publisher picked (podcast:soundbite, podquote.feeds.episode_passages)
Kind = Literal["quote", "narration", "chapter", "turn", "soundbite"]
KINDS: tuple[str, ...] = ("quote", "narration", "chapter", "turn", "soundbite")


def passage_id(source: str, position: int) -> str:
    """Stable id: the same source and position give the same id on every reindex."""
    digest = hashlib.sha256(f"{source}\x00{position}".encode()).hexdigest()
    return digest[:16]


def vector_id(pid: str) -> int:
    """A non-negative int64 for vector backends that key on integers (derived, so never stored twice)."""
    return int(pid, 16) & 0x7FFF_FFFF_FFFF_FFFF


def content_hash(text: str, embedder: str = "") -> str:
    """Key of the embedding cache: the same text under the same model is embedded once."""
    return hashlib.sha256(f"{embedder}\x00{text}".encode()).hexdigest()[:32]


@dataclass
class Episode:
    """What a reader learns about the source as a whole."""

    source: str  # source id: stable, path-like, unique within an index
    title: str | None = None
    episode: str | None = None  # episode id, e.g. "changelog/podcast/375"
    show: str | None = None
    url: str | None = None  # page or audio of the episode; deep links are built from it
    date: str | None = None  # ISO date when known
    speakers: dict[str, str] = field(default_factory=dict)  # label -> full name, when known
    alias: str | None = None  # the id the source gives the episode itself, when podquote's own differs


@dataclass
class Passage:
    source: str
    position: int  # order within the source, 0-based
    text: str
    kind: str = "narration"
    speaker: str | None = None
    title: str | None = None
    episode: str | None = None
    show: str | None = None
    lang: str = "other"
    start: float | None = None
    end: float | None = None
    url: str | None = None
    date: str | None = None
    char_start: int = 0
    char_end: int = 0
    # The speaker label as the source wrote it, when a reader resolved it to a name whose keys lack it ("CC" for
    # Carlisia Thompson): the speaker filter matches it too (podquote.metadata.Filters), name matching does not.
    speaker_alias: str | None = None
    episode_alias: str | None = None  # Episode.alias: `--episode` accepts it too (podquote.filtering)
    # (offset in text, seconds) where later speech inside the passage starts, from a transcript's cues or word
    # times: a hit links to the moment its best sentence is said, not only to the passage's start.
    marks: tuple[tuple[int, float], ...] = ()

    @property
    def id(self) -> str:
        return passage_id(self.source, self.position)

    def time_at(self, offset: int) -> float | None:
        """When the text at `offset` is said: the last mark at or before it, else the passage's start."""
        seconds = self.start
        for at, mark in self.marks:
            if at > offset:
                break
            seconds = mark
        return seconds

    def to_dict(self) -> dict:
        data = asdict(self)
        del data["marks"]  # internal: a hit shows what they give (podquote.hits: moment)
        data["id"] = self.id
        return data
