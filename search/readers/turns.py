"""What transcript readers share: a speaker's turn as cleaned text with times and source offsets, cut into passages.

A reader parses its format into `Turn`s: the cleaned words of one speaker, the times known inside the turn
(`Mark`s: a timestamp in Changelog Markdown, a cue in WebVTT) and where each piece came from in the file.
`emit_turn` then cuts the turn with `podquote.segment.cut_turn` and adds one passage per span, so all formats
share one notion of a quote, one way to time it and one way to point back into the file.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from ..passage import Episode, Passage
from ..segment import MIN_CHARS, cut_turn, is_filler, joiner
from ..timecode import media_fragment
from .base import Document, DocumentBuilder

_WORD = re.compile(r"\S{1,24}")


@dataclass(slots=True)
class Mark:
    """A time known at `offset` of the turn text: from here on, speech starts at `start` (and ends at `end`)."""

    offset: int
    start: float | None
    end: float | None = None


@dataclass(slots=True)
class Piece:
    """A run of turn text, from `offset`, cleaned from the file characters raw_start..raw_end."""

    offset: int
    raw_start: int
    raw_end: int
    end: int = 0  # where it ends in the turn text


@dataclass(slots=True)  # a corpus makes hundreds of thousands of these
class Turn:
    speaker: str | None
    carry: float | None = None  # the time known before the turn's first mark
    text: str = ""
    pieces: list[Piece] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    breaks: list[int] = field(default_factory=list)  # offsets where an over-long sentence may be cut first
    # Offsets of pieces and marks, kept alongside for bisection.
    _piece_offsets: list[int] = field(default_factory=list, repr=False)
    _mark_offsets: list[int] = field(default_factory=list, repr=False)

    def add(self, text: str, raw_start: int, raw_end: int, sep: str | None = None) -> int:
        """Append cleaned text; returns the offset where it starts. `sep` defaults to a space (none between CJK)."""
        if self.text:
            glue = joiner(self.text, text) if sep is None else sep
            self.text += glue
            self.breaks.append(len(self.text))
        offset = len(self.text)
        self.text += text
        self.pieces.append(Piece(offset, raw_start, raw_end, len(self.text)))
        self._piece_offsets.append(offset)
        return offset

    def mark(self, start: float | None, end: float | None = None, offset: int | None = None) -> None:
        """A time known from `offset` (default: the end of the text so far) on; marks come in text order."""
        offset = len(self.text) if offset is None else offset
        self.marks.append(Mark(offset, start, end))
        self._mark_offsets.append(offset)

    @property
    def last_time(self) -> float | None:
        """The time to carry into the next turn."""
        return self.marks[-1].start if self.marks else self.carry

    def times(self, lo: int, hi: int) -> tuple[float | None, float | None]:
        """Start and end of the span lo..hi: the last time known at lo, the end known before hi."""
        at_start = bisect_right(self._mark_offsets, lo) - 1
        start = self.marks[at_start].start if at_start >= 0 else self.carry
        at_end = bisect_right(self._mark_offsets, hi - 1) - 1
        end = self.marks[at_end].end if at_end >= 0 else None
        return start, end

    def marks_within(self, lo: int, hi: int) -> tuple[tuple[int, float], ...]:
        """(offset from lo, seconds) of the timed marks strictly inside lo..hi: Passage.marks."""
        inside = self.marks[bisect_right(self._mark_offsets, lo):bisect_right(self._mark_offsets, hi - 1)]
        return tuple((m.offset - lo, m.start) for m in inside if m.start is not None)

    def raw_span(self, lo: int, hi: int, source: str) -> tuple[int, int]:
        """Where the span lo..hi of the turn text lies in the file text, found by its first and last words.

        Cleaning only removes characters, so a cleaned character never sits before its place in the file:
        searching forward from the estimate finds it. If markup hides the word, the estimate is kept.
        """
        first, last = self._piece_at(lo), self._piece_at(hi - 1)
        if lo == first.offset and hi == last.end:
            return first.raw_start, last.raw_end  # whole pieces, as most passages are: nothing to search
        est = min(first.raw_start + lo - first.offset, first.raw_end)
        word = _WORD.match(self.text, lo)
        raw_lo = source.find(word.group(), est, first.raw_end) if word else -1
        raw_lo = est if raw_lo < 0 else raw_lo
        est_hi = min(last.raw_start + hi - last.offset, last.raw_end)
        tail = self.text[max(lo, hi - 24):hi].split()
        raw_hi = -1
        if tail:
            found = source.find(tail[-1], max(raw_lo, est_hi - len(tail[-1])), last.raw_end)
            raw_hi = found + len(tail[-1]) if found >= 0 else -1
        raw_hi = est_hi if raw_hi < 0 else raw_hi
        return raw_lo, max(raw_lo, raw_hi)

    def _piece_at(self, offset: int) -> Piece:
        index = bisect_right(self._piece_offsets, offset) - 1
        return self.pieces[max(index, 0)]


def emit_turn(
    builder: DocumentBuilder, turn: Turn, source: str, *, keep_filler: bool = False, kind: str | None = None,
    speaker_alias: str | None = None,
) -> list[Passage]:
    """Add the passages of one turn. Returns what was added.

    Kind: "quote" when the speaker is known, "turn" for speech by someone unnamed (captions without speakers),
    unless the reader says otherwise ("narration" for show-notes prose).
    A turn that is only backchannel ("Yeah.", "Mm-hmm.") is dropped: it matches every query about nothing,
    and the conversation around it keeps its time. Readers with no speaker labels keep it (`keep_filler`),
    since there it may be the end of someone's sentence. `speaker_alias`: see Passage.speaker_alias.
    """
    if not turn.text.strip() or (not keep_filler and is_filler(turn.text)):
        return []
    kind = kind or ("quote" if turn.speaker else "turn")
    url = builder.document.episode.url
    added: list[Passage] = []
    for lo, hi in cut_turn(turn.text, breaks=turn.breaks):
        start, end = turn.times(lo, hi)
        passage = builder.add(
            turn.text[lo:hi], kind, speaker=turn.speaker, speaker_alias=speaker_alias, start=start, end=end,
            url=media_fragment(url, start), span=turn.raw_span(lo, hi, source), marks=turn.marks_within(lo, hi),
        )
        if passage:
            added.append(passage)
    return added


def fill_ends(passages: list[Passage]) -> None:
    """Where only start times are known, a passage ends when the next later time begins."""
    following: float | None = None
    run_start: float | None = None
    for passage in reversed(passages):
        if passage.start is None:
            continue
        if passage.start != run_start:
            following, run_start = run_start, passage.start
        if passage.end is None and following is not None and following > passage.start:
            passage.end = following


@dataclass(slots=True)
class Cue:
    """One timed caption: a WebVTT cue, an SRT subtitle, a Whisper segment."""

    start: float
    end: float | None
    text: str
    speaker: str | None = None
    raw_start: int = 0
    raw_end: int = 0


def cue_turns(cues: list[Cue], *, pause: float | None = None) -> list[Turn]:
    """Consecutive cues of one speaker merged into turns, each cue a time mark at its place in the turn text.

    With `pause`, a silence at least that long also ends a turn (for captions without speakers), once the turn
    holds a statement's worth of text; a shorter piece runs on into the next words.
    """
    turns: list[Turn] = []
    current: Turn | None = None
    last_end: float | None = None
    for cue in cues:
        text = cue.text.strip()
        if not text:
            continue
        paused = (
            pause is not None and last_end is not None and cue.start - last_end >= pause
            and current is not None and len(current.text) >= MIN_CHARS
        )
        if current is None or cue.speaker != current.speaker or paused:
            current = Turn(cue.speaker, carry=cue.start)
            turns.append(current)
        offset = current.add(text, cue.raw_start, cue.raw_end)
        current.mark(cue.start, cue.end, offset=offset)
        last_end = cue.end if cue.end is not None else cue.start
    return turns


def cue_document(episode: Episode, cues: list[Cue], text: str) -> Document:
    """A timed transcript's cues as passages: turns of one speaker cut into quotes, each ending where the next
    starts. Unattributed cues keep their filler (there is no speaker whose turn a filler would interrupt)."""
    builder = DocumentBuilder(episode)
    turns = cue_turns(cues)
    episode.speakers.update({t.speaker: t.speaker for t in turns if t.speaker})
    for turn in turns:
        emit_turn(builder, turn, text, keep_filler=turn.speaker is None)
    fill_ends(builder.document.passages)
    return builder.document
