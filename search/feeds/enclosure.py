"""An episode's audio made into its transcript, for a feed followed with `--transcribe`.

When an item offers no transcript that downloads and parses, its enclosure is downloaded (at most
PODQUOTE_AUDIO_MAX_BYTES, with the fetch timeout), transcribed through the index's transcript cache
(podquote.audio_sources: by the audio's content hash) and handed back as the episode's WebVTT transcript, which
materialise saves beside the sidecar: the index then reads it like any transcript and links its passages to the
enclosure at `#t=`. The audio itself is deleted once transcribed.

An enclosure transcribed once is neither downloaded nor transcribed again while the item names the same url; one
whose audio was unusable is asked for again only conditionally (ETag, Last-Modified), like a broken transcript.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import AudioUnavailable, FetchFailed, UnusableAudio
from .model import Transcript
from .sidecar import Download

VTT_TYPE = "text/vtt"


def wants_audio(previous, item, transcribe: bool) -> bool:
    """Transcribe the item's audio if no transcript works: the feed is followed with --transcribe, the item has
    an enclosure, and no publisher's transcript is kept from an earlier refresh (that one stays)."""
    kept = previous is not None and previous.transcript is not None and not previous.transcript.asr_model
    return bool(transcribe and item.enclosure and not kept)


def from_enclosure(episode, fetcher, outcome, rejected: list[Download]):
    """(Transcript, its Download, the VTT bytes or None when unchanged) made from the item's enclosure, or None
    when it cannot be (the reason added to `outcome.problems`; an unusable audio's Download to `rejected`).
    `episode` is a podquote.feeds.materialise.Episode, `outcome` its Outcome."""
    url = episode.item.enclosure
    before = transcribed_before(episode)
    if before is not None:
        return Transcript(url, VTT_TYPE), before, None
    try:
        _check_audio_extra()
    except AudioUnavailable as exc:
        outcome.problems.append(f"{url}: {exc}")
        return None
    previous = episode.previous
    known = next((d for d in previous.rejected if d.url == url), None) if previous else None
    made = _download_and_transcribe(episode, fetcher, outcome, known)
    if isinstance(made, Download):
        rejected.append(made)
        return None
    if made is None:
        return None
    text, fetched, model = made
    download = Download(url, VTT_TYPE, episode.key + ".vtt", fetched.etag, fetched.last_modified, asr_model=model)
    return Transcript(url, VTT_TYPE), download, text.encode("utf-8")


def transcribed_before(episode) -> Download | None:
    """The Download of an earlier refresh's transcript of this same enclosure, if its file is still there."""
    previous = episode.previous
    used = previous.transcript if previous else None
    if used and used.asr_model and used.url == episode.item.enclosure and used.file:
        return used if (episode.folder / used.file).is_file() else None
    return None


def _check_audio_extra() -> None:
    """AudioUnavailable before anything is downloaded, not after (the model is loaded once per process)."""
    from ..audio.transcription import load_model

    load_model()


def _download_and_transcribe(episode, fetcher, outcome, known: Download | None):
    """(VTT text, the Fetched, the model id); a Download with its problem when the audio is unusable; None when
    the download failed or the audio is unchanged since it was found unusable."""
    from ..audio import asr_model_id
    from ..audio_sources import cached_transcript, seconds_progress
    from ..settings import get_settings

    url = episode.item.enclosure
    episode.folder.mkdir(parents=True, exist_ok=True)
    audio = episode.folder / f".{episode.key}.audio.part"  # a dot name: never walked as a source
    try:
        with audio.open("wb") as sink:
            fetched = fetcher.fetch(url, known.etag if known else None, known.last_modified if known else None,
                                    into=sink, max_bytes=get_settings().audio_max_bytes)
        if fetched.status == 304 and known is not None:
            outcome.problems.append(f"{url}: {known.problem} (unchanged since the last refresh)")
            return known
        outcome.audio_downloads += 1
        text, transcribed = cached_transcript(episode.index, audio, seconds_progress(episode.progress, Path(url)))
    except FetchFailed as exc:
        outcome.problems.append(f"{url}: {exc.reason}")
        return None
    except (UnusableAudio, AudioUnavailable) as exc:
        outcome.problems.append(f"{url}: {exc}")
        return Download(url, None, None, fetched.etag, fetched.last_modified, problem=str(exc))
    finally:
        audio.unlink(missing_ok=True)
    outcome.transcribed += transcribed
    return text, fetched, asr_model_id()
