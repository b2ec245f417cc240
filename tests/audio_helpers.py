"""Test audio made at test time: English speech from espeak-ng with known sentence start times, and the bad
files an audio batch must survive (zero bytes, random bytes, ten minutes of silence). Nothing here is checked in.

espeak-ng is a Debian package (`apt-get install espeak-ng`); .ci/run installs it.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

ESPEAK = shutil.which("espeak-ng") or "/usr/bin/espeak-ng"
RATE = 22050  # espeak-ng writes 22.05 kHz, 16-bit mono; the whole clip keeps that rate
GAP = 0.7  # seconds of silence between sentences, long enough for VAD and for a sentence end

# Plain, common English words: Whisper base hears them well when espeak-ng reads them (names do not survive).
SCRIPT = (
    "The morning train was late again, so we walked to the office together.",
    "Good coffee makes a long meeting feel much shorter than it really is.",
    "Our team moved the old computers into a new building last spring.",
    "Every backup should be tested long before the day you need it.",
    "The weather was cold, but the people at the conference were very friendly.",
)


@dataclass(frozen=True)
class Speech:
    """A wav of `sentences`, where sentence i is heard from starts[i] to ends[i] seconds (speech, not silence)."""

    path: Path
    sentences: tuple[str, ...]
    starts: tuple[float, ...]
    ends: tuple[float, ...]
    duration: float

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def make_speech(folder: Path, sentences: tuple[str, ...] = SCRIPT, name: str = "speech.wav",
                speed: int = 150) -> Speech:
    """Synthesise each sentence to its own wav with espeak-ng and join them with GAP seconds of silence, so the
    start of every sentence is known to the sample (first and last loud sample of each part)."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = [_say(sentence, folder / f".{name}.{i}.wav", speed) for i, sentence in enumerate(sentences)]
    samples, starts, ends = array("h"), [], []
    gap = array("h", bytes(2 * int(GAP * RATE)))
    for part in parts:
        samples.extend(gap)
        first, last = _loud_span(part)
        starts.append((len(samples) + first) / RATE)
        ends.append((len(samples) + last) / RATE)
        samples.extend(part)
    samples.extend(gap)
    path = folder / name
    write_wav(path, samples, RATE)
    return Speech(path, tuple(sentences), tuple(starts), tuple(ends), len(samples) / RATE)


def _say(text: str, out: Path, speed: int) -> array:
    if not Path(ESPEAK).exists():
        raise RuntimeError("these tests make their audio with espeak-ng: apt-get install espeak-ng")
    subprocess.run([ESPEAK, "-v", "en-us", "-s", str(speed), "-w", str(out), text], check=True,
                   capture_output=True)
    with wave.open(str(out)) as wav:
        # The join below assumes every part has the clip's format.
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, RATE), wav.getparams()
        samples = array("h", wav.readframes(wav.getnframes()))
    out.unlink()
    return samples


def _loud_span(samples: array, threshold: int = 500) -> tuple[int, int]:
    """Index of the first and last sample louder than `threshold`: where speech begins and ends in a part."""
    loud = [i for i, value in enumerate(samples) if abs(value) > threshold]
    return (loud[0], loud[-1]) if loud else (0, len(samples))


def write_wav(path: Path, samples: array, rate: int) -> Path:
    """16-bit mono PCM wav of `samples` at `rate` Hz."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return path


def encode(wav: Path, suffix: str = ".mp3") -> Path:
    """`wav` re-encoded beside it (".mp3", ".m4a", ".flac", ".opus") with PyAV, which the audio extra installs:
    the compressed formats podcasts ship, from the same known speech."""
    import av
    import numpy

    codecs = {".mp3": ("mp3", RATE), ".m4a": ("aac", RATE), ".flac": ("flac", RATE), ".opus": ("libopus", 48_000)}
    codec, rate = codecs[suffix]
    with wave.open(str(wav)) as source:
        frame = av.AudioFrame.from_ndarray(
            numpy.frombuffer(source.readframes(source.getnframes()), dtype=numpy.int16).reshape(1, -1),
            format="s16", layout="mono")
        frame.sample_rate = source.getframerate()
    path = wav.with_suffix(suffix)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        for chunk in av.AudioResampler(format="s16", layout="mono", rate=rate).resample(frame):
            out.mux(stream.encode(chunk))
        out.mux(stream.encode(None))
    return path


def zero_byte_audio(folder: Path, name: str = "empty.mp3") -> Path:
    """An audio file name with nothing in it."""
    path = folder / name
    path.write_bytes(b"")
    return path


def broken_audio(folder: Path, name: str = "broken.mp3", size: int = 64_000) -> Path:
    """Random bytes (fixed seed) named .mp3: no decoder can read them."""
    path = folder / name
    path.write_bytes(random.Random(20).randbytes(size))
    return path


def silent_audio(folder: Path, name: str = "silence.wav", seconds: float = 600.0) -> Path:
    """`seconds` of digital silence, 16 kHz mono wav (ten minutes by default): valid audio with no speech."""
    rate = 16_000
    return write_wav(folder / name, array("h", bytes(2 * int(seconds * rate))), rate)


# Run as `python -c WITHOUT_FASTER_WHISPER podquote-args...`: the podquote CLI in a process where faster-whisper
# cannot be imported, as when the audio extra is not installed (no mocking of podquote's own code).
WITHOUT_FASTER_WHISPER = """
import importlib.abc, sys
class NoFasterWhisper(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "faster_whisper":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, NoFasterWhisper())
from podquote.cli import main
sys.argv = ["podquote", *sys.argv[1:]]
main()
"""
