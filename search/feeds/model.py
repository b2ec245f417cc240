"""What podquote keeps of a podcast feed: the channel, its items, and the Podcasting 2.0 tags it needs.

Plain dataclasses with no parsing or network code, so the index side can build and compare them freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Transcript:
    url: str
    type: str  # lowercased MIME; "application/srt" and "text/srt" are normalised to "application/x-subrip"
    language: str | None = None
    rel: str | None = None  # "captions" when the file is also the episode's subtitles


@dataclass
class Person:
    name: str
    role: str | None = "host"  # lowercased; the namespace's default role is "host"
    group: str | None = None
    href: str | None = None
    img: str | None = None


@dataclass
class Soundbite:
    start: float  # seconds into the episode
    duration: float
    title: str | None = None


@dataclass
class Item:
    guid: str  # guid text, else enclosure url, else link, else title: the key an episode keeps across refreshes
    title: str | None = None
    date: str | None = None  # ISO YYYY-MM-DD from pubDate
    link: str | None = None
    enclosure: str | None = None
    transcripts: list[Transcript] = field(default_factory=list)
    chapters: str | None = None  # url of the JSON chapters file
    persons: list[Person] = field(default_factory=list)  # the item's own list if it has one, else the channel's
    soundbites: list[Soundbite] = field(default_factory=list)


@dataclass
class Feed:
    title: str | None = None
    link: str | None = None
    language: str | None = None
    persons: list[Person] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
