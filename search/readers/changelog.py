"""Changelog-style Markdown transcripts: `**Name:**` turns with sparse `\\[MM:SS\\]` timestamps.

The format, as thechangelog/transcripts writes it:
* a line starting `**Full Name:**` (or `**Name**:`) opens a turn; lines without a label continue the last
  speaker; a label may stand alone with the speech in the paragraphs after it (Changelog News);
* `**Break:**`, `**Jingle:**`, `**Outro:**` … mark music and ads, not speech: skipped, but their timestamp counts;
* timestamps are backslash-escaped brackets anywhere in a line (`\\[15:45\\]`, `\\[01:39:46.18\\]`, `\\[100:08\\]`,
  frames `\\[00:12:34:05\\]`), a few with stray backslashes or none at all; a passage starts at the nearest
  timestamp before it;
* bracketed notes (`\\[laughs\\]`, `\\[unintelligible 01:53:19.20\\]`) are not speech and their times are not
  timestamps.
The path is the only metadata: `podcast/the-changelog-375.md` is https://changelog.com/podcast/375.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePosixPath

from ..passage import Episode
from ..timecode import parse_timecode
from .annotations import replace_note
from .base import Document, DocumentBuilder, collapse_space
from .front_matter import body_start
from .markdown_inline import strip_inline
from .turns import Turn, emit_turn, fill_ends

_LABEL = re.compile(r"^\*\*(?P<label>[^*\n]{1,80}?)\s*(?::\s*\*\*|\*\*\s*:)[ \t]*(?P<rest>.*)$")
_LABEL_ANYWHERE = re.compile(r"^\*\*[^*\n]{1,80}?(?::\s*\*\*|\*\*\s*:)", re.M)
# `\[12:34\]` and notes `\[laughs\]`; the corpus also has `\[\\00:08:08.18\]` and `\[00:03:47.08\\\]`.
_ESCAPED = re.compile(r"\\+\[\\*(?P<body>[^\[\]\n]{0,200}?)\\*\\\]")
# About 16 timestamps are written without escapes, `[00:12:34.56]`; a Markdown link `[1:00](url)` is not one.
# Both forms in one pattern that opens with a character class, which lets the regex engine skip to candidates.
_BRACKETS = re.compile(
    r"[\\\[](?:(?<=\\)\\*\[\\*(?P<body>[^\[\]\n]{0,200}?)\\*\\\]"
    r"|(?<![\\\w\]]\[)(?<=\[)(?P<bare>\d{1,3}(?::\d{1,2}){1,3}(?:\.\d+)?)\](?!\())"
)
_TIME = re.compile(r"^\s*\d{1,3}(?::\s?\d{1,2}){1,3}(?:\.\d+)?\s*$")
_LINE_PREFIX = re.compile(r"^(?:\s*>)+\s?|^#{1,6}\s+|^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_MARKUP = re.compile(r"[\[\]*_<>\\`]")
_SPECIAL = re.compile(r"[\[\]*_<>\\`:]")  # _MARKUP or the colon of a URL: one class, so one fast scan
_STAR, _UNDERSCORE = "\ue000", "\ue001"  # private-use stand-ins for escaped `\*` and `\_`
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_LINE = re.compile(r"[^\n]+")

# Pseudo-speakers for music, ads and clips: no one said these words in the conversation.
_NOT_SPEECH = {"break", "jingle", "outro", "intro", "sample", "song", "song extract", "music", "ad", "sponsor"}
# Bold weekdays open list lines in Changelog News ("**Monday:** They launched …"); they are not speakers.
_NOT_SPEAKERS = re.compile(r"^(?:on\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day$", re.I)

# show directory -> (show name, file-name prefix)
_SHOWS = {
    "podcast": ("The Changelog", "the-changelog"),
    "gotime": ("Go Time", "go-time"),
    "shipit": ("Ship It!", "ship-it"),
    "jsparty": ("JS Party", "js-party"),
    "practicalai": ("Practical AI", "practical-ai"),
    "friends": ("Changelog & Friends", "changelog--friends"),
    "news": ("Changelog News", "changelog-news"),
    "founderstalk": ("Founders Talk", "founders-talk"),
    "bigtent": ("Big Tent", "big-tent"),
    "backstage": ("Backstage", "backstage"),
    "brainscience": ("Brain Science", "brain-science"),
    "rfc": ("Request For Commits", "request-for-commits"),
    "spotlight": ("Spotlight", "spotlight"),
    "afk": ("Away From Keyboard", "away-from-keyboard"),
}
_SEASON_EPISODE = re.compile(r"^s(\d+)e(\d+)$")


def episode_info(path: PurePosixPath) -> tuple[str, str, str, str | None]:
    """(episode id, show, title, url) from the trailing path components, whatever root prefix the id has."""
    show_dir, stem = (path.parts[-2] if len(path.parts) > 1 else ""), path.stem
    if show_dir not in _SHOWS:
        show_dir = next((d for d, (_, slug) in _SHOWS.items() if stem.startswith(slug + "-")), show_dir)
    show, slug = _SHOWS.get(show_dir, (show_dir or "Changelog", ""))
    token = stem[len(slug) + 1:] if slug and stem.startswith(slug + "-") else stem.rsplit("-", 1)[-1]
    token = token or stem
    season = _SEASON_EPISODE.match(token)
    if token.isdigit():
        url, title = f"https://changelog.com/{show_dir}/{token}", f"{show} #{token}"
    elif season:
        # Big Tent lives on its own site, one page per season and episode.
        url, title = f"https://bigtent.fm/s{season[1]}/{season[2]}", f"{show} {token.upper()}"
    else:
        url, title = None, f"{show}: {token}"  # bonus episodes (plusplus-ato-2024) have no public page
    return f"changelog/{show_dir or 'unknown'}/{token}", show, title, url


@lru_cache(maxsize=4096)  # a transcript repeats a handful of labels thousands of times
def speaker_name(label: str) -> str:
    """`NAME: Jerod Santo` (a labelling glitch) is Jerod Santo; emphasis and stray colons are dropped."""
    name = collapse_space(strip_inline(label)).strip(" :")
    parts = [p.strip() for p in name.split(":") if p.strip()]
    return parts[-1] if parts else name


def _time_of(body: str) -> float | None:
    if not _TIME.match(body):
        return None
    try:
        return parse_timecode(re.sub(r"\s+", "", body))
    except ValueError:
        return None


def _clean_segment(text: str) -> str:
    if "\\[" in text:
        text = _ESCAPED.sub(lambda m: replace_note(m.group("body")), text)
    # Most lines are plain speech; strip_inline's seven regex passes are only worth it when markup may be there.
    if not _MARKUP.search(text) and "://" not in text:
        return text
    if "\\*" in text or "\\_" in text:
        # An escaped star is a literal one ("s\*\*t", "\*bleep\*"): hidden from the emphasis pass, then restored.
        hidden = text.replace("\\*", _STAR).replace("\\_", _UNDERSCORE)
        return strip_inline(hidden).replace(_STAR, "*").replace(_UNDERSCORE, "_")
    return strip_inline(text)


def clean_line(line: str) -> tuple[str, list[tuple[int, float]]]:
    """A line's spoken text and its timestamps as (offset in that text, seconds)."""
    prefix = _LINE_PREFIX.match(line)
    if prefix:
        line = line[prefix.end():]
    if not _SPECIAL.search(line):
        return line, []  # six lines in seven: plain speech, no timestamp, note, link or emphasis
    parts: list[str] = []
    marks: list[tuple[int, float]] = []
    length = pos = 0
    for match in _time_tokens(line):
        seconds = _time_of(match.group("body") or match.group("bare"))
        if seconds is None:
            continue  # a note, or a broken stamp: removed with the rest of the segment's notes
        piece = _clean_segment(line[pos:match.start()])
        parts.append(piece)
        length += len(piece)
        marks.append((length, seconds))
        pos = match.end()
    parts.append(_clean_segment(line[pos:]))
    return "".join(parts), marks


def _time_tokens(line: str) -> list[re.Match]:
    return list(_BRACKETS.finditer(line)) if "[" in line else []


class _TurnCollector:
    """Turns in file order, with the speaker and clock carried from line to line."""

    def __init__(self) -> None:
        self.turns: list[Turn] = []
        self.current: Turn | None = None
        self.speaker: str | None = None
        self.clock: float | None = 0.0  # before the first timestamp, speech is at the start of the episode
        self.timed = False

    def open(self, speaker: str | None) -> None:
        self.current = Turn(speaker, carry=self.clock)
        self.turns.append(self.current)
        if speaker:
            self.speaker = speaker

    def marker(self, text: str) -> None:
        """A Break or Jingle: ends the turn; its time counts; the next unlabelled line is the last speaker's."""
        self.current = None
        for _, seconds in clean_line(text)[1]:
            self.clock, self.timed = seconds, True

    def line(self, text: str, raw_start: int, raw_end: int) -> None:
        cleaned, marks = clean_line(text)
        if self.current is None:
            self.open(self.speaker)
        offset = self.current.add(cleaned, raw_start, raw_end, sep="\n")
        for at, seconds in marks:
            self.current.mark(seconds, offset=offset + at)
            self.clock, self.timed = seconds, True


def parse_turns(text: str) -> list[Turn]:
    """The turns of a Changelog transcript, cleaned; times carried forward from the nearest timestamp."""
    text = _CONTROL.sub("", text)
    collect = _TurnCollector()
    # A transcript saved with YAML front matter: the metadata is not speech.
    for match in _LINE.finditer(text, body_start(text)):
        line = match.group()
        label = _LABEL.match(line)
        if label and not _NOT_SPEAKERS.match(label.group("label").strip()):
            name = speaker_name(label.group("label"))
            if name.lower() in _NOT_SPEECH:
                collect.marker(label.group("rest"))
                continue
            collect.open(name)
            collect.line(label.group("rest"), match.start() + label.start("rest"), match.end())
        else:
            collect.line(line, match.start(), match.end())
    if not collect.timed:
        for turn in collect.turns:
            turn.carry = None  # no timestamp anywhere: times are unknown, not zero
    return collect.turns


class ChangelogReader:
    name = "changelog"
    extensions = (".md", ".markdown")

    def sniff(self, text: str, path: PurePosixPath) -> float:
        labels = len(_LABEL_ANYWHERE.findall(text[:4000]))
        return 0.9 if labels >= 2 else 0.6 if labels == 1 else 0.0

    def read(self, text: str, episode: Episode, path: PurePosixPath) -> Document:
        episode_id, show, title, url = episode_info(path)
        episode.episode = episode.episode or episode_id
        episode.show = episode.show or show
        episode.title = episode.title or title
        episode.url = episode.url or url
        turns = parse_turns(text)
        episode.speakers.update({t.speaker: t.speaker for t in turns if t.speaker})
        builder = DocumentBuilder(episode)
        source = _CONTROL.sub("", text)
        for turn in turns:
            emit_turn(builder, turn, source)
        fill_ends(builder.document.passages)
        return builder.document
