"""Audio to timed transcripts (the `audio` extra: faster-whisper and the packaged Whisper base model).

Importing this package is cheap: faster_whisper and the model load inside transcribe(), on first use.
"""

from ..errors import AudioUnavailable, SpeechModelUnavailable, UnusableAudio
from .model import asr_model_id
from .transcript import AUDIO_EXTENSIONS, Segment, Transcript
from .transcript_formats import to_podcast_json, to_webvtt
from .transcription import transcribe

__all__ = [
    "AUDIO_EXTENSIONS",
    "AudioUnavailable",
    "Segment",
    "SpeechModelUnavailable",
    "Transcript",
    "UnusableAudio",
    "asr_model_id",
    "to_podcast_json",
    "to_webvtt",
    "transcribe",
]
