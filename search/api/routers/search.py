from __future__ import annotations

from typing import Annotated, Literal, Optional

from fastapi import APIRouter, Query

from ...filtering import FilterMatchesNothing
from ...hits import group_by_episode
from ...metadata import Filters
from ...query import DATE_PATTERN, LANGUAGES, MAX_CONTEXT, MAX_K, MAX_QUERY_CHARS, SearchRequest, checked_filters
from ..deps import CollectionDep
from ..schemas import ErrorOut, SearchOut

router = APIRouter(tags=["search"])
FILTER_CHARS = 200
NOT_BLANK = r"[^\s\x1c-\x1f]"  # a character str.strip() keeps: a blank query is refused by the schema itself
# Language and dates are checked by podquote.query, in the words the CLI uses too; the schema only documents them.
LANGUAGE = {"enum": list(LANGUAGES)}
DATE = {"pattern": DATE_PATTERN}


@router.get("/search", response_model=SearchOut, responses={422: {"model": ErrorOut}})
def search(
    collection: CollectionDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS, pattern=NOT_BLANK,
                            description="The question, any language (not only white space).")],
    k: Annotated[int, Query(ge=1, le=MAX_K, description="How many passages to return.")] = 10,
    speaker: Annotated[Optional[str], Query(min_length=1, max_length=FILTER_CHARS)] = None,
    lang: Annotated[Optional[str], Query(json_schema_extra=LANGUAGE)] = None,
    episode: Annotated[Optional[str], Query(min_length=1, max_length=FILTER_CHARS)] = None,
    show: Annotated[Optional[str], Query(min_length=1, max_length=FILTER_CHARS)] = None,
    source: Annotated[Optional[str], Query(min_length=1, max_length=FILTER_CHARS)] = None,
    date_from: Annotated[Optional[str], Query(alias="from", json_schema_extra=DATE,
                                              description="Episodes on or after (YYYY[-MM[-DD]]).")] = None,
    date_to: Annotated[Optional[str], Query(alias="to", json_schema_extra=DATE,
                                            description="Episodes on or before (YYYY[-MM[-DD]]).")] = None,
    old_from: Annotated[Optional[str], Query(alias="date_from", json_schema_extra=DATE, deprecated=True,
                                             description="The former name of `from`.")] = None,
    old_to: Annotated[Optional[str], Query(alias="date_to", json_schema_extra=DATE, deprecated=True,
                                           description="The former name of `to`.")] = None,
    context: Annotated[int, Query(ge=0, le=MAX_CONTEXT, description="Neighbouring passages to add per side.")] = 0,
    collapse: Annotated[bool, Query(description="Fold near-duplicates from the same moment into one hit.")] = True,
    group: Annotated[Optional[Literal["episode"]], Query(description="Also return the hits grouped by episode.")] = None,
) -> SearchOut:
    """Passages that answer `q`, best first, with who said them, where and when.

    `show` matches any case and by part; `episode` takes an episode id, its file's name or part of its title;
    `speaker` a full name or one part of it. A show or episode value that matches several is a 422 listing them;
    a filter that matches nothing gives no hits and a `notice` naming it and the nearest values, as do filters
    that each match but leave nothing together.
    """
    filters = Filters(speaker=speaker, lang=lang, episode=episode, show=show, source=source,
                      date_from=old_from if date_from is None else date_from,  # `from=` is checked, not dropped
                      date_to=old_to if date_to is None else date_to)
    request = SearchRequest.checked(q, k, filters, context, collapse)
    checked_filters(Filters(date_from=old_from, date_to=old_to))  # the former names too, even when overridden
    try:
        hits = collection.search(request.query, request.k, request.filters, request.context,
                                 collapse_duplicates=request.collapse)
        notice = collection.why_empty(filters) if not hits and not filters.is_empty() else None
    except FilterMatchesNothing as exc:  # a valid request whose answer is "none": said, not refused
        hits, notice = [], str(exc)
    groups = group_by_episode(hits) if group == "episode" else None
    return SearchOut(query=q, hits=[h.to_dict() for h in hits], groups=groups, notice=notice)
