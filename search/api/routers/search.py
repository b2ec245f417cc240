from __future__ import annotations

from typing import Annotated, Literal, Optional

from fastapi import APIRouter, Query

from ...collection import DATE_PATTERN, MAX_CONTEXT, MAX_K, MAX_QUERY_CHARS, group_by_episode
from ...metadata import Filters
from ..deps import CollectionDep
from ..schemas import ErrorOut, SearchOut

router = APIRouter(tags=["search"])
FILTER_CHARS = 200
NOT_BLANK = r"[^\s\x1c-\x1f]"  # a character str.strip() keeps: a blank query is refused by the schema itself


@router.get("/search", response_model=SearchOut, responses={422: {"model": ErrorOut}})
def search(
    collection: CollectionDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, pattern=NOT_BLANK,
                            description="The question, any language (not only white space).")],
    k: Annotated[int, Query(ge=1, le=MAX_K, description="How many passages to return.")] = 10,
    speaker: Annotated[Optional[str], Query(min_length=1, max_length=FILTER_CHARS)] = None,
    lang: Annotated[Optional[Literal["zh", "en", "other"]], Query()] = None,
    episode: Annotated[Optional[str], Query(min_length=1, max_length=FILTER_CHARS)] = None,
    show: Annotated[Optional[str], Query(min_length=1, max_length=FILTER_CHARS)] = None,
    source: Annotated[Optional[str], Query(min_length=1, max_length=FILTER_CHARS)] = None,
    date_from: Annotated[Optional[str], Query(pattern=DATE_PATTERN, description="Episodes on or after (YYYY[-MM[-DD]]).")] = None,
    date_to: Annotated[Optional[str], Query(pattern=DATE_PATTERN, description="Episodes on or before (YYYY[-MM[-DD]]).")] = None,
    context: Annotated[int, Query(ge=0, le=MAX_CONTEXT, description="Neighbouring passages to add per side.")] = 0,
    collapse: Annotated[bool, Query(description="Fold near-duplicates from the same moment into one hit.")] = True,
    group: Annotated[Optional[Literal["episode"]], Query(description="Also return the hits grouped by episode.")] = None,
) -> SearchOut:
    """Passages that answer `q`, best first, with who said them, where and when."""
    filters = Filters(speaker=speaker, lang=lang, episode=episode, show=show, source=source,
                      date_from=date_from, date_to=date_to)
    hits = collection.search(q, k, filters, context=context, collapse_duplicates=collapse)
    groups = group_by_episode(hits) if group == "episode" else None
    return SearchOut(query=q, hits=[h.to_dict() for h in hits], groups=groups)
