#!/usr/bin/env python3
"""Benchmark speech recognition (podquote.audio, the audio extra): real-time factor, model load time and peak
RSS of the packaged Whisper base, with compute type int8 (podquote's default) and CTranslate2's "default".

The speech is made at run time: espeak-ng reads the spoken lines of a Podlets transcript from the shared corpus
(../shared/corpus/thepodlets/site/_episodes/004-observability.md by default, read here, never copied), cut to
about --minutes of audio at espeak-ng's 150 words per minute. Each compute type runs in its own Python process,
so its peak RSS (resource.getrusage ru_maxrss, and /proc VmHWM) is its own; the parent stays small (it imports
neither numpy nor faster-whisper) because Linux carries a parent's high-water mark into the child's ru_maxrss.
Threads: min(4, cpu_count), as `podquote transcribe` uses. WER against the text read is shown as a sanity check
of each compute type's accuracy (espeak-ng's voice, not a human one).

    scripts/bench_audio.py                                  # 5 minutes of speech, int8 and default: ~4 minutes
    scripts/bench_audio.py --minutes 1 --json bench-results/audio.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_TEXT = PROJECT.parent / "shared" / "corpus" / "thepodlets" / "site" / "_episodes" / "004-observability.md"
WORDS_PER_MINUTE = 150  # espeak-ng -s 150
_SPOKEN_LINE = re.compile(r"^\[\d+:\d\d:\d\d(?:\.\d+)?\]\s*[^:]{1,40}:\s*(.+)$")


def spoken_text(path: Path, words: int) -> str:
    """The first `words` words said in a Podlets transcript (timestamps, speaker labels and [notes] dropped)."""
    said: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _SPOKEN_LINE.match(line.strip())
        if match:
            said.extend(re.sub(r"\[[^\]]*\]", " ", match.group(1)).split())
        if len(said) >= words:
            break
    return " ".join(said[:words])


def make_speech(text: str, folder: Path) -> tuple[Path, float]:
    script, audio = folder / "script.txt", folder / "speech.wav"
    script.write_text(text, encoding="utf-8")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", str(WORDS_PER_MINUTE), "-w", str(audio), "-f", str(script)],
                   check=True, capture_output=True)
    with wave.open(str(audio)) as wav:
        return audio, wav.getnframes() / wav.getframerate()


def measure(audio: Path, compute_type: str) -> dict:
    """In this (child) process: load the model, transcribe, report times and memory."""
    import resource

    from benchkit import peak_rss

    from podquote.audio import transcribe
    from podquote.audio.model import packaged_model_dir
    from podquote.audio.transcription import cpu_threads, load_model

    os.environ["PODQUOTE_ASR_COMPUTE_TYPE"] = compute_type
    packaged_model_dir()  # joined before timing: the load time is the model's, not the one-off join
    started = time.perf_counter()
    whisper = load_model()
    loaded = time.perf_counter()
    transcript = transcribe(audio)
    finished = time.perf_counter()
    return {
        "compute_type": compute_type, "runs_as": whisper.model.compute_type, "cpu_threads": cpu_threads(),
        "load_seconds": loaded - started,
        "transcribe_seconds": finished - loaded, "audio_seconds": transcript.duration,
        "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "vm_hwm_bytes": peak_rss()["VmHWM"], "segments": len(transcript.segments),
        "text": " ".join(segment.text for segment in transcript.segments),
    }


def word_error_rate(reference: str, hypothesis: str) -> float:
    # The transcripts write ’ where Whisper writes ': the same word.
    ref, hyp = (re.sub(r"[^\w\s']", " ", text.lower().replace("’", "'")).split() for text in (reference, hypothesis))
    previous = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        current = [i]
        for j, heard in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != heard)))
        previous = current
    return previous[-1] / max(len(ref), 1)


def run_config(audio: Path, compute_type: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", str(audio), "--compute-type", compute_type],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def print_table(rows: list[dict]) -> None:
    head = f"{'compute type':<22}{'load s':>8}{'wall s':>9}{'audio s':>9}{'x real time':>12}{'wall/audio':>11}" \
           f"{'peak RSS MB':>12}{'WER':>7}"
    print(head)
    for row in rows:
        name = f"{row['compute_type']} ({row['runs_as']})"
        print(f"{name:<22}{row['load_seconds']:>8.2f}{row['transcribe_seconds']:>9.1f}"
              f"{row['audio_seconds']:>9.1f}{row['realtime_factor']:>12.2f}{row['wall_per_audio']:>11.3f}"
              f"{row['max_rss_bytes'] / 2**20:>12.0f}{row['wer']:>7.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the speech (default 5)")
    parser.add_argument("--text", type=Path, default=DEFAULT_TEXT, help="a Podlets transcript to read aloud")
    parser.add_argument("--compute-types", default="int8,default", help="comma-separated (default int8,default)")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process's mode
    parser.add_argument("--compute-type", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.compute_type)))
        return
    with tempfile.TemporaryDirectory() as folder:
        text = spoken_text(args.text, int(args.minutes * WORDS_PER_MINUTE))
        audio, seconds = make_speech(text, Path(folder))
        print(f"{seconds:.0f} s of espeak-ng speech ({len(text.split())} words) on {os.cpu_count()} CPUs")
        rows = [run_config(audio, compute_type) for compute_type in args.compute_types.split(",")]
    for row in rows:
        row["realtime_factor"] = row["audio_seconds"] / row["transcribe_seconds"]
        row["wall_per_audio"] = row["transcribe_seconds"] / row["audio_seconds"]
        row["wer"] = word_error_rate(text, row.pop("text"))
    print_table(rows)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"cpus": os.cpu_count(), "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
