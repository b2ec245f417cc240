"""SubRip (`.srt`) subtitles: numbered, timed captions with no speakers.

Machine-made Chinese subtitles often have no punctuation at all, so the sentence is not always there to cut
on. Captions are joined into a run until a pause (a silence of `PAUSE_SECONDS` or more); a run is cut by its
sentence punctuation when it has any, and otherwise at caption boundaries near the target length.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import srt

from ..errors import UnreadableSource
from ..passage import Episode
from .base import Document, DocumentBuilder
from .damage import Block, check_last_block, quoted, read_recovering
from .turns import Cue, cue_turns, emit_turn

# People pause for about a second between statements; shorter gaps are breath within a sentence.
PAUSE_SECONDS = 1.0

_HEAD = re.compile(r"^\s*\d+\s*\r?\n\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}")
_TIMING_LINE = re.compile(r"^\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->[^\n]*$", re.M)
_TAG = re.compile(r"</?[A-Za-z][^>]*>|\{\\[^}]*\}")


def _parse(text: str, name: str) -> list[srt.Subtitle]:
    try:
        subtitles = list(srt.parse(text))
    except (srt.SRTParseError, srt.TimestampParseError) as exc:
        reason = str(exc).split("\n", 1)[0][:120]
        raise UnreadableSource(f"{name}: invalid SRT ({reason})") from None
    except Exception as exc:  # the parser's own failures on odd input must not escape as crashes
        raise UnreadableSource(f"{name}: unreadable SRT ({type(exc).__name__})") from None
    if not subtitles:
        raise UnreadableSource(f"{name}: the SRT file has no subtitles")
    # srt.parse is lenient: a garbled end time ("00:00:0x,000") parses as 0, a cut-off file as an empty cue.
    for subtitle in subtitles:
        if subtitle.end < subtitle.start:
            raise UnreadableSource(f"{name}: subtitle {subtitle.index} ends before it starts (a broken timing line)")
    if not subtitles[-1].content.strip():
        raise UnreadableSource(f"{name}: truncated SRT (the last subtitle has no text)")
    check_last_block(text, name, _block_damage)
    return subtitles


def _block_damage(block: Block, last: bool) -> tuple[int, str] | None:
    """What makes the srt library refuse a block, or read it wrongly: not one subtitle with a sane timing
    (its lenient parse reads a garbled end time as 0), or the file's last subtitle cut off before its text."""
    try:
        parsed = list(srt.parse("\n".join(block.lines) + "\n"))
    except Exception:  # SRTParseError, TimestampParseError, or the parser's own failure on odd input
        parsed = []
    # The line to name: the timing line, or where it should be (after the subtitle's number).
    timing = next((i for i, line in enumerate(block.lines) if "-->" in line), min(1, len(block.lines) - 1))
    if len(parsed) != 1:
        return timing, f"invalid SRT subtitle {quoted(block.lines[timing])}"
    if parsed[0].end < parsed[0].start:
        return timing, f"SRT subtitle {quoted(block.lines[timing])} ends before it starts"
    if last and not parsed[0].content.strip():
        return timing, "truncated SRT: the last subtitle has no text"
    return None


def _cues(text: str, subtitles: list[srt.Subtitle]) -> list[Cue]:
    """Subtitles as cues, each with its place in the file (0, 0 where it cannot be found)."""
    lines = list(_TIMING_LINE.finditer(text))
    guesses = [line.end() + 1 for line in lines] if len(lines) == len(subtitles) else [None] * len(subtitles)
    cues: list[Cue] = []
    cursor = 0
    for subtitle, guess in zip(subtitles, guesses):
        start, end = _place(text, subtitle.content, guess, cursor)
        cursor = max(cursor, end)
        words = " ".join(_TAG.sub("", subtitle.content).split())
        cues.append(Cue(subtitle.start.total_seconds(), subtitle.end.total_seconds(), words, None, start, end))
    return cues


def _place(text: str, content: str, guess: int | None, cursor: int) -> tuple[int, int]:
    """Where `content` is in `text`: after its timing line (`guess`) when it is there, else the next place from
    `cursor`. The timing lines and the parser's subtitles can disagree on odd input (a byte-order mark before a
    timing line, a timing line as a caption's text), so the guess is checked, not trusted."""
    if guess is not None and text.startswith(content, guess):
        return guess, guess + len(content)
    found = text.find(content, cursor) if content else -1
    return (found, found + len(content)) if found >= 0 else (0, 0)


class SrtReader:
    name = "srt"
    extensions = (".srt",)

    def sniff(self, text: str, path: PurePosixPath) -> float:
        return 0.95 if _HEAD.match(text.lstrip("\ufeff")) else 0.0

    def read(self, text: str, episode: Episode, path: PurePosixPath) -> Document:
        subtitles, warnings = read_recovering(text, str(path), _parse, _block_damage, "subtitle")
        episode.episode = episode.episode or path.stem
        episode.title = episode.title or path.stem
        builder = DocumentBuilder(episode)
        for turn in cue_turns(_cues(text, subtitles), pause=PAUSE_SECONDS):
            emit_turn(builder, turn, text, keep_filler=True)
        builder.document.warnings += warnings
        return builder.document
