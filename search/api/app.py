"""The FastAPI application: the index is opened once, in the lifespan, and shared by every request.

A watcher (podquote.api.reload) swaps in a new index generation when a build publishes one; repeated searches
are answered from memory until it does (podquote.api.cache). Every request is bounded before it reaches a route
(podquote.api.guards): no body, a short query string, only the parameters the operation declares; what still
fails unexpectedly is a generic 500, logged and counted.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from ..collection import Collection
from ..errors import IndexCorrupt, IndexMismatch, IndexNotFound, InvalidQuery, PassageNotFound, PodquoteError
from ..query import EMPTY_QUERY, InvalidParameter
from ..store import clean_if_idle
from .cache import ResponseCache
from .guards import RequestLimits, reject_unknown_query_parameters
from .reload import CollectionHolder
from .routers import cite, facets, health, page, passages, search
from .routers.search import NOT_BLANK

log = logging.getLogger("podquote.api")
DOCS_STATIC = "/static-offline-docs"
_STATUS = {InvalidQuery: 422, PassageNotFound: 404, IndexNotFound: 503, IndexCorrupt: 503, IndexMismatch: 503}


def create_app(index_dir: Path | str | None = None, collection: Collection | None = None, *,
               reload_interval: float | None = 1.0, cache_mb: float = 64) -> FastAPI:
    """An app serving the index in `index_dir` (opened at start-up with the full check, unless `collection` is
    that index already open), picking up new generations every `reload_interval` seconds (None: never).
    With only a `collection`, that collection is served as it is. Answers to repeated searches are kept in
    `cache_mb` megabytes of memory (0: none; podquote.api.cache)."""
    root = Path(index_dir) if index_dir is not None else (None if collection is not None else Path("index"))
    holder = CollectionHolder(root, collection, interval=reload_interval if root is not None else None)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if holder.collection is None:
            clean_if_idle(root)  # what a killed build left, unless a build is running now
            holder.open()
        holder.start()
        try:
            yield
        finally:
            holder.stop()

    # /docs and /redoc with Swagger UI's and ReDoc's files from the fastapi-offline package, served from this
    # origin under DOCS_STATIC: FastAPI's own pages load them from a CDN, which a machine offline cannot reach.
    app = FastAPIOffline(
        static_url=DOCS_STATIC,
        title="podquote",
        summary="Semantic search over what people said on podcasts.",
        version="1",
        lifespan=lifespan,
        dependencies=[Depends(reject_unknown_query_parameters)],
    )
    app.state.holder = holder
    app.state.internal_errors = 0
    app.add_middleware(ResponseCache, max_bytes=int(cache_mb * (1 << 20)), holder=holder)
    app.add_middleware(RequestLimits)  # added last, so it runs first: oversized requests never reach the cache
    app.include_router(search.router)
    app.include_router(passages.router)
    app.include_router(cite.router)
    app.include_router(health.router)
    app.include_router(facets.router)
    app.include_router(page.router)  # the search page at / and its files under /static/

    @app.exception_handler(PodquoteError)
    async def domain_error(request: Request, exc: PodquoteError) -> JSONResponse:
        status = next((_STATUS[cls] for cls in type(exc).__mro__ if cls in _STATUS), 400)  # subclasses too
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # One shape for every error: `detail` is a sentence; the structured list is kept under `errors`.
        errors = jsonable_encoder(exc.errors(), custom_encoder={bytes: lambda b: b.decode("utf-8", "replace")})
        return JSONResponse({"detail": validation_sentence(errors), "errors": errors}, status_code=422)

    @app.exception_handler(InvalidParameter)
    async def invalid_parameter(request: Request, exc: InvalidParameter) -> JSONResponse:
        # The query contract's refusal of one parameter, in the same shape as the schema's own.
        errors = [{"type": "value_error", "loc": ["query", exc.parameter], "msg": exc.reason}]
        return JSONResponse({"detail": validation_sentence(errors), "errors": errors}, status_code=422)

    _document_error_shape(app)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        # Last resort: a bug. The client gets no internals; the log gets the traceback; tests count these.
        app.state.internal_errors += 1
        log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": "internal error"}, status_code=500)

    return app


def validation_sentence(errors: list[dict]) -> str:
    """FastAPI's validation errors as one line: `k: Input should be less than or equal to 100; query: Field
    required` (named as the search page names them: the parameter, `q` spelt out as `query`)."""
    parts = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        where = {"q": "query"}.get(loc[-1], loc[-1]) if loc else ""
        message = error.get("msg", "invalid")
        if error.get("type") == "string_pattern_mismatch" and (error.get("ctx") or {}).get("pattern") == NOT_BLANK:
            message = EMPTY_QUERY
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts) or "invalid request"


def _document_error_shape(app: FastAPI) -> None:
    """The OpenAPI document says what a 422 really holds: `detail` as a sentence, the list under `errors`."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = build()
            components = schema.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in components:
                components["HTTPValidationError"] = {
                    "title": "HTTPValidationError", "type": "object", "required": ["detail"],
                    "properties": {
                        "detail": {"type": "string", "title": "Detail"},
                        "errors": {"type": "array", "title": "Errors",
                                   "items": {"$ref": "#/components/schemas/ValidationError"}},
                    },
                }
        return app.openapi_schema

    app.openapi = openapi
