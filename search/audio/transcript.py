"""What speech recognition gives back: timed segments cut at sentence ends, with no speaker (Whisper does not
say who speaks, and podquote does not guess)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Containers faster-whisper (through PyAV/FFmpeg) decodes; `podquote index` walks these as audio.
AUDIO_EXTENSIONS = frozenset({".mp3", ".m4a", ".ogg", ".opus", ".wav", ".flac"})

# A word that ends its sentence: final punctuation, maybe inside closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’)\]」』）]*$")
# Whisper leaves some sentences unpunctuated; past this many seconds a segment ends where Whisper's own does.
MAX_SEGMENT_SECONDS = 30.0


@dataclass(frozen=True)
class Segment:
    start: float  # seconds: the start of its first word
    end: float  # seconds: the end of its last word
    text: str


@dataclass(frozen=True)
class Transcript:
    segments: tuple[Segment, ...]
    language: str  # as Whisper detected it (or was told): "en", "zh", ...
    duration: float  # seconds of audio
    model: str  # asr_model_id() of the model that heard it


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str  # as Whisper spells it, leading space included
    last_in_chunk: bool = False  # the last word of one of Whisper's own segments


def cut_sentences(words: list[Word], duration: float) -> tuple[Segment, ...]:
    """Group words into sentences; times kept inside [0, duration] and never going back."""
    segments: list[Segment] = []
    group: list[Word] = []
    for word in words:
        group.append(word)
        ends = _SENTENCE_END.search(word.text.strip()) is not None
        too_long = word.last_in_chunk and word.end - group[0].start >= MAX_SEGMENT_SECONDS
        if ends or too_long:
            _close(group, segments, duration)
            group = []
    _close(group, segments, duration)
    return tuple(segments)


def _close(group: list[Word], segments: list[Segment], duration: float) -> None:
    text = "".join(word.text for word in group).strip()
    if not text:
        return
    floor = segments[-1].end if segments else 0.0
    start = min(max(group[0].start, floor), duration)
    end = min(max(group[-1].end, start), duration)
    segments.append(Segment(round(start, 3), round(end, 3), " ".join(text.split())))
