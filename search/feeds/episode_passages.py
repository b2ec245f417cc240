"""What a feed says of an episode, applied to the passages read from its transcript or chapters.

- title, show, episode id and date come from the feed (the sidecar, podquote.feeds.sidecar);
- a speaker label is resolved against the episode's `podcast:person` names where only one person fits it
  ("Jared", "Watts" or "JW" -> "Jared Watts"); a label nobody fits stays as written, a missing one stays missing;
- a passage overlapping one of the publisher's `podcast:soundbite` moments gets the kind "soundbite";
- the link is the enclosure (else the episode page) at the passage's time, `#t=SECONDS` (Media Fragments);
- a passage without a single letter ("2025 🎉", detected as "other": its script says nothing) takes the episode's
  language (`follow --lang`, else the transcript's or the feed's) when that is one podquote tells apart (en, zh).
  Every other passage keeps the language detected from its script: a Chinese show quoting English stays en, and
  Cyrillic in it stays other.
"""

from __future__ import annotations

import re

from ..lang import UNKNOWN_LANGUAGE
from ..passage import Episode, Passage
from ..speakers import filter_key, speaker_keys
from ..timecode import media_fragment
from .sidecar import EpisodeSidecar

SOUNDBITE = "soundbite"
TOLD_APART = ("en", "zh")  # the languages podquote.lang detects; "other" is what it cannot tell
_MARKABLE = {"quote", "turn", "narration"}  # chapters stay chapters
_WORD = re.compile(r"[^\W\d_]+")


def episode_of(source: str, sidecar: EpisodeSidecar) -> Episode:
    """The Episode a reader starts from: what the feed knows, so the reader's own guesses only fill gaps."""
    names = [p["name"] for p in sidecar.persons if p.get("name")]
    return Episode(source=source, title=sidecar.title, episode=sidecar.episode, show=sidecar.show,
                   url=link_base(sidecar), date=sidecar.date, speakers={name: name for name in names})


def link_base(sidecar: EpisodeSidecar) -> str | None:
    """The audio when the feed gives it (a player seeks to `#t=`), else the episode page."""
    return sidecar.enclosure or sidecar.link


def apply_sidecar(passages: list[Passage], sidecar: EpisodeSidecar) -> None:
    """Label `passages` (in place) with the feed's episode metadata; see the module's docstring."""
    names = [p["name"] for p in sidecar.persons if p.get("name")]
    bites = [(float(b["start"]), float(b["start"]) + float(b.get("duration") or 0)) for b in sidecar.soundbites]
    base = link_base(sidecar)
    language = told_apart(sidecar.language)
    for passage in passages:
        if language and passage.lang == UNKNOWN_LANGUAGE and not any(c.isalpha() for c in passage.text):
            passage.lang = language
        passage.title = sidecar.title or passage.title
        passage.show = sidecar.show or passage.show
        passage.episode = sidecar.episode or passage.episode
        passage.date = sidecar.date or passage.date
        if base:
            passage.url = media_fragment(base, passage.start)
        if passage.speaker and names:
            name = resolve_speaker(passage.speaker, names)
            if name != passage.speaker:
                alias = passage.speaker_alias or passage.speaker
                passage.speaker = name
                passage.speaker_alias = alias if filter_key(alias) not in speaker_keys(name) else None
        if passage.kind in _MARKABLE and _in_soundbite(passage, bites):
            passage.kind = SOUNDBITE


def told_apart(language: str | None) -> str | None:
    """"en-US" -> "en", "zh-Hans" -> "zh"; None for a language podquote does not detect (its passages stay
    "other", which `search --lang other` finds)."""
    primary = (language or "").strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in TOLD_APART else None


def resolve_speaker(label: str, names: list[str]) -> str:
    """The one person `label` names: the whole name, one of its words, or its initials; else `label` itself."""
    folded = filter_key(label)
    for name in names:
        if filter_key(name) == folded:
            return name
    by_word = [name for name in names if folded in speaker_keys(name)]
    if len(by_word) == 1:
        return by_word[0]
    letters = label.replace(".", "").strip()
    if 2 <= len(letters) <= 3 and letters.isalpha() and letters.isupper():
        by_initials = [name for name in names if _initials(name) == letters]
        if len(by_initials) == 1:
            return by_initials[0]
    return label


def _initials(name: str) -> str:
    return "".join(word[0] for word in _WORD.findall(name)).upper()


def _in_soundbite(passage: Passage, bites: list[tuple[float, float]]) -> bool:
    if passage.start is None:
        return False
    start = passage.start
    end = passage.end if passage.end is not None and passage.end > start else None
    if end is None:  # a moment, not a span: inside or not
        return any(lo <= start < hi for lo, hi in bites)
    # Touching is not overlapping: a passage ending as the soundbite starts is not in it.
    return any(start < hi and end > lo for lo, hi in bites)
