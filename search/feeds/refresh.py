"""`podquote refresh`: read every followed feed, keep each episode's files current, and update the index.

Per feed: the feed is fetched (a conditional GET; its last copy is kept as `<feed-key>/.feed.xml`), each item is
materialised (podquote.feeds.materialise), and the files of items gone from the feed are deleted. Then one
build_index over `<index>/feeds/` (the index's other roots are kept as they are): unchanged files are neither
parsed nor embedded, and a changed transcript re-embeds only its new text (content hashes).

Nothing here aborts on one bad episode or one bad feed: each failure is reported by name and leaves what was
indexed for it as it was.
"""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FeedInvalid, FetchFailed, PodquoteError
from ..sources import SIDECAR_SUFFIX
from .follow import new_fetcher, now, read_feed
from .lock import feeds_lock
from .materialise import Episode, Outcome, materialise
from .parse import parse_feed
from .registry import FollowedFeed, feed_folder, feeds_folder, load_feeds, save_feeds, slug
from ..file_integrity import write_if_changed
from .sidecar import EpisodeSidecar, episode_key_of, read_sidecar

FEED_COPY = ".feed.xml"  # a dot name: never walked as a source
STATUSES = ("new", "changed", "unchanged", "failed", "none")


@dataclass
class RefreshReport:
    feeds: int = 0
    episodes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    removed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (episode or feed, why): nothing changed for it
    problems: list[tuple[str, str]] = field(default_factory=list)  # (episode, why) where a fallback worked
    downloads: int = 0  # every body downloaded: feeds, transcripts, chapters, audio
    transcript_downloads: int = 0
    audio_downloads: int = 0  # enclosures downloaded to be transcribed (follow --transcribe)
    audio_transcribed: int = 0  # of those, transcribed now (the others' transcripts were in the index's cache)
    requests: int = 0
    index: object = None  # podquote.indexing.IndexReport of the build, None when nothing could be indexed


def refresh_feeds(index: Path, *, fetcher=None, progress=None, build: bool = True,
                  embedder: str | None = None, timeout: float | None = None) -> RefreshReport:
    """Refresh every feed `index` follows, then (with `build`) update the index from the feeds' files.
    `progress(stage, done, total)` is told of each episode. Without a `fetcher`, one is made with `timeout`
    (default: the PODQUOTE_FETCH_TIMEOUT setting). One refresh at a time per index (podquote.feeds.lock)."""
    if not load_feeds(index):
        raise PodquoteError(f"{index} follows no feed yet; add one with `podquote follow URL --index {index}`")
    with feeds_lock(index), (nullcontext(fetcher) if fetcher else new_fetcher(timeout)) as client:
        feeds = load_feeds(index)  # again, under the lock: a `follow` may have just added one
        report = RefreshReport(feeds=len(feeds))
        for feed in feeds:
            _refresh_feed(index, feed, client, report, progress)
        save_feeds(index, feeds)
        report.downloads, report.requests = client.downloads, client.requests
        if build:
            report.index = build_feeds(index, embedder=embedder, progress=progress)
    return report


def build_feeds(index: Path, sources: list[Path] | None = None, *, rescan: bool = False,
                embedder: str | None = None, fresh: bool = False, progress=None):
    """build_index over the feeds' folder, and over `sources` too. `rescan`: with no `sources`, every root of the
    index is read again (scripts/reindex.py); else the other roots are kept as they are (`podquote refresh`).
    None when there is nothing to index at all."""
    from ..index_sources import raw_manifest
    from ..indexing import build_index

    folder = feeds_folder(index)
    has_files = folder.is_dir() and any(p.is_file() and not p.name.endswith(SIDECAR_SUFFIX)
                                        and not p.name.startswith(".") for p in folder.rglob("*"))
    known = [Path(p) for p in raw_manifest(index).get("roots", {}).values()]
    indexed = folder.resolve() in known
    if sources:
        paths = list(sources) + ([folder] if has_files else [])
    elif has_files and not (rescan and indexed):
        paths = ([p for p in known if p != folder.resolve()] if rescan else []) + [folder]
    elif rescan or indexed:
        paths = None  # every root read again: the feeds' folder among them, even if its last episodes went
    else:
        return None
    return build_index(index, paths, embedder=embedder, fresh=fresh, progress=progress)


def _refresh_feed(index: Path, feed: FollowedFeed, fetcher, report: RefreshReport, progress) -> None:
    folder = feed_folder(index, feed)
    show = feed.show or feed.url
    try:
        parsed = _read(feed, folder, fetcher)
    except (FetchFailed, FeedInvalid, PodquoteError) as exc:
        feed.last_error = str(exc)
        report.failed.append((f"feed {show}", f"{exc} Its episodes are kept as they were."))
        return
    feed.title, feed.last_error, feed.last_refresh = parsed.title, None, now()
    existing = _existing(folder)
    items = parsed.items  # parse_feed keeps the first of any repeated guid
    seen = {item.guid for item in items}
    for done, item in enumerate(items, 1):
        previous = existing.get(item.guid)
        key = episode_key_of(Path(previous[0])) if previous else _new_key(item)
        episode = Episode(item, key, folder, previous[1] if previous else None, index, progress)
        _tally(materialise(episode, feed, parsed, fetcher), show, report)
        if progress:
            progress(f"Episodes of {show}", done, len(items))
    if not items and existing:
        # A feed that suddenly lists nothing is more likely broken than emptied: keep what is indexed.
        report.failed.append((f"feed {show}", "lists no episode now; its indexed episodes are kept"))
        return
    for guid, (sidecar_file, _) in existing.items():
        if guid not in seen:
            _remove(folder, episode_key_of(Path(sidecar_file)))
            report.removed += 1


def _read(feed: FollowedFeed, folder: Path, fetcher):
    """The feed as parsed: downloaded when it changed, else the copy kept at the last refresh."""
    copy = folder / FEED_COPY
    has_copy = copy.exists()
    content, etag, last_modified = read_feed(feed.url, fetcher, feed.etag if has_copy else None,
                                             feed.last_modified if has_copy else None)
    if content is None:  # not modified: the copy is the feed
        parsed = parse_feed(copy.read_bytes(), feed.url)
    else:
        parsed = parse_feed(content, feed.url)
        write_if_changed(copy, content)
    feed.etag, feed.last_modified = etag, last_modified
    return parsed


def _existing(folder: Path) -> dict[str, tuple[str, EpisodeSidecar]]:
    """guid -> (sidecar file, sidecar) of the episodes an earlier refresh kept."""
    found = {}
    for path in sorted(folder.glob(f"*{SIDECAR_SUFFIX}")) if folder.is_dir() else []:
        sidecar = read_sidecar(path)
        if sidecar is not None:
            found[sidecar.guid] = (str(path), sidecar)
    return found


def _new_key(item) -> str:
    """A readable, stable file name for an episode: date, title, and a hash of its guid (never reused)."""
    base = slug(" ".join(filter(None, [item.date, item.title])), 60) or "episode"
    return f"{base}-{hashlib.sha256(item.guid.encode()).hexdigest()[:8]}"


def _remove(folder: Path, key: str) -> None:
    for path in folder.glob(f"{key}.*"):
        path.unlink(missing_ok=True)


def _tally(outcome: Outcome, show: str, report: RefreshReport) -> None:
    report.episodes[outcome.status] += 1
    report.transcript_downloads += outcome.downloads
    report.audio_downloads += outcome.audio_downloads
    report.audio_transcribed += outcome.transcribed
    where = f"{show}: {outcome.name}"
    reasons = "; ".join(outcome.problems)
    if outcome.status == "failed":
        kept = "; its indexed version is kept" if outcome.kept else ""
        report.failed.append((where, (reasons or "no transcript could be read") + kept))
    elif outcome.problems:
        report.problems.append((where, reasons))
