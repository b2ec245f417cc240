"""Dependencies, injected so tests (and a future reloader) can swap what the routes use."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..collection import Collection


def get_collection(request: Request) -> Collection:
    return request.app.state.collection


CollectionDep = Annotated[Collection, Depends(get_collection)]
