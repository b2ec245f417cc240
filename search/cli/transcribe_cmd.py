"""`podquote transcribe`: audio files to WebVTT and Podcasting 2.0 JSON transcripts (the audio extra)."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import console, errors_to_exit, fail


class Format(str, enum.Enum):
    vtt = "vtt"
    json = "json"
    both = "both"


SUFFIXES = {Format.vtt: (".vtt",), Format.json: (".json",), Format.both: (".vtt", ".json")}


def register(app: typer.Typer) -> None:
    app.command("transcribe")(errors_to_exit(transcribe))


def transcribe(
    audio: Annotated[list[Path], typer.Argument(
        help="Audio files (mp3, m4a, ogg, opus, wav, flac) or folders holding them.", show_default=False)],
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Folder for the transcripts. Default: beside each audio file.",
        show_default=False)] = None,
    lang: Annotated[Optional[str], typer.Option(
        "--lang", help="Language spoken, as a code: en, de, zh, ... Default: detected from the first 30 s.",
        show_default=False)] = None,
    asr_model: Annotated[Optional[str], typer.Option(
        "--asr-model", envvar="PODQUOTE_ASR_MODEL",
        help="A faster-whisper model folder or name (e.g. small). Default: the packaged Whisper base.",
        show_default=False)] = None,
    form: Annotated[Format, typer.Option(
        "--format", help="vtt, json (Podcasting 2.0) or both.", case_sensitive=False)] = Format.both,
) -> None:
    """Transcribe audio on this machine: NAME.vtt and NAME.json with a cue per sentence and times from word
    timestamps. Silence and music are skipped. No speaker is named: Whisper does not say who speaks.

    A file that cannot be transcribed (empty, not audio, no speech) is reported on its own line and
    skipped; the others go on.

    Needs the audio extra: pip install "podquote\\[audio]".

    Exit status: 0 when every file was transcribed, 1 when any failed, 2 for a usage error.

    Examples:

      podquote transcribe episode-42.mp3       # episode-42.vtt and .json beside it

      podquote transcribe ~/audio -o ~/transcripts --lang en --format vtt
    """
    from ..audio.transcription import load_model, supported_language

    files, failures = gather(audio)
    whisper = load_model(asr_model)  # once, before any file: a missing extra is one message, not one per file
    if lang and supported_language(whisper, lang) is None:
        fail(f"--lang: {lang!r} is not a language the speech model knows (e.g. en, de, es, zh)", code=2)
    if output is not None:
        if output.exists() and not output.is_dir():
            fail(f"-o {output} is a file, not a folder", code=2)
        output.mkdir(parents=True, exist_ok=True)
    out, err = console(), console(stderr=True)
    for path, reason in failures:
        err.print(f"Failed: {path}: {reason}", markup=False)
    done = run_batch(files, output, lang, asr_model, form, out, err)
    failed = len(failures) + len(files) - done
    summary = f"Transcribed {done} of {done + failed} audio files"
    out.print(summary + (f"; {failed} failed." if failed else "."), markup=False)
    if failed:
        raise typer.Exit(1)


def gather(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The audio files named or found in the folders named, and the arguments that give none."""
    from ..audio import AUDIO_EXTENSIONS

    files, failures = [], []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)
            files.extend(found)
            if not found:
                failures.append((path, "no audio files (" + ", ".join(sorted(AUDIO_EXTENSIONS)) + ") in it"))
        elif path.is_file():
            files.append(path)  # named on purpose: its content decides, not its extension
        else:
            failures.append((path, "no such file or folder"))
    return files, failures


def run_batch(files: list[Path], output: Path | None, lang: str | None, asr_model: str | None, form: Format,
              out, err) -> int:
    """Transcribe each file under a progress bar of audio seconds; returns how many succeeded."""
    from ..errors import UnusableAudio
    from .audio_progress import AudioProgress

    written: dict[Path, Path] = {}
    done = 0
    with AudioProgress(err) as progress:
        for path in files:
            targets = [(output or path.parent) / (path.stem + suffix) for suffix in SUFFIXES[form]]
            clash = next((t for t in targets if t in written), None)
            if clash is not None:
                err.print(f"Failed: {path}: would overwrite {clash}, written for {written[clash]}", markup=False)
                continue
            try:
                transcript = _transcribe_one(path, lang, asr_model, progress)
            except UnusableAudio as exc:
                err.print(f"Failed: {path}: {exc}", markup=False)
                continue
            write_transcripts(transcript, targets)
            written.update({target: path for target in targets})
            out.print(f"{path} -> {', '.join(map(str, targets))} ({len(transcript.segments)} sentences, "
                      f"{transcript.duration:.0f} s of audio, language {transcript.language})", markup=False)
            done += 1
    return done


def _transcribe_one(path: Path, lang: str | None, asr_model: str | None, progress):
    from ..audio import transcribe as transcribe_audio

    progress.start(path.name)
    try:
        return transcribe_audio(path, model=asr_model, language=lang, progress=progress.update)
    finally:
        progress.stop()


def write_transcripts(transcript, targets: list[Path]) -> None:
    """Each file written under a temporary name and renamed: an interrupted run leaves no half transcript."""
    from ..audio import to_podcast_json, to_webvtt
    from ..file_integrity import write_atomically

    for target in targets:
        text = to_webvtt(transcript) if target.suffix == ".vtt" else to_podcast_json(transcript)
        write_atomically(target, text.encode("utf-8"))
