"""One feed item made into files: its best transcript that downloads and parses, its chapters, and its sidecar.

Transcripts are tried in podquote.feeds.parse.transcript_order; a download that fails or a file podquote's
readers cannot read as its announced format falls through to the next one. Every download is a conditional GET
against what the sidecar recorded, so an unchanged transcript (or an unchanged broken one) costs a request, not
a download. When no transcript works, the files of an earlier refresh are left exactly as they were; for a feed
followed with `--transcribe`, the episode's audio is transcribed instead (podquote.feeds.enclosure).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import FetchFailed, PodquoteError
from ..readers import read_document
from .enclosure import from_enclosure, wants_audio
from .model import Feed, Item, Transcript
from .parse import TRANSCRIPT_EXTENSIONS, normalise_type, transcript_order
from .registry import FollowedFeed
from ..file_integrity import write_if_changed
from .sidecar import CHAPTERS_SUFFIX, Download, EpisodeSidecar, write_sidecar

# The readers that may claim a file of each kind: a broken JSON or VTT file read as plain text is not a
# transcript, it is a failure worth falling back from. Plain text takes whatever reads.
EXPECTED_READERS = {
    ".json": {"podcast-json", "whisper-json"},
    ".vtt": {"webvtt", "cue-text"},
    ".srt": {"srt"},
    ".html": {"html-transcript"},
}


@dataclass
class Outcome:
    """What became of one item: "new", "changed", "unchanged", "failed" or "none" (it offers no transcript)."""

    status: str
    name: str
    problems: list[str] = field(default_factory=list)  # each failed download or parse, even when a fallback worked
    downloads: int = 0  # transcript bodies downloaded (200s)
    kept: bool = False  # failed, and the files of an earlier refresh stay indexed
    audio_downloads: int = 0  # enclosures downloaded to be transcribed
    transcribed: int = 0  # enclosures transcribed now (not found in the index's transcript cache)


@dataclass
class Episode:
    """An item to materialise, with where it goes and what an earlier refresh left of it."""

    item: Item
    key: str
    folder: Path
    previous: EpisodeSidecar | None = None
    index: Path | None = None  # the index the feed belongs to (its transcript cache); default: the folder's
    progress: object = None  # build_index-style (stage, done, total), told of a transcription

    def __post_init__(self):
        self.index = self.index or self.folder.parent.parent  # <index>/feeds/<feed-key>/

    @property
    def name(self) -> str:
        return self.item.title or self.item.guid


def materialise(episode: Episode, feed: FollowedFeed, parsed: Feed, fetcher) -> Outcome:
    outcome = Outcome("none", episode.name)
    audio = wants_audio(episode.previous, episode.item, feed.transcribe)
    if not episode.item.transcripts and not audio:
        return outcome
    chosen, rejected = _first_good_transcript(episode, fetcher, outcome)
    if chosen is None and audio:
        chosen = from_enclosure(episode, fetcher, outcome, rejected)
    previous = episode.previous
    if chosen is None:
        # Nothing indexed is touched: an earlier version, if any, stays. What was rejected is remembered, so an
        # unchanged broken file is asked for conditionally next time instead of downloaded again.
        outcome.status, outcome.kept = "failed", bool(previous and previous.transcript)
        sidecar = previous or _sidecar(episode, feed, parsed, None, None)
        if rejected != sidecar.rejected:
            sidecar.rejected = rejected
            write_sidecar(episode.folder, episode.key, sidecar)
        return outcome
    transcript, download, content = chosen
    is_new = previous is None or previous.transcript is None
    changed = is_new or _replace(episode, download, content)
    if is_new:
        write_if_changed(episode.folder / download.file, content)
    sidecar = _sidecar(episode, feed, parsed, transcript, download)
    sidecar.rejected = rejected
    sidecar.chapters, chapters_changed = _chapters(episode, fetcher, outcome)
    changed = changed or chapters_changed or sidecar.metadata() != previous.metadata()
    if previous is None or sidecar.to_json() != previous.to_json():
        write_sidecar(episode.folder, episode.key, sidecar)
    outcome.status = "new" if is_new else "changed" if changed else "unchanged"
    return outcome


def _sidecar(episode: Episode, feed: FollowedFeed, parsed: Feed, transcript: Transcript | None,
             download: Download | None) -> EpisodeSidecar:
    item = episode.item
    # `podquote follow --lang` wins: feeds often say "en-us" by their template's default, whatever the show speaks.
    language = feed.lang or (transcript.language if transcript else None) or parsed.language
    return EpisodeSidecar(
        guid=item.guid, feed=feed.url, show=feed.show, title=item.title, episode=f"{feed.key}/{episode.key}",
        date=item.date, link=item.link, enclosure=item.enclosure, language=language,
        persons=[asdict(p) for p in item.persons], soundbites=[asdict(b) for b in item.soundbites],
        transcript=download,
    )


def _first_good_transcript(episode: Episode, fetcher, outcome: Outcome):
    """((transcript, its Download, its bytes or None when unchanged) of the first that works, or None; and the
    Downloads of those that downloaded but did not parse)."""
    previous = episode.previous
    rejected: list[Download] = []
    for transcript in transcript_order(episode.item):
        known = _known(previous, transcript.url, episode.folder)
        try:
            fetched = fetcher.fetch(transcript.url, known.etag if known else None,
                                    known.last_modified if known else None)
        except FetchFailed as exc:
            outcome.problems.append(f"{transcript.url}: {exc.reason}")
            continue
        download = Download(transcript.url, normalise_type(transcript.type), None, fetched.etag, fetched.last_modified)
        if fetched.status == 304 and known is not None and known.problem:  # failed before, unchanged since
            outcome.problems.append(f"{transcript.url}: {known.problem} (unchanged since the last refresh)")
            rejected.append(known)
            continue
        if fetched.status == 304:
            download.file = known.file if known else None
            if download.file:
                return (transcript, download, None), rejected
            continue
        outcome.downloads += 1
        download.file = episode.key + _extension(transcript)
        problem = check_transcript(fetched.content, episode.folder, download.file)
        if problem:
            outcome.problems.append(f"{transcript.url}: {problem}")
            download.problem, download.file = problem, None
            rejected.append(download)
            continue
        return (transcript, download, fetched.content), rejected
    return None, rejected


def _known(previous: EpisodeSidecar | None, url: str, folder: Path) -> Download | None:
    """What an earlier refresh recorded of this url: a version it rejected, or the transcript it used (if its
    file is still there)."""
    if previous is None:
        return None
    rejected = next((d for d in previous.rejected if d.url == url), None)
    if rejected is not None:
        return rejected
    if previous.transcript and previous.transcript.url == url:
        used = previous.transcript
        return used if used.file and (folder / used.file).exists() else None
    return None


def _extension(transcript: Transcript) -> str:
    ext = TRANSCRIPT_EXTENSIONS.get(normalise_type(transcript.type) or "")
    if ext:
        return ext
    path = transcript.url.split("#")[0].split("?")[0].lower()
    return next((e for e in set(TRANSCRIPT_EXTENSIONS.values()) if path.endswith(e)), ".txt")


def check_transcript(content: bytes, folder: Path, name: str) -> str | None:
    """Why `content` is not a transcript podquote can read as a `name` file, or None when it reads."""
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / f".check-{name}"  # a dot name: never walked, and without a sidecar
    try:
        probe.write_bytes(content)
        fmt, document = read_document(probe, name)
    except PodquoteError as exc:
        return str(exc).removeprefix(f"{probe}: ").removeprefix(f"{name}: ")
    finally:
        probe.unlink(missing_ok=True)
    expected = EXPECTED_READERS.get(Path(name).suffix)
    if expected and fmt not in expected:
        return f"does not parse as {Path(name).suffix[1:].upper()} (it reads as {fmt})"
    return None if document.passages else "no passages found in it"


def _replace(episode: Episode, download: Download, content: bytes | None) -> bool:
    """Put the new transcript in place of the earlier one; True when its bytes changed."""
    if content is None:
        return False
    old = episode.previous.transcript.file if episode.previous.transcript else None
    if old and old != download.file:
        (episode.folder / old).unlink(missing_ok=True)
    return write_if_changed(episode.folder / download.file, content)


def _chapters(episode: Episode, fetcher, outcome: Outcome) -> tuple[Download | None, bool]:
    """The item's JSON chapters, kept beside the transcript; a failure is reported and keeps the earlier file."""
    path = episode.folder / (episode.key + CHAPTERS_SUFFIX)
    before = episode.previous.chapters if episode.previous else None
    url = episode.item.chapters
    if not url:
        existed = path.exists()
        path.unlink(missing_ok=True)
        return None, existed
    known = before if before and before.url == url and path.exists() else None
    try:
        fetched = fetcher.fetch(url, known.etag if known else None, known.last_modified if known else None)
    except FetchFailed as exc:
        outcome.problems.append(f"chapters {url}: {exc.reason}")
        return before, False
    if fetched.status == 304:
        return known, False
    try:
        chapters = json.loads(fetched.content)
        if not isinstance(chapters, dict) or not isinstance(chapters.get("chapters"), list):
            raise ValueError("no \"chapters\" list")
    except ValueError as exc:
        outcome.problems.append(f"chapters {url}: not JSON chapters ({exc})")
        return before, False
    changed = write_if_changed(path, fetched.content)
    return Download(url, "application/json+chapters", path.name, fetched.etag, fetched.last_modified), changed
