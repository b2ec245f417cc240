"""A running server picks up a new index generation without a restart, and without a failed request.

A background thread stats DIR/CURRENT once per `interval` (one `os.stat`: the pointer is replaced by rename, so
a new build always gives it a new inode). When it changed, the new generation is opened fully (every file
checked against its manifest, vectors loaded) beside the old one, and only then is the served reference swapped,
in one assignment. A request holds the collection it started with until it finishes, so in-flight requests end
on the old generation while new ones start on the new; the old one is freed when its last request is done.
Just before the swap, the answers to the most recently asked questions are computed from the new generation and
cached (podquote.api.cache), so the switch does not make every popular question slow at once.

If the new generation cannot be opened (damaged, another embedder that is not installed...), the server keeps
answering from the old one, logs why, and tries again at the next change of CURRENT.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from ..collection import Collection
from ..errors import PodquoteError
from ..store import CURRENT, Manifest, current_generation

log = logging.getLogger("podquote.reload")


class CollectionHolder:
    """The collection a server answers from; `collection` is read by every request (see podquote.api.deps)."""

    def __init__(self, root: Path | None, collection: Collection | None = None, *, interval: float | None = 1.0):
        self.root = Path(root) if root is not None else None
        self.collection = collection
        self.interval = interval  # None: never watch (a collection handed in by a test or an embedding program)
        self.reloads = 0
        self.last_error: str | None = None
        self.cache = None  # the app's ResponseCache registers itself here
        self._seen = self._pointer_stat()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _pointer_stat(self) -> tuple | None:
        if self.root is None:
            return None
        try:
            stat = os.stat(self.root / CURRENT)
        except OSError:
            return None
        return stat.st_ino, stat.st_mtime_ns, stat.st_size

    def open(self) -> Collection:
        """Open the served generation with the full check (server start)."""
        self._seen = self._pointer_stat()
        self.collection = Collection.open(self.root, verify=True, preload=True)
        return self.collection

    def check(self) -> bool:
        """Swap in the generation CURRENT names if it changed since the last look; True if a new one is served."""
        with self._lock:
            seen = self._pointer_stat()
            if seen == self._seen or seen is None:
                return False
            self._seen = seen  # recorded first: a newer build during the open below is noticed at the next look
            old = self.collection
            try:
                generation = current_generation(self.root)
                if old is not None and generation.name == old.generation.name:
                    return False
                embedder = None
                if old is not None and Manifest.read(generation).embedder == old.embedder.name:
                    embedder = old.embedder  # the model is already loaded: reuse it
                new = Collection.open(self.root, embedder=embedder, verify=True, preload=True)
                if self.cache is not None:  # popular questions answered by the new generation before it serves
                    started = time.perf_counter()
                    filled = self.cache.prefill(new)
                    log.info("answered %d popular questions from %s in %.1f s before swapping it in", filled,
                             new.generation.name, time.perf_counter() - started)
            except PodquoteError as exc:
                self.last_error = str(exc)
                log.error("still serving %s: the new index generation cannot be opened: %s",
                          old.generation.name if old else "nothing", exc)
                return False
            self.collection = new  # the swap: one reference assignment, atomic for every reader
            self.reloads += 1
            self.last_error = None
            log.info("now serving %s (was %s)", new.generation.name, old.generation.name if old else "nothing")
            return True

    def start(self) -> None:
        if self.interval is None or self.root is None or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name="podquote-reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
            except Exception:  # never let the watcher die: the server would silently stop picking up builds
                log.exception("index reload check failed")
