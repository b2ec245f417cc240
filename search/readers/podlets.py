"""The Podlets transcripts: YAML front matter, then `[0:00:08.7] XX: text` turns labelled with initials.

The front matter names the hosts and guests; the turns only carry initials, and not always the same ones
(`CC` is Carlisia Thompson, `D` and `DC` are both Duffie Cooley, `MICHAEL` is Michael Gasch). `resolve_speakers`
turns a label into a full name only by rules that cannot pick the wrong person among those named; a label
no rule settles is kept as written. A resolved label stays on its passages as `speaker_alias`, so the speaker
filter finds `CC` as well as `carlisia`.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

from ..passage import Episode
from ..speakers import speaker_keys
from ..timecode import parse_timecode
from .annotations import is_nonverbal
from .base import Document, DocumentBuilder
from .front_matter import has_front_matter, split_front_matter, text_field
from .markdown_inline import strip_inline
from .turns import Turn, emit_turn, fill_ends

_TIME = r"\d{1,2}:\d{2}:\d{2}(?:\.\d+)?"
# `[0:00:08.7] CC: text`, tolerating the corpus's slips: `[0:13:32.9 DC:`, `[0:19:19.6]:19.3] NNL:`, `NL Yeah`.
_TURN = re.compile(
    rf"^\[(?P<time>{_TIME})(?:\][^\s\]]*)?\]?\s*(?P<label>[A-Z][A-Z]*)(?:(?P<colon>:)\s*|\s+)(?P<text>.*)$"
)
_TIMED = re.compile(rf"^\[(?P<time>{_TIME})\]\s*(?P<text>.*)$")
_TURN_ANYWHERE = re.compile(rf"^\[{_TIME}\]\s*[A-Z]+:", re.M)
_SECTION = re.compile(r"^\[(?P<name>[A-Z][A-Z ]*[A-Z])\]\s*$")
_EPISODE_LINE = re.compile(r"^(?:BONUS\s+)?EPISODE\s+\d+\s*$")
_NOTE = re.compile(r"\[(?P<body>[^\[\]\n]{1,80})\](?!\()")
_MARKUP_CHARS = frozenset("[]*_<>\\`")
_LINE = re.compile(r"[^\n]+")

_ANNOUNCER = "ANNOUNCER"
# Spoken self-introductions: "I am Josh Rosso", "my name is Nicholas", "Jed Salazar here", and a host who names
# the others, then "and me, <name>" ("me, <name>" alone is too often "tell me, <name>").
_NAME = r"(?P<name>[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,2})"
_INTRODUCTIONS = [
    re.compile(rf"\b(?:I am|I'm|I’m|[Mm]y name is|[Tt]his is|myself,?(?:\s+on,?)?|[Aa]nd me,)\s+{_NAME}"),
    re.compile(rf"(?:^|[.!?]\s+|,\s*){_NAME}\s+here\b"),
]
# How many turns before a label's first words may introduce its speaker ("We have Josh and Carlisia and
# Patrick Barker." / "PB: Hey" / "CC: Glad to be here.").
_LOOK_BACK = 3
_FULL_NAME = re.compile(r"\b[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){1,2}\b")
_INITIALS_LABEL = re.compile(r"^[A-Z]{2,3}$")


def _fold(name: str) -> str:
    """Accents and case folded away: "Kris Nova" is "Kris Nóva"."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def _initials(name: str) -> str:
    return "".join(part[0] for part in name.split() if part[:1].isalpha()).upper()


def _people(front: dict) -> list[str]:
    names: list[str] = []
    for key in ("hosts", "guests"):
        listed = front.get(key)
        for person in listed if isinstance(listed, list) else []:
            name = person.get("name") if isinstance(person, dict) else person
            if isinstance(name, str) and name.strip() and name.strip() not in names:
                names.append(name.strip())
    return names


def _unique(candidates: list[str]) -> str | None:
    found = list(dict.fromkeys(candidates))
    return found[0] if len(found) == 1 else None


def _introduced_name(label: str, texts: list[str], people: list[str]) -> str | None:
    """The name a speaker gives for themself, matched to the front matter, or kept when its initials fit."""
    for text in texts:
        for pattern in _INTRODUCTIONS:
            for match in pattern.finditer(text):
                said = match.group("name")
                person = _unique([p for p in people if _fold(p) == _fold(said)]) or _unique(
                    [p for p in people if " " not in said and _fold(p.split()[0]) == _fold(said)]
                )
                if person:
                    return person
                if len(said.split()) > 1 and _initials(said) == label:
                    return said  # a guest missing from the front matter ("Jed Salazar here" by JS)
    return None


def _without_doubled_letter(label: str) -> set[str]:
    """`CCC` -> {`CC`}, `NNL` -> {`NL`}: a key pressed twice."""
    return {label[:i] + label[i + 1:] for i in range(1, len(label)) if label[i] == label[i - 1]}


def resolve_speakers(turns: list[Turn], people: list[str]) -> dict[str, str]:
    """Label -> full name, for the labels that can be resolved safely; the others are left out."""
    labels = list(dict.fromkeys(t.speaker for t in turns if t.speaker))
    texts = {label: [t.text for t in turns if t.speaker == label] for label in labels}
    names: dict[str, str] = {}
    for label in labels:
        name = (
            ("Announcer" if label == _ANNOUNCER else None)
            or _unique([p for p in people if _initials(p) == label])
            or _introduced_name(label, texts[label], people)
            or (_unique([p for p in people if _fold(p.split()[0]) == _fold(label)]) if len(label) > 2 else None)
            or (_unique([p for p in people if p[0].upper() == label]) if len(label) == 1 else None)
        )
        if name:
            names[label] = name
    _resolve_answers(turns, labels, people, names)
    _resolve_last_listed(labels, people, names)
    for label in labels:
        if label not in names:
            typo = _unique([names[k] for k in _without_doubled_letter(label) if k in names])
            if typo:
                names[label] = typo
    return names


def _resolve_answers(turns: list[Turn], labels: list[str], people: list[str], names: dict[str, str]) -> None:
    """A host names a guest, and the guest's first words follow: "And joining us, we have John Harris." / "JH: Hey".

    Only for a label's first turn, when the few turns before it name exactly one fitting person: an unclaimed
    front-matter person whose first initial is the label's, or any full name whose initials are the label.
    """
    claimed = set(names.values())
    for label in labels:
        if label in names:
            continue
        first = next(i for i, t in enumerate(turns) if t.speaker == label)
        said = " ".join(t.text for t in turns[max(0, first - _LOOK_BACK):first] if t.speaker not in (None, label))
        folded = _fold(said)
        person = _unique([
            p for p in people
            if p not in claimed and p[0].upper() == label[0]
            and re.search(rf"\b{re.escape(_fold(p.split()[0]))}\b", folded)
        ]) or _unique([name for name in _FULL_NAME.findall(said) if _initials(name) == label])
        if person:
            names[label] = person
            claimed.add(person)


def _resolve_last_listed(labels: list[str], people: list[str], names: dict[str, str]) -> None:
    """Initials no other rule settled, when the header lists exactly one person nobody's label claimed with their
    first letter, and no other unsettled label starts with it: that person, the only one left to have spoken.

    For a host whose label is not the initials of the listed name (the label kept from another surname) and who
    never says their name. A second candidate either way keeps the initials. It trusts the header to list who
    speaks: an unlisted, never-introduced guest sharing a letter with a listed host who stays silent would be
    given that host's name.
    """
    claimed = set(names.values())
    unsettled = [label for label in labels if label not in names]
    for label in unsettled:
        if not _INITIALS_LABEL.match(label) or sum(other[0] == label[0] for other in unsettled) > 1:
            continue
        person = [p for p in people if p not in claimed and _initials(p)[:1] == label[0]]
        if len(person) == 1:
            names[label] = person[0]


def _alias(label: str | None, name: str | None) -> str | None:
    """The label as the transcript wrote it, when the name's keys lack it: `--speaker CC` keeps finding CC's turns."""
    return label if label and name and label.lower() not in speaker_keys(name) else None


def _clean(text: str) -> str:
    if "[" in text:
        text = _NOTE.sub(lambda m: "" if is_nonverbal(m.group("body")) else m.group(), text)
    if _MARKUP_CHARS.isdisjoint(text) and "://" not in text:
        return text
    return strip_inline(text)


def _watch_url(video: str | None) -> str | None:
    """A YouTube embed URL as its watch page: a page people can open, and one that takes a start time."""
    if not video:
        return None
    match = re.match(r"^https?://(?:www\.)?youtube(?:-nocookie)?\.com/embed/([\w-]+)", video)
    return f"https://www.youtube.com/watch?v={match.group(1)}" if match else video


def parse_turns(text: str, body_start: int = 0) -> list[Turn]:
    """Turns of the transcript body; every turn carries the time of its timestamp (0 before the first one)."""
    turns: list[Turn] = []
    current: Turn | None = None
    clock = 0.0
    speaker: str | None = None
    known = set(re.findall(r"^\[[^\]\n]*\]\s*([A-Z]+):", text[body_start:], re.M))
    seen: set[str] = set()
    repeating = False
    for match in _LINE.finditer(text, body_start):
        line = match.group().rstrip()
        if not line:
            continue
        if line.startswith("["):
            # A timed line seen before is the transcript pasted again (002 holds its first half three times):
            # skip it and its paragraphs, or every quote would be indexed twice and time would run backwards.
            repeating = line in seen and bool(_TIMED.match(line) or _TURN.match(line))
            seen.add(line)
        if repeating:
            current = None
            continue
        section = _SECTION.match(line)
        if section or _EPISODE_LINE.match(line):
            current = None
            if section and section.group("name") == _ANNOUNCER:
                speaker = _ANNOUNCER  # the announcer's words follow without a label
            continue
        turn = _TURN.match(line)
        timed = None
        if turn and (turn.group("colon") or turn.group("label") in known):
            clock, speaker = parse_timecode(turn.group("time")), turn.group("label")
            current = Turn(speaker, carry=clock)
            turns.append(current)
            body, at = turn.group("text"), match.start() + turn.start("text")
        else:
            timed = _TIMED.match(line)
            if current is None:
                current = Turn(speaker, carry=clock)
                turns.append(current)
            body, at = (timed.group("text"), match.start() + timed.start("text")) if timed else (line, match.start())
        offset = current.add(_clean(body), at, match.start() + len(line), sep="\n")
        if timed:
            clock = parse_timecode(timed.group("time"))
            current.mark(clock, offset=offset)
    return turns


class PodletsReader:
    name = "podlets"
    extensions = (".md", ".markdown")

    def sniff(self, text: str, path: PurePosixPath) -> float:
        turns = len(_TURN_ANYWHERE.findall(text[:40_000]))
        if turns < 2:
            return 0.0
        return 0.95 if has_front_matter(text) else 0.85

    def read(self, text: str, episode: Episode, path: PurePosixPath) -> Document:
        front, body_start = split_front_matter(text, str(path))
        number = front.get("episode_number")
        leading = re.match(r"^(\d+)", path.stem)
        token = str(number) if isinstance(number, int) else (str(int(leading.group(1))) if leading else path.stem)
        episode.episode = episode.episode or f"podlets/{token}"
        episode.alias = text_field(front, "episode_id")
        episode.show = episode.show or "The Podlets"
        episode.title = episode.title or text_field(front, "title") or path.stem
        episode.url = episode.url or _watch_url(text_field(front, "video")) or text_field(front, "url")
        episode.date = episode.date or text_field(front, "date")
        turns = parse_turns(text, body_start)
        names = resolve_speakers(turns, _people(front))
        episode.speakers.update({t.speaker: names.get(t.speaker, t.speaker) for t in turns if t.speaker})
        builder = DocumentBuilder(episode)
        for turn in turns:
            label, turn.speaker = turn.speaker, names.get(turn.speaker, turn.speaker)
            emit_turn(builder, turn, text, speaker_alias=_alias(label, turn.speaker))
        fill_ends(builder.document.passages)
        return builder.document
