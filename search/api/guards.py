"""Bounds on every request, checked before any route runs.

- No operation takes a body: a body over MAX_BODY_BYTES is a 413 (by its Content-Length, or counted as it
  streams in), a Content-Length that is not a number a 400.
- A query string over MAX_QUERY_BYTES or a path over MAX_PATH_BYTES is a 414. The limits leave room for the
  longest valid request (a 1,000-character query and five 200-character filters, all percent-encoded 4-byte
  characters).
- A query parameter the operation does not declare is a 422 naming it and the parameters it does take (a typo
  such as `?speker=` would otherwise widen a search silently). Every operation in the API's schema whose answer
  parameters can change is checked (/search, /passages/{id}, /facets). /healthz is not: it takes none, and probes
  and monitors add their own (`?_=<time>` against caches). Nor is what is outside the schema (the page at `/`,
  which reads its own parameters in the browser, its files, /docs, /redoc and /openapi.json).
"""

from __future__ import annotations

import json

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

MAX_BODY_BYTES = 4096
MAX_QUERY_BYTES = 32 * 1024
MAX_PATH_BYTES = 2048
IGNORES_UNKNOWN_PARAMETERS = frozenset({"/healthz"})


class _TooLarge(Exception):
    pass


class RequestLimits:
    """Pure ASGI middleware: cheap checks on the raw request, so oversized input never reaches FastAPI."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            return await _reply(send, 414, f"the query string is over {MAX_QUERY_BYTES} bytes")
        if len(scope.get("raw_path") or scope.get("path", "").encode()) > MAX_PATH_BYTES:
            return await _reply(send, 414, f"the path is over {MAX_PATH_BYTES} bytes")
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                if not value.strip().isdigit():
                    return await _reply(send, 400, "Content-Length is not a number")
                if int(value) > MAX_BODY_BYTES:
                    return await _reply(send, 413, f"the request body is over {MAX_BODY_BYTES} bytes")
        received = 0
        started = False

        async def bounded_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    raise _TooLarge
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _reply(send, 413, f"the request body is over {MAX_BODY_BYTES} bytes")


async def _reply(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def _declared(request: Request, route: APIRoute) -> frozenset[str]:
    """The query parameters the OpenAPI schema documents for this operation (the schema is built once)."""
    cache = request.app.state.__dict__.setdefault("_podquote_query_names", {})
    key = (route.path_format, request.method)
    if key not in cache:
        operation = request.app.openapi().get("paths", {}).get(route.path_format, {}).get(request.method.lower(), {})
        cache[key] = frozenset(p["name"] for p in operation.get("parameters", []) if p.get("in") == "query")
    return cache[key]


def reject_unknown_query_parameters(request: Request) -> None:
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not route.include_in_schema or route.path in IGNORES_UNKNOWN_PARAMETERS:
        return
    declared = _declared(request, route)
    unknown = [name for name in request.query_params if name not in declared]
    if unknown:
        takes = ", ".join(sorted(declared)) or "no query parameters"
        raise RequestValidationError([
            {"type": "extra_forbidden", "loc": ("query", name), "input": request.query_params[name],
             "msg": f"Unknown query parameter {name!r}; this operation takes: {takes}"}
            for name in unknown
        ])
