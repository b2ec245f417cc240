"""People named in a question: the index's speakers found by name, and self-introductions told apart.

"What did Watts say about Rook", "would Joe Beda choose etcd again": the asker wants that person's words, or
words about them, but never the turn where they introduce themselves ("Yeah, sure. I'm Joe Beda..."), which
names them and says nothing.
"""

from __future__ import annotations

import re
import sqlite3

from .lexical import EN_STOP
from .speakers import speaker_keys

MIN_KEY_CHARS = 3  # "al", "jb", "cc" (initials) match too much to be a name
_INTRO = re.compile(r"\b(?:i'm|i am|my name is|this is|name's|i'm called)\s+([^\W\d_]+)", re.IGNORECASE)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_HAN_INTRO = re.compile(r"(?:我是|我叫|我的名字是)")


class People:
    """Speaker name keys of an index -> the speakers with that key."""

    def __init__(self, speakers: list[tuple[str, tuple[str, ...]]]):
        """`speakers`: (name, its keys: podquote.speakers.speaker_keys)."""
        self.by_key: dict[str, set[str]] = {}
        for name, keys in speakers:
            # A Han name's pinyin is often two letters (傅: "fu"); a two-letter part of another name is initials.
            shortest = 2 if _HAN.search(name) else MIN_KEY_CHARS
            for key in keys:
                if (len(key) >= shortest or _HAN.search(key)) and key not in EN_STOP:
                    self.by_key.setdefault(key, set()).add(name)

    @classmethod
    def from_store(cls, db: sqlite3.Connection) -> "People":
        """From the index's `speakers` table (written with it), or its passages for an index written before."""
        try:
            rows = db.execute("SELECT speaker, speaker_key FROM speakers").fetchall()
        except sqlite3.OperationalError:
            rows = db.execute("SELECT DISTINCT speaker, speaker_key FROM passages WHERE speaker IS NOT NULL").fetchall()
        # The keys as the index stored them: computing a Han name's pinyin imports pypinyin (0.35 s a CLI search).
        return cls([(name, tuple(filter(None, (keys or "").split("|")))) for name, keys in rows])

    @classmethod
    def of_names(cls, names: list[str]) -> "People":
        return cls([(name, speaker_keys(name)) for name in names])

    def named(self, text: str, words: frozenset[str]) -> frozenset[str]:
        """The keys of the speakers a question names: a part of a name as a word of it, or a whole name."""
        lowered = " ".join(text.lower().split())
        found = {w for w in words if w in self.by_key}
        whole = {key for key in self.by_key if " " in key and key in lowered}
        if whole:  # "Joe Beda" names him, not every Joe: keep only keys that are nobody else's
            people = set().union(*(self.by_key[key] for key in whole))
            found = {key for key in found if self.by_key[key] <= people}
        return frozenset(found | whole)


def is_self_introduction(text: str, speaker: str | None, keys: tuple[str, ...] | None = None) -> bool:
    """The speaker saying who they are: "I'm Joe Beda", "my name is ...", "我是…". `keys`: the speaker's name
    keys if known (podquote.speakers.speaker_keys)."""
    if not speaker:
        return False
    keys = set(keys if keys is not None else speaker_keys(speaker))
    if any(match.group(1).lower() in keys for match in _INTRO.finditer(text)):
        return True
    return any(speaker[:2] in text[m.end():m.end() + 12] for m in _HAN_INTRO.finditer(text))


def mentions(text: str, keys: frozenset[str]) -> bool:
    """Whether `text` names one of the people (by a name key of theirs)."""
    lowered = text.lower()
    return any(key in lowered for key in keys)


def write_speakers(db: sqlite3.Connection) -> None:
    """Every speaker once, for `People.from_store`: reading them from 244,000 passages took 0.1 s a search."""
    db.executescript("DROP TABLE IF EXISTS speakers; CREATE TABLE speakers AS SELECT DISTINCT speaker, speaker_key "
                     "FROM passages WHERE speaker IS NOT NULL;")
