"""Audio files as index sources: each one's transcript from the index's transcript cache (made by podquote.audio
on a miss), read back with the WebVTT reader into passages that link to the audio at `#t=SECONDS`.

The cache is `<index>/transcripts/<audio sha256>.<model key>.vtt`, outside every generation: `--fresh`, a new
generation or a readers change reads the audio again without transcribing it again, while another ASR model
(its id is in the key) transcribes anew. Whisper does not say who speaks, so the passages have no speaker.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

from .audio import AUDIO_EXTENSIONS
from .feeds.episode_passages import apply_sidecar, episode_of
from .feeds.sidecar import read_sidecar
from .file_integrity import sha256_file, write_atomically
from .passage import Episode
from .readers import Document, read_document
from .readers.webvtt_reader import WebVTTReader
from .sources import SourceFile

TRANSCRIPTS_FOLDER = "transcripts"
UNUSABLE_SUFFIX = ".unusable"  # beside where the transcript would be: why the audio gave none
AUDIO_FORMAT = "audio"  # the format an index records for an audio source (`podquote info` counts them)


def is_audio(path: Path) -> bool:
    return path.suffix.lower() in AUDIO_EXTENSIONS


def transcript_path(index: Path, sha: str, model_id: str) -> Path:
    model_key = hashlib.sha1(model_id.encode("utf-8")).hexdigest()[:12]
    return index / TRANSCRIPTS_FOLDER / f"{sha}.{model_key}.vtt"


def cached_transcript(index: Path, audio: Path, progress=None, sha: str | None = None) -> tuple[str, bool]:
    """The WebVTT transcript of `audio`, and whether it was transcribed now (False: taken from the cache).
    `progress(seconds_done, seconds_total)` follows a transcription; `sha`: the audio's sha256 when the caller
    has it (an episode is tens of megabytes: read once). Raises AudioUnavailable (a miss without the audio
    extra) and UnusableAudio."""
    from .audio import UnusableAudio, asr_model_id, to_webvtt, transcribe

    path = transcript_path(index, sha or sha256_file(audio), asr_model_id())
    unusable = path.with_suffix(UNUSABLE_SUFFIX)
    try:
        return path.read_text(encoding="utf-8"), False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    if unusable.is_file():  # ten minutes of silence is not decoded again on every update
        raise UnusableAudio(unusable.read_text(encoding="utf-8").strip() + "; remembered from an earlier try")
    try:
        text = to_webvtt(transcribe(audio, progress=progress))
    except UnusableAudio as exc:
        write_atomically(unusable, f"{exc}\n".encode("utf-8"))
        raise
    write_atomically(path, text.encode("utf-8"))  # a transcription killed half-way leaves no cache entry
    return text, True


def audio_link(path: Path) -> str:
    """Where a passage of a local audio file points: the file's URI (a player seeks to its `#t=`)."""
    return path.resolve().as_uri()


def read_audio(source_file: SourceFile, index: Path, progress=None, sha: str | None = None) -> tuple[Document, bool]:
    """The passages of an audio source, and whether it was transcribed now (see cached_transcript). A file
    with a feed's sidecar takes the feed's episode metadata and links to its enclosure."""
    text, transcribed = cached_transcript(index, source_file.path, seconds_progress(progress, source_file.path), sha)
    sidecar = read_sidecar(source_file.path)
    episode = episode_of(source_file.source, sidecar) if sidecar else Episode(source=source_file.source)
    episode.url = episode.url or audio_link(source_file.path)
    document = WebVTTReader().read(text, episode, PurePosixPath(source_file.source))
    if sidecar:
        apply_sidecar(document.passages, sidecar)
    return document, transcribed


def read_source(source_file: SourceFile, report, progress=None, sha: str | None = None) -> tuple[str, Document]:
    """A source file's format and document: read_document for text, the cached transcript for audio (counted
    in the report as transcribed or taken from the cache). `progress` is build_index's (stage, done, total);
    `sha` the file's own sha256, if known."""
    if not is_audio(source_file.path):
        return read_document(source_file.path, source_file.source)
    document, transcribed = read_audio(source_file, report.index, progress, sha)
    if transcribed:
        report.audio_transcribed += 1
    else:
        report.audio_from_cache += 1
    return AUDIO_FORMAT, document


def seconds_progress(progress, path: Path):
    """build_index's (stage, done, total) progress as transcribe's (seconds done, seconds total): a bar per file
    counting audio seconds, since one hour of audio takes minutes to transcribe."""
    if progress is None:
        return None
    stage = f"Transcribing {path.name} (audio seconds)"
    return lambda done, total: progress(stage, int(done), max(int(total), 1))
