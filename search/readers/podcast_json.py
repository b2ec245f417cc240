"""Podcasting 2.0 JSON transcripts: `{"version", "segments": [{"speaker", "startTime", "endTime", "body"}]}`.

The format of `<podcast:transcript type="application/json">` (podcast-namespace, transcripts/transcripts.md).
Publishers write one segment per word as often as one per sentence, so segments are joined into running text:
a speaker change always ends a turn, a segment without a speaker continues the current one, and a pause of
over `PAUSE_SECONDS` ends a sentence where no punctuation does (with no speakers at all it ends the turn, as
in Whisper JSON). Every word is a time mark, so a passage starts with its first word and ends with its last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..errors import UnreadableSource
from ..passage import Episode
from ..segment import MIN_CHARS, joiner
from .base import Document, DocumentBuilder
from .json_text import load_json, locate, seconds
from .turns import Turn, emit_turn, fill_ends

# Word timings from speech recognisers leave gaps of a few tenths of a second inside a sentence; a breath of
# over a second and a half is where an unpunctuated sentence ends.
PAUSE_SECONDS = 1.5

_SEGMENTS_HEAD = re.compile(r'^\s*\{.*"segments"\s*:\s*\[\s*\{', re.S)
# A word that ends its sentence: final punctuation, maybe inside closing quotes or brackets.
_SENTENCE_FINAL = re.compile(r"[.!?…。！？][\"'”’)\]」』）]*$")
# A segment of punctuation alone ("," or "." as its own token) belongs to the word before it.
_ATTACHED = re.compile(r"^[.,!?;:…%)\]}\"'”’」』）。，！？；：、]+$")
# An opening bracket or quote alone belongs to the word after it.
_OPENING = re.compile(r"^[(\[{“‘¿¡「『（]+$")


@dataclass(slots=True)  # an hour of word-level segments is some ten thousand of these
class Word:
    start: float | None
    end: float | None
    body: str  # as written, spacing included: a trailing line break ends a sentence
    speaker: str | None
    raw_start: int
    raw_end: int


def _segments(data: object, name: str) -> list:
    segments = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(segments, list):
        raise UnreadableSource(f'{name}: not a Podcasting 2.0 JSON transcript (no "segments" list)')
    if not segments:
        raise UnreadableSource(f"{name}: the transcript has no segments")
    return segments


def _speaker(value: object) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return " ".join(str(value).split()) or None
    return None


def _words(text: str, name: str) -> tuple[list[Word], list[str]]:
    """The segments as words (speaker carried forward), and warnings for segments read with a guess or not at all."""
    segments = _segments(load_json(text, name), name)
    words: list[Word] = []
    no_body = no_time = 0
    speaker: str | None = None
    cursor = max(text.find('"segments"'), 0)
    for index, segment in enumerate(segments):
        if not isinstance(segment, dict):
            raise UnreadableSource(f"{name}: segment {index} is not an object (found {type(segment).__name__})")
        body = segment.get("body")
        speaker = _speaker(segment.get("speaker")) or speaker
        if not isinstance(body, str) or not body.strip():
            no_body += not isinstance(body, str)
            continue
        start = seconds(segment.get("startTime"))
        no_time += start is None
        raw_start, cursor = locate(text, body, cursor)
        words.append(Word(start, seconds(segment.get("endTime")), body, speaker, raw_start, cursor))
    if not words:
        raise UnreadableSource(f"{name}: the transcript has no text (every segment's body is empty)")
    warnings = [f'{name}: {no_body} segment(s) without a "body" were skipped'] if no_body else []
    if no_time:
        warnings.append(f'{name}: {no_time} segment(s) without a usable "startTime" keep the time before them')
    return words, warnings


def _paused(before: Word, word: Word) -> bool:
    last = before.end if before.end is not None else before.start
    return last is not None and word.start is not None and word.start - last > PAUSE_SECONDS


def _separator(before: Word, word: Word, turn: Turn) -> str:
    """What joins a word to the turn: nothing at attached punctuation, a line break (always a sentence end
    for podquote.segment) after an unpunctuated pause or a body that ends its line, else a space or nothing (CJK)."""
    if _ATTACHED.match(word.body.strip()) or _OPENING.match(before.body.strip()):
        return ""
    ended = _SENTENCE_FINAL.search(before.body.rstrip())
    if before.body.rstrip(" \t").endswith("\n") or (not ended and _paused(before, word)):
        return "\n"
    return joiner(turn.text, word.body.strip())


def _turns(words: list[Word], pause_ends_turn: bool) -> list[Turn]:
    turns: list[Turn] = []
    turn: Turn | None = None
    before: Word | None = None
    for word in words:
        paused = pause_ends_turn and before is not None and _paused(before, word) and len(turn.text) >= MIN_CHARS
        if turn is None or word.speaker != turn.speaker or paused:
            carry = turn.last_time if turn is not None else None
            turn = Turn(word.speaker, carry=word.start if word.start is not None else carry)
            turns.append(turn)
        sep = _separator(before, word, turn) if turn.text else None
        offset = turn.add(word.body.strip(), word.raw_start, word.raw_end, sep=sep)
        if sep is not None:
            # Word boundaries are no better places to cut an over-long sentence than its clause marks.
            turn.breaks.pop()
        if word.start is not None:
            turn.mark(word.start, word.end, offset=offset)
        before = word
    return turns


class PodcastJsonReader:
    name = "podcast-json"
    extensions = (".json",)

    def sniff(self, text: str, path: PurePosixPath) -> float:
        head = text[:4000]
        if _SEGMENTS_HEAD.match(head) and re.search(r'"startTime"\s*:', head) and re.search(r'"body"\s*:', head):
            return 0.95
        return 0.0

    def read(self, text: str, episode: Episode, path: PurePosixPath) -> Document:
        words, warnings = _words(text, str(path))
        episode.episode = episode.episode or path.stem
        episode.title = episode.title or path.stem
        speakers = any(word.speaker for word in words)
        episode.speakers.update({w.speaker: w.speaker for w in words if w.speaker})
        builder = DocumentBuilder(episode)
        for turn in _turns(words, pause_ends_turn=not speakers):
            emit_turn(builder, turn, text, keep_filler=not speakers)
        fill_ends(builder.document.passages)
        builder.document.warnings += warnings
        return builder.document
