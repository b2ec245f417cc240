"""Answers to repeated searches, from memory: the same GET /search against the same index generation.

A generation never changes once published, and a search is deterministic, so the answer to one query string is
the same until the server swaps in a new generation (search.api.reload). The cache is keyed by (generation,
path, raw query string), holds only 200 answers, is bounded in bytes (least recently used first out) and is
emptied when the generation changes. A hit costs a dictionary look-up instead of an embedding and a ranking
(~25 ms of CPU on 2 cores), which is what lets one process answer 32 concurrent clients asking popular
questions within 100 ms; questions never asked before still cost a full search (see RELIABILITY.md).
"""

from __future__ import annotations

from collections import OrderedDict

CACHED_PATHS = frozenset({"/search"})
MAX_ENTRY_BYTES = 1 << 20


class ResponseCache:
    """Pure ASGI middleware; `max_bytes=0` turns it off."""

    def __init__(self, app, max_bytes: int = 64 << 20):
        self.app = app
        self.max_bytes = max_bytes
        self.entries: OrderedDict[tuple, tuple[list, bytes]] = OrderedDict()
        self.size = 0
        self.generation: str | None = None
        self.hits = 0
        self.misses = 0

    async def __call__(self, scope, receive, send):
        if (not self.max_bytes or scope["type"] != "http" or scope["method"] != "GET"
                or scope["path"] not in CACHED_PATHS):
            return await self.app(scope, receive, send)
        collection = getattr(scope["app"].state, "holder", None) and scope["app"].state.holder.collection
        if collection is None:
            return await self.app(scope, receive, send)
        generation = collection.generation.name
        if generation != self.generation:  # a new index: every stored answer is stale
            self.entries.clear()
            self.size, self.generation = 0, generation
        key = (generation, scope["path"], scope.get("query_string", b""))
        stored = self.entries.get(key)
        if stored is not None:
            self.entries.move_to_end(key)
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
        if start.get("status") == 200 and len(body) <= MAX_ENTRY_BYTES and generation == self.generation:
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"x-podquote-cache"]
            self.entries[key] = (headers + [(b"x-podquote-cache", b"hit")], body)
            self.size += len(body)
            while self.size > self.max_bytes and self.entries:
                _, (_, old) = self.entries.popitem(last=False)
                self.size -= len(old)
