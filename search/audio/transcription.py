"""Speech to a Transcript with faster-whisper: word timestamps, silence and music skipped by its VAD, segments
re-cut at sentence ends. faster_whisper is imported here, inside the functions, so nothing loads at import time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from ..errors import AudioUnavailable, SpeechModelUnavailable, UnusableAudio
from .model import asr_model_id, model_reference
from .transcript import Transcript, Word, cut_sentences

SAMPLE_RATE = 16_000  # what Whisper hears; decode_audio resamples to it
Progress = Callable[[float, float], None]

# One loaded WhisperModel per (model, compute type) in this process: loading takes seconds, a batch loads once.
_models: dict[tuple[str, str], object] = {}


def transcribe(path: Path, *, model: str | None = None, language: str | None = None,
               progress: Progress | None = None) -> Transcript:
    """The speech in `path` as sentences with times. progress(seconds_done, seconds_total) follows the audio.

    Raises AudioUnavailable (no audio extra, or the model cannot load) and UnusableAudio (empty file, not
    decodable, no speech found).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnusableAudio(f"cannot read the file ({exc.strerror})") from None
    if size == 0:
        raise UnusableAudio("the file is empty (0 bytes)")
    whisper = load_model(model)
    audio = decode(path)
    duration = len(audio) / SAMPLE_RATE
    if duration == 0:
        raise UnusableAudio("the file holds no audio samples")
    language = supported_language(whisper, language)
    chunks, info = whisper.transcribe(audio, language=language, word_timestamps=True, vad_filter=True)
    words = _words(chunks, duration, progress)
    segments = cut_sentences(words, duration)
    if not segments:
        raise UnusableAudio(f"no speech found in {duration:.0f} seconds of audio (silence or music only)")
    if progress:
        progress(duration, duration)
    return Transcript(segments, info.language, float(duration), asr_model_id(model))


def load_model(model: str | None = None):
    """The WhisperModel for `model` (None: settings, then the packaged model), loaded once per process."""
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise AudioUnavailable() from None
    from ..settings import get_settings

    compute_type = get_settings().asr_compute_type
    reference = model_reference(model)
    key = (reference, compute_type)
    if key not in _models:
        try:
            _models[key] = WhisperModel(reference, device="cpu", compute_type=compute_type,
                                        cpu_threads=cpu_threads())
        except (OSError, RuntimeError, ValueError) as exc:  # a missing dir, an unknown name offline, a bad type
            raise SpeechModelUnavailable(
                f"the speech model {reference} (compute type {compute_type}) cannot be loaded: "
                f"{' '.join(str(exc).split())[:300]}") from None
    return _models[key]


def supported_language(whisper, language: str | None) -> str | None:
    """`language` as Whisper names it ("en-US" -> "en"); None (detect it) when Whisper does not know it."""
    if not language:
        return None
    code = language.strip().lower().replace("_", "-")
    for candidate in (code, code.split("-")[0]):
        if candidate in whisper.supported_languages:
            return candidate
    return None


def cpu_threads() -> int:
    # Four threads is where CTranslate2's speedup flattens for a base model; fewer on a smaller machine.
    return min(4, os.cpu_count() or 1)


def decode(path: Path):
    """The audio as 16 kHz mono float samples; UnusableAudio when FFmpeg (through PyAV) cannot decode it."""
    import av
    from faster_whisper import decode_audio

    try:
        return decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except (av.error.FFmpegError, ValueError, IndexError) as exc:  # IndexError: a container without audio
        # FFmpeg's own sentence, without the path it appends (the caller names the file).
        reason = getattr(exc, "strerror", None) or str(exc).replace(str(path), "").strip(" :'") or "no audio"
        raise UnusableAudio(f"not decodable as audio ({reason})") from None


def _words(chunks, duration: float, progress: Progress | None) -> list[Word]:
    """Every word of Whisper's segments (read lazily: decoding happens as they are iterated)."""
    words: list[Word] = []
    for chunk in chunks:
        chunk_words = [word for word in chunk.words or () if word.word.strip()]
        for index, word in enumerate(chunk_words):
            last = index == len(chunk_words) - 1
            words.append(Word(float(word.start), float(word.end), word.word, last_in_chunk=last))
        if progress:
            progress(min(chunk.end, duration), duration)
    return words
