from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ...query import MAX_CONTEXT
from ..deps import CollectionDep
from ..schemas import Context, ErrorOut, PassageOut

router = APIRouter(tags=["passages"])


@router.get("/passages/{passage_id}", response_model=PassageOut, responses={404: {"model": ErrorOut}})
def passage(
    collection: CollectionDep,
    passage_id: Annotated[str, Path(min_length=1, max_length=64, description="A passage id from a search hit.")],
    context: Annotated[int, Query(ge=0, le=MAX_CONTEXT, description="Neighbouring passages to add per side.")] = 0,
) -> PassageOut:
    """One passage with all its fields; with `context`, its neighbouring passages too (as a search hit has them):
    what the page's moment link (`/?passage=ID`) opens."""
    found, neighbours = collection.passage_with_context(passage_id, context)
    before, after = neighbours
    # The Context model keeps only a hit's context fields (podquote.hits.CONTEXT_FIELDS) of each passage.
    shown = Context(before=[p.to_dict() for p in before], after=[p.to_dict() for p in after]) if context else None
    return PassageOut(**found.to_dict(), context=shown)
