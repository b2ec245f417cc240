from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from ..deps import CollectionDep
from ..schemas import ErrorOut, PassageOut

router = APIRouter(tags=["passages"])


@router.get("/passages/{passage_id}", response_model=PassageOut, responses={404: {"model": ErrorOut}})
def passage(
    collection: CollectionDep,
    passage_id: Annotated[str, Path(min_length=1, max_length=64, description="A passage id from a search hit.")],
) -> PassageOut:
    """One passage with all its fields."""
    return PassageOut(**collection.passage(passage_id).to_dict())
