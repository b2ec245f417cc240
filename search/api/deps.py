"""Dependencies, injected so tests (and a future reloader) can swap what the routes use."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..collection import Collection
from .cache import COLLECTION_KEY


def get_collection(request: Request) -> Collection:
    """The collection served now. Read once per request, so a request that started before a reload ends on
    the generation it started with (podquote.api.reload swaps the holder's reference, never the collection).
    The cache's prefill asks a collection that is not served yet, named in the request scope."""
    return request.scope.get(COLLECTION_KEY) or request.app.state.holder.collection


CollectionDep = Annotated[Collection, Depends(get_collection)]
