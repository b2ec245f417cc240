"""Whisper-style JSON transcripts: `{"text", "segments": [{"start", "end", "text", "speaker"?}], "language"?}`.

That is what openai-whisper, faster-whisper and WhisperX (with `speaker` after diarization) write. Segments
of one speaker are merged into turns; without speakers, a pause of a second or more ends a turn, as in SRT.
"""

from __future__ import annotations

import math
import re
from pathlib import PurePosixPath

from ..errors import UnreadableSource
from ..passage import Episode
from .base import Document, DocumentBuilder
from .srt_reader import PAUSE_SECONDS
from .json_text import load_json, locate
from .turns import Cue, cue_turns, emit_turn

_LOOKS_LIKE = re.compile(r'^\s*\{.*"segments"\s*:\s*\[', re.S)


def _number(value: object) -> float | None:
    """A finite, non-negative number of seconds, else None (JSON may hold NaN, Infinity, true or "1.5")."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) and value >= 0 else None


def _segments(text: str, name: str) -> list[dict]:
    data = load_json(text, name)
    segments = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(segments, list):
        raise UnreadableSource(f"{name}: not a Whisper transcript (no \"segments\" list)")
    if not segments:
        raise UnreadableSource(f"{name}: the transcript has no segments")
    return segments


def _cues(segments: list[dict], name: str, text: str) -> list[Cue]:
    cues: list[Cue] = []
    cursor = max(text.find('"segments"'), 0)  # the top-level "text" repeats every segment before this
    for index, segment in enumerate(segments):
        start = _number(segment.get("start")) if isinstance(segment, dict) else None
        if start is None or not isinstance(segment.get("text"), str):
            raise UnreadableSource(f"{name}: segment {index} has no numeric \"start\" or no \"text\"")
        speaker = segment.get("speaker")
        speaker = str(speaker).strip() or None if speaker is not None else None
        raw_start, raw_end = locate(text, segment["text"], cursor)
        cursor = raw_end
        cues.append(Cue(start, _number(segment.get("end")), segment["text"], speaker, raw_start, raw_end))
    return cues


class WhisperJsonReader:
    name = "whisper-json"
    extensions = (".json",)

    def sniff(self, text: str, path: PurePosixPath) -> float:
        head = text[:2000]
        if _LOOKS_LIKE.match(head) and '"start"' in head:
            return 0.9
        return 0.2 if head.lstrip().startswith("{") else 0.0

    def read(self, text: str, episode: Episode, path: PurePosixPath) -> Document:
        cues = _cues(_segments(text, str(path)), str(path), text)
        episode.episode = episode.episode or path.stem
        episode.title = episode.title or path.stem
        speakers = any(cue.speaker for cue in cues)
        episode.speakers.update({c.speaker: c.speaker for c in cues if c.speaker})
        builder = DocumentBuilder(episode)
        for turn in cue_turns(cues, pause=None if speakers else PAUSE_SECONDS):
            emit_turn(builder, turn, text, keep_filler=not speakers)
        return builder.document
