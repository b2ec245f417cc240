"""One `podquote refresh` (or `follow`) at a time per index: `<index>/.feeds.lock`, an flock held to the end.

Two refreshes at once would download into the same episode files and each write back its own list of feeds. The
second one fails at once with one line rather than waiting: from cron, an hourly refresh that overran its hour
should not queue up behind it. The same pattern as the build's lock (podquote.store.build_lock), on another file,
because a refresh holds this lock while its build takes that one.
"""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import PodquoteError

FEEDS_LOCK = ".feeds.lock"  # a dot name: never walked as a source


@contextmanager
def feeds_lock(index: Path, doing: str = "refresh") -> Iterator[None]:
    """Hold the index's feeds lock for the block; PodquoteError at once if another process holds it."""
    index.mkdir(parents=True, exist_ok=True)
    with open(index / FEEDS_LOCK, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PodquoteError(f"another `podquote refresh` or `follow` is working on {index}; "
                                f"this {doing} did nothing, run it again when that one ends") from None
        yield
