"""Answers to repeated searches, from memory: the same GET /search against the same index generation.

A generation never changes once published, and a search is deterministic, so the answer to one query string is
the same until the server swaps in a new generation (podquote.api.reload). The cache is keyed by (generation,
path, raw query string), holds only 200 answers, is bounded in bytes (least recently used first out) and drops
other generations' answers when the generation changes. A hit costs a dictionary look-up instead of an embedding
and a ranking (~12 ms of CPU, under the GIL), which is what lets one process answer 32 concurrent clients asking
popular questions within 100 ms; questions never asked before still cost a full search (see RELIABILITY.md).

So that a swap does not turn every popular question into a miss at once, the reloader asks the most asked
questions (those answered from the cache at least once) again of the new generation before it swaps it in
(`prefill`, in the reloader's thread through the same app, with the new collection in the request scope, for at
most PREFILL_SECONDS: a swap is delayed that much at worst, and not at all when no question was asked twice).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict

CACHED_PATHS = frozenset({"/search"})
MAX_ENTRY_BYTES = 1 << 20
PREFILL_ENTRIES = 256
PREFILL_SECONDS = 15.0  # the swap waits at most this long for the prefill
COLLECTION_KEY = "podquote.collection"  # a request scope key: answer from this collection (see deps.py)

log = logging.getLogger("podquote.cache")


class ResponseCache:
    """Pure ASGI middleware; `max_bytes=0` turns it off. `holder.cache` is set to it, for the reloader."""

    def __init__(self, app, max_bytes: int = 64 << 20, holder=None):
        self.app = app
        self.max_bytes = max_bytes
        self.entries: OrderedDict[tuple, tuple[list, bytes]] = OrderedDict()
        self.size = 0
        self.generation: str | None = None
        self.hits = 0
        self.misses = 0
        self.asked: dict[tuple, int] = {}  # key -> times answered from the cache (what prefill replays)
        self.asgi_app = None  # the application object requests carry in scope["app"], seen on the first request
        self.lock = threading.Lock()  # the reloader's thread fills entries while the event loop serves
        if holder is not None and max_bytes:
            holder.cache = self

    async def __call__(self, scope, receive, send):
        if (not self.max_bytes or scope["type"] != "http" or scope["method"] != "GET"
                or scope["path"] not in CACHED_PATHS):
            return await self.app(scope, receive, send)
        self.asgi_app = scope["app"]
        holder = getattr(scope["app"].state, "holder", None)
        collection = scope.get(COLLECTION_KEY) or (holder.collection if holder is not None else None)
        if collection is None:
            return await self.app(scope, receive, send)
        generation = collection.generation.name
        if generation != self.generation and COLLECTION_KEY not in scope:
            self._switch(generation)
        key = (generation, scope["path"], scope.get("query_string", b""))
        with self.lock:
            stored = self.entries.get(key)
            if stored is not None:
                self.entries.move_to_end(key)
                self.asked[key] = self.asked.get(key, 0) + 1
        if stored is not None:
            self.hits += 1
            headers, body = stored
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        self.misses += 1
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        if start.get("status") == 200 and len(body) <= MAX_ENTRY_BYTES:
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"x-podquote-cache"]
            self._store(key, headers + [(b"x-podquote-cache", b"hit")], body)

    def _switch(self, generation: str) -> None:
        """The served generation changed: keep only its answers (prefilled ones), drop the rest."""
        with self.lock:
            for key in [key for key in self.entries if key[0] != generation]:
                self.size -= len(self.entries.pop(key)[1])
            self.asked = {key: n for key, n in self.asked.items() if key[0] == generation}
            self.generation = generation

    def _store(self, key: tuple, headers: list, body: bytes) -> None:
        with self.lock:
            if key[0] not in (self.generation, self._next):
                return  # answered by a generation that is no longer served
            old = self.entries.pop(key, None)
            self.size += len(body) - (len(old[1]) if old else 0)
            self.entries[key] = (headers, body)
            while self.size > self.max_bytes and self.entries:
                dropped_key, (_, dropped) = self.entries.popitem(last=False)
                self.size -= len(dropped)
                self.asked.pop(dropped_key, None)

    _next: str | None = None

    def prefill(self, collection, limit: int = PREFILL_ENTRIES, seconds: float = PREFILL_SECONDS) -> int:
        """Answer the most asked questions from `collection` (not served yet) and store the answers under its
        generation. Called from the reloader's thread; returns how many were stored."""
        if self.asgi_app is None:
            return 0
        with self.lock:
            popular = sorted(((n, key) for key, n in self.asked.items()
                              if key[0] == self.generation and key in self.entries), reverse=True)
            recent = [key for _, key in popular[:limit]]
            self._next = collection.generation.name
        deadline = time.monotonic() + seconds
        stored = 0

        async def replay():
            nonlocal stored
            for _, path, query in recent:
                if time.monotonic() > deadline:
                    break
                scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                         "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
                         "query_string": query, "headers": [(b"host", b"prefill")], "client": None,
                         "server": None, "app": self.asgi_app, COLLECTION_KEY: collection}
                before = self.misses

                async def receive():
                    return {"type": "http.request", "body": b"", "more_body": False}

                async def discard(message):
                    pass

                await self(scope, receive, discard)
                stored += self.misses > before

        try:
            asyncio.run(replay())
        except Exception:  # a cold start for some questions is the worst that can happen: never fail the reload
            log.exception("could not prefill the cache for %s", collection.generation.name)
        return stored
