"""`podquote follow FEED`: check that FEED is a podcast feed and record it in the index's list of feeds.

FEED is an http(s) URL or a local file. The feed is read once here so a typo or a page that is not a feed is
refused at once, with the reason, rather than at the next refresh.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import FetchFailed, PodquoteError, SourceNotFound
from .model import Feed
from .lock import feeds_lock
from .parse import parse_feed
from .registry import FollowedFeed, load_feeds, new_feed_key, save_feeds


def feed_location(feed: str) -> str:
    """An http(s) URL as given, or a local file as its absolute path; anything else is refused."""
    scheme = urlsplit(feed).scheme.lower()
    if scheme in ("http", "https"):
        return feed
    if len(scheme) > 1:  # "C:" is a drive, not a scheme
        raise PodquoteError(f"{feed}: the scheme {scheme!r} is not supported (give an http(s) URL or a local file)")
    path = Path(feed).expanduser()
    if not path.is_file():
        raise SourceNotFound(f"{feed}: no such file (give an http(s) URL or the path of a feed file)")
    return str(path.resolve())


def is_url(location: str) -> bool:
    return urlsplit(location).scheme.lower() in ("http", "https")


def read_feed(location: str, fetcher, etag: str | None = None, last_modified: str | None = None):
    """The feed's bytes (None when the server says it is unchanged since etag/last_modified) and the new
    validators. A local file is read as it is; only http(s) goes through the fetcher."""
    if not is_url(location):
        try:
            return Path(location).read_bytes(), None, None
        except OSError as exc:
            raise SourceNotFound(f"{location}: cannot read the feed ({exc.strerror})") from None
    fetched = fetcher.fetch(location, etag, last_modified)
    content = None if fetched.status == 304 else fetched.content
    return content, fetched.etag, fetched.last_modified


def follow(index: Path, feed: str, *, lang: str | None = None, name: str | None = None,
           transcribe: bool | None = None, fetcher=None) -> tuple[FollowedFeed, Feed, bool]:
    """Record `feed` in `index` (created if need be). Returns the followed feed, the feed as read, and whether it
    was new (following a feed again updates its --lang, --name and, when given, --transcribe)."""
    if index.exists() and not index.is_dir():
        raise PodquoteError(f"--index {index} is a file, not a folder; give the folder the index should live in")
    location = feed_location(feed)
    parsed = _check(location, fetcher)
    with feeds_lock(index, "follow"):
        return _record(index, location, parsed, lang, name, transcribe)


def _record(index: Path, location: str, parsed: Feed, lang: str | None, name: str | None,
            transcribe: bool | None = None):
    feeds = load_feeds(index)
    known = next((f for f in feeds if f.url == location), None)
    is_new = known is None
    if is_new:
        known = FollowedFeed(location, new_feed_key(location, name or parsed.title, {f.key for f in feeds}),
                             added=now())
        feeds.append(known)
    known.name, known.lang, known.title = name or known.name, lang or known.lang, parsed.title
    if transcribe is not None:
        known.transcribe = transcribe
    save_feeds(index, feeds)
    return known, parsed, is_new


def new_fetcher(timeout: float | None = None):
    """A podquote.feeds.fetch.Fetcher waiting `timeout` seconds, by default the PODQUOTE_FETCH_TIMEOUT setting."""
    from ..settings import get_settings
    from .fetch import Fetcher

    return Fetcher(timeout=timeout or get_settings().fetch_timeout)


def _check(location: str, fetcher) -> Feed:
    if fetcher is None and is_url(location):
        with new_fetcher() as own:
            return _check(location, own)
    try:
        content, _, _ = read_feed(location, fetcher)
    except FetchFailed as exc:
        raise PodquoteError(f"{exc} Nothing was followed.") from None
    return parse_feed(content, location)


def now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
