"""WebVTT captions with `<v Name>` voice tags, and the `HH:MM:SS <v Name>text` cue-text twin of them.

Talk Python's transcripts are the model: one cue per sentence or less, `<v Full Name>` opening a cue with no
closing `</v>`, a few cues without a tag (they continue the last speaker). Consecutive cues of one speaker
are merged into a turn before it is cut into quotes, so a quote is not cut where a caption line happened to
wrap; each passage keeps the start of its first cue and the end of its last.

The `.txt` files next to the `.vtt` files repeat the same cues, one line each. `CueTextReader` reads such a
file on its own; a directory walker should skip it when the `.vtt` is there (`is_cue_twin`).
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path, PurePosixPath

import webvtt
from webvtt.vtt import WebVTTCueBlock

from ..errors import UnreadableSource
from ..passage import Episode
from ..timecode import parse_timecode
from .base import Document
from .damage import Block, check_last_block, quoted, read_recovering
from .turns import Cue, cue_document

_VOICE = re.compile(r"<v(?:\.[\w.-]+)*\s+([^>]*)>")
_TAG = re.compile(r"</?[A-Za-z][^>]*>|<\d[\d:.]*>")
_TIMING_LINE = re.compile(r"^[^\n]*-->[^\n]*$", re.M)
_CUE_LINE = re.compile(r"^(?P<time>\d{1,2}:\d{2}:\d{2}(?:\.\d+)?)[ \t]+(?P<text>\S.*)$")
_TALK_PYTHON_FILE = re.compile(r"^(?P<number>\d+)(?:-(?P<slug>[\w-]+))?$")
_NOT_CUES = ("NOTE", "STYLE", "REGION")  # the blocks with no timing line that WebVTT allows


def is_cue_twin(path: Path) -> bool:
    """A `.txt` cue listing whose `.vtt` of the same name sits next to it: indexing both doubles every quote."""
    return path.suffix.lower() == ".txt" and any(
        path.with_suffix(suffix).is_file() for suffix in (".vtt", ".VTT")
    )


def voice_segments(raw: str, speaker: str | None) -> list[tuple[str | None, str]]:
    """(speaker, plain text) runs of a cue's text; text before any voice tag is the current speaker's."""
    parts = _VOICE.split(raw)
    runs = [(speaker, parts[0])]
    for name, text in zip(parts[1::2], parts[2::2]):
        speaker = name.strip() or speaker
        runs.append((speaker, text))
    return [(who, _plain(text)) for who, text in runs if _plain(text)]


def _plain(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def episode_info(path: PurePosixPath, text: str = "") -> tuple[str, str | None, str, str | None]:
    """(episode id, show, title, url); Talk Python's `NNN-slug` names give the episode page.

    A file is Talk Python's when its folders say so or, if indexed from a folder with a plain name
    (`transcripts/`), when the show names itself in the opening minutes.
    """
    match = _TALK_PYTHON_FILE.match(path.stem)
    talk_python = any("talk-python" in part or "talkpython" in part for part in path.parts[:-1])
    talk_python = talk_python or "talk python" in text[:20_000].lower()
    if match and talk_python:
        number, slug = str(int(match.group("number"))), match.group("slug")
        url = f"https://talkpython.fm/episodes/show/{number}" + (f"/{slug}" if slug else "")
        title = f"Talk Python To Me #{number}" + (f": {slug.replace('-', ' ')}" if slug else "")
        return f"talkpython/{number}", "Talk Python To Me", title, url
    return path.stem, None, path.stem, None


def _describe(episode: Episode, path: PurePosixPath, text: str) -> None:
    episode_id, show, title, url = episode_info(path, text)
    episode.episode = episode.episode or episode_id
    episode.show = episode.show or show
    episode.title = episode.title or title
    episode.url = episode.url or url


def _parse_vtt(text: str, name: str) -> list:
    try:
        captions = webvtt.from_buffer(io.StringIO(text)).captions
    except webvtt.errors.MalformedFileError:
        raise UnreadableSource(f"{name}: not a WebVTT file (no WEBVTT header or a malformed block)") from None
    except webvtt.errors.MalformedCaptionError as exc:
        raise UnreadableSource(f"{name}: invalid WebVTT cue ({exc})") from None
    except Exception as exc:  # the parser's own bugs on odd input must not escape as crashes
        raise UnreadableSource(f"{name}: unreadable WebVTT ({type(exc).__name__})") from None
    if not captions:
        raise UnreadableSource(f"{name}: the WebVTT file has no cues (truncated or invalid timings)")
    return captions


def _timing_lines(text: str, captions: list, name: str) -> list[re.Match]:
    """The timing line of every cue, which also tells a cue webvtt-py dropped silently (a broken timing line)."""
    lines = list(_TIMING_LINE.finditer(text))
    if len(lines) != len(captions):
        parsed = {c.start for c in captions}
        bad = next((m.group().strip() for m in lines if m.group().split("-->")[0].strip() not in parsed), None)
        where = f": {bad!r}" if bad else ""
        raise UnreadableSource(f"{name}: invalid WebVTT cue timing{where}")
    if not captions[-1].raw_text.strip():
        raise UnreadableSource(f"{name}: truncated WebVTT (the last cue has no text)")
    return lines


def _checked_cues(text: str, name: str) -> list[tuple]:
    """(caption, timing line) of every cue; UnreadableSource for any damage."""
    captions = _parse_vtt(text, name)
    timed = list(zip(captions, _timing_lines(text, captions, name)))
    check_last_block(text, name, _block_damage)
    return timed


def _block_damage(block: Block, last: bool) -> tuple[int, str] | None:
    """What makes webvtt-py drop or refuse a block: a `-->` line that is no cue timing, a cue block of the wrong
    shape, or the file's last cue cut off before its text."""
    for index, line in enumerate(block.lines):
        if "-->" in line and not WebVTTCueBlock.CUE_TIMINGS_PATTERN.match(line):
            return index, f"invalid WebVTT cue timing {quoted(line)}"
    if any("-->" in line for line in block.lines) and not WebVTTCueBlock.is_valid(block.lines):
        return 0, f"invalid WebVTT cue {quoted(block.lines[0])}"
    if last and "-->" in block.lines[-1]:
        return len(block.lines) - 1, "truncated WebVTT: the last cue has no text"
    if last and not any("-->" in line for line in block.lines) and not block.lines[0].startswith(_NOT_CUES):
        return 0, f"truncated WebVTT: the last lines are no cue {quoted(block.lines[0])}"
    return None


def _read_cues(text: str, name: str) -> tuple[list[tuple], list[str]]:
    """The cues of a file and warnings; a damaged file keeps the cues before the damage (podquote.readers.damage)."""
    if not text.lstrip("\ufeff").startswith("WEBVTT"):  # not WebVTT at all: nothing to keep if it fails
        return _checked_cues(text, name), []
    return read_recovering(text, name, _checked_cues, _block_damage, "cue", skip=1)  # skip the WEBVTT header


class WebVTTReader:
    name = "webvtt"
    extensions = (".vtt",)

    def sniff(self, text: str, path: PurePosixPath) -> float:
        return 0.95 if text.lstrip("\ufeff").startswith("WEBVTT") else 0.0

    def read(self, text: str, episode: Episode, path: PurePosixPath) -> Document:
        timed, warnings = _read_cues(text, str(path))
        _describe(episode, path, text)
        cues: list[Cue] = []
        speaker: str | None = None
        for caption, line in timed:
            raw_start = line.end() + 1
            raw_end = raw_start + len(caption.raw_text)
            # in_seconds() drops the milliseconds; a quote's time should not.
            start, end = caption.start_time.in_milliseconds() / 1000, caption.end_time.in_milliseconds() / 1000
            for speaker, words in voice_segments(caption.raw_text, speaker):
                cues.append(Cue(start, end, words, speaker, raw_start, raw_end))
        document = cue_document(episode, cues, text)
        document.warnings += warnings
        return document


class CueTextReader:
    """`HH:MM:SS <v Name>text` lines (Talk Python's `.txt`); a line may hold several voice runs."""

    name = "cue-text"
    extensions = (".txt",)

    def sniff(self, text: str, path: PurePosixPath) -> float:
        lines = [line for line in text[:4000].split("\n") if line.strip()]
        timed = sum(1 for line in lines if _CUE_LINE.match(line))
        if not lines or timed < 2 or timed / len(lines) < 0.8:
            return 0.0
        return 0.85 if "<v " in text[:4000] else 0.7

    def read(self, text: str, episode: Episode, path: PurePosixPath) -> Document:
        _describe(episode, path, text)
        cues: list[Cue] = []
        speaker: str | None = None
        for match in re.finditer(r"[^\n]+", text):
            line = _CUE_LINE.match(match.group())
            if not line:
                if cues and match.group().strip():  # a cue's text wrapped onto a second line
                    cues[-1].text += " " + _plain(match.group())
                    cues[-1].raw_end = match.end()
                continue
            start = parse_timecode(line.group("time"))
            at = match.start() + line.start("text")
            for speaker, words in voice_segments(line.group("text"), speaker):
                cues.append(Cue(start, None, words, speaker, at, match.end()))
        if not cues:
            raise UnreadableSource(f"{path}: no `HH:MM:SS text` cue lines")
        return cue_document(episode, cues, text)
