"""What the index can be filtered by: the choices behind the search page's show, speaker and language filters."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter
from pydantic import BaseModel

from ..deps import CollectionDep

router = APIRouter(tags=["facets"])


class FacetValue(BaseModel):
    value: str
    count: int


class EpisodeFacet(FacetValue):
    title: Optional[str]
    date: Optional[str] = None
    show: Optional[str] = None


class FacetsOut(BaseModel):
    passages: int
    shows: list[FacetValue]
    speakers: list[FacetValue]
    languages: list[FacetValue]
    episodes: list[EpisodeFacet]


@router.get("/facets", response_model=FacetsOut)
def facets(collection: CollectionDep) -> FacetsOut:
    """Shows, speakers, languages and episodes in the index, each with its passage count, most first."""
    return FacetsOut(passages=len(collection), **collection.facets())
