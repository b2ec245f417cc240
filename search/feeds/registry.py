"""The feeds an index follows: `<index>/feeds.json`, beside the generations (a rebuild keeps it), and the folder
`<index>/feeds/<feed-key>/` where their episodes' files are kept.

    {"version": 1, "feeds": [{"url": ..., "key": ..., "name": ..., "lang": ..., "title": ..., "added": ...,
                              "last_refresh": ..., "etag": ..., "last_modified": ..., "last_error": ...,
                              "transcribe": false}]}

Written whole to a temporary file and renamed, so a crash leaves the old list or the new one, never half.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..errors import PodquoteError
from ..sources import SIDECAR_SUFFIX
from ..file_integrity import write_atomically
from .sidecar import read_sidecar

REGISTRY_FILE = "feeds.json"
FEEDS_FOLDER = "feeds"
REGISTRY_VERSION = 1
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass
class FollowedFeed:
    url: str  # an http(s) URL, or the absolute path of a local feed file
    key: str  # its folder under <index>/feeds/, stable once chosen
    name: str | None = None  # --name: the show's name on every passage, instead of the feed's title
    lang: str | None = None  # --lang: the episodes' language when neither the transcript nor the feed says
    title: str | None = None  # the feed's own title, as last read
    added: str | None = None
    last_refresh: str | None = None  # ISO time of the last refresh that read the feed
    etag: str | None = None  # the feed's validators, for a conditional GET of the feed itself
    last_modified: str | None = None
    last_error: str | None = None  # why the last refresh could not read the feed, if it could not
    transcribe: bool = False  # --transcribe: an episode without a usable transcript is transcribed from its audio

    @property
    def show(self) -> str | None:
        return self.name or self.title


def registry_path(index: Path) -> Path:
    return index / REGISTRY_FILE


def feeds_folder(index: Path) -> Path:
    return index / FEEDS_FOLDER


def feed_folder(index: Path, feed: FollowedFeed) -> Path:
    return feeds_folder(index) / feed.key


def load_feeds(index: Path) -> list[FollowedFeed]:
    """The followed feeds, in the order they were followed ([] when none)."""
    path = registry_path(index)
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(FollowedFeed)}
        return [FollowedFeed(**{k: v for k, v in entry.items() if k in known}) for entry in data["feeds"]]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise PodquoteError(f"{path}: the list of followed feeds cannot be read ({exc}); "
                            "fix or delete it and follow the feeds again") from None


def save_feeds(index: Path, feeds: list[FollowedFeed]) -> None:
    data = {"version": REGISTRY_VERSION, "feeds": [asdict(feed) for feed in feeds]}
    write_atomically(registry_path(index), (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


def slug(text: str | None, limit: int = 40) -> str:
    """Lowercase ASCII words joined by '-': a name safe as a file name on every system, and without dots."""
    return _SLUG.sub("-", (text or "").lower()).strip("-")[:limit].strip("-")


def new_feed_key(url: str, title: str | None, taken: set[str]) -> str:
    """A readable folder name for a new feed: its title (or the URL's host and path) and a short hash of the URL."""
    base = slug(title) or slug(re.sub(r"^\w+://", "", url)) or "feed"
    key = f"{base}-{hashlib.sha256(url.encode()).hexdigest()[:6]}"
    n = 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


def episode_count(index: Path, feed: FollowedFeed) -> int:
    """Episodes kept for the feed: those whose sidecar names a transcript (podquote.feeds.sidecar)."""
    folder = feed_folder(index, feed)
    sidecars = (read_sidecar(path) for path in folder.glob(f"*{SIDECAR_SUFFIX}")) if folder.is_dir() else ()
    return sum(1 for sidecar in sidecars if sidecar and sidecar.transcript)
