"""The FastAPI application: the index is opened once, in the lifespan, and shared by every request."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..collection import Collection
from ..errors import IndexCorrupt, IndexMismatch, IndexNotFound, InvalidQuery, PassageNotFound, PodquoteError
from .routers import facets, health, page, passages, search

_STATUS = {InvalidQuery: 422, PassageNotFound: 404, IndexNotFound: 503, IndexCorrupt: 503, IndexMismatch: 503}


def create_app(index_dir: Path | str | None = None, collection: Collection | None = None) -> FastAPI:
    """An app serving `collection`, or the index in `index_dir` opened at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if getattr(app.state, "collection", None) is None:
            app.state.collection = Collection.open(Path(index_dir or "index"))
        yield

    app = FastAPI(
        title="podquote",
        summary="Semantic search over what people said on podcasts.",
        version="1",
        lifespan=lifespan,
    )
    app.state.collection = collection
    app.include_router(search.router)
    app.include_router(passages.router)
    app.include_router(health.router)
    app.include_router(facets.router)
    app.include_router(page.router)  # the search page at / and its files under /static/

    @app.exception_handler(PodquoteError)
    async def domain_error(request: Request, exc: PodquoteError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=_STATUS.get(type(exc), 400))

    return app
