"""What each MCP tool answers, computed from one Collection: plain functions and the pydantic shapes they return.

No MCP here: podquote.mcp.server turns these into tools (their input schemas, their errors). Every request goes
through the same contract as `podquote search` and GET /search (podquote.query, podquote.filtering), so a bad
argument is refused in the same words; a PodquoteError raised here is the message the tool error carries.
"""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field

from ..citation import cite, render
from ..collection import Collection
from ..filtering import resolve as resolve_filters
from ..hits import Hit
from ..metadata import Filters
from ..passage import Passage
from ..query import SearchRequest
from ..timecode import format_timecode


class Turn(BaseModel):
    """A neighbouring passage: what was said just before or after."""

    id: str = Field(description="Passage id (get_passage takes it).")
    text: str
    speaker: Optional[str] = None
    start: Optional[float] = Field(None, description="Seconds from the start of the episode, when known.")
    link: Optional[str] = Field(None, description="Link to this moment of the episode, when known.")


class Quote(BaseModel):
    """One passage with everything needed to quote and cite it."""

    id: str = Field(description="Passage id: get_passage(id, context) returns it with its neighbouring turns.")
    text: str = Field(description="The passage, verbatim.")
    speaker: Optional[str] = Field(None, description="Who said it, when the transcript names the speaker.")
    show: Optional[str] = None
    episode: Optional[str] = Field(None, description="Episode id (list_episodes lists them).")
    episode_title: Optional[str] = None
    date: Optional[str] = Field(None, description="Episode date (ISO), when known.")
    start: Optional[float] = Field(None, description="Seconds from the start of the episode, when known.")
    end: Optional[float] = None
    at: Optional[str] = Field(None, description="`start` as a timecode (h:mm:ss or m:ss).")
    link: Optional[str] = Field(None, description="Link to the episode at this moment, when known.")
    lang: str = Field(description="zh, en or other.")


class QuoteHit(Quote):
    score: float = Field(description="Relevance, higher is better (comparable within one search only).")
    highlight: str = Field(description="The sentence(s) of `text` that best match the query.")
    highlight_at: Optional[str] = Field(None, description="When `highlight` is said (timecode), when known.")
    highlight_link: Optional[str] = Field(None, description="Link to the episode where `highlight` is said.")


class SearchResult(BaseModel):
    query: str
    hits: list[QuoteHit] = Field(description="Best first.")
    notice: Optional[str] = Field(None, description="Why there are no hits, when filters left none.")


class PassageResult(BaseModel):
    passage: Quote
    before: list[Turn] = Field(description="Up to `context` turns before it, in order.")
    after: list[Turn] = Field(description="Up to `context` turns after it, in order.")
    citation: str = Field(description="The passage cited, ready to paste (as `podquote cite ID --format text`).")


class Count(BaseModel):
    value: str
    passages: int


class EpisodeRow(BaseModel):
    id: str = Field(description="What search_quotes' `episode` takes.")
    title: Optional[str] = None
    show: Optional[str] = None
    date: Optional[str] = None
    passages: int


class Listing(BaseModel):
    """One page of a list: `total` says how many there are in all."""

    total: int
    shown: int


class SpeakerList(Listing):
    show: Optional[str] = Field(None, description="The show they were listed for, as the index names it.")
    speakers: list[Count]


class ShowList(Listing):
    shows: list[Count]


class EpisodeList(Listing):
    show: Optional[str] = None
    episodes: list[EpisodeRow]


def quote_fields(passage: Passage) -> dict:
    return {"id": passage.id, "text": passage.text, "speaker": passage.speaker, "show": passage.show,
            "episode": passage.episode, "episode_title": passage.title, "date": passage.date,
            "start": passage.start, "end": passage.end, "at": format_timecode(passage.start) or None,
            "link": passage.url, "lang": passage.lang}


def turn(passage: Passage) -> Turn:
    return Turn(id=passage.id, text=passage.text, speaker=passage.speaker, start=passage.start, link=passage.url)


def hit_out(hit: Hit) -> QuoteHit:
    low, high = hit.highlight
    return QuoteHit(**quote_fields(hit.passage), score=round(float(hit.score), 6),
                    highlight=hit.passage.text[low:high] if high > low else hit.passage.text,
                    highlight_at=format_timecode(hit.moment) or None, highlight_link=hit.moment_url)


def search_quotes(collection: Collection, query: str, k: int = 10, filters: Filters | None = None) -> SearchResult:
    """The k best passages, as `podquote search` finds them; a filter that matches nothing alone raises
    FilterMatchesNothing (the CLI's error), filters that only exclude each other give a notice."""
    filters = filters or Filters()
    request = SearchRequest.checked(query, k, filters)
    hits = collection.search(request.query, request.k, request.filters, collapse_duplicates=request.collapse)
    notice = collection.why_empty(filters) if not hits and not filters.is_empty() else None
    return SearchResult(query=request.query, hits=[hit_out(h) for h in hits], notice=notice)


def get_passage(collection: Collection, pid: str, context: int = 2) -> PassageResult:
    """One passage and up to `context` turns each side: the neighbours a search hit shows with --context."""
    # InvalidParameter for a context out of range, PassageNotFound: the messages every client gives.
    passage, (before, after) = collection.passage_with_context((pid or "").strip(), context)
    return PassageResult(passage=Quote(**quote_fields(passage)), before=[turn(p) for p in before],
                         after=[turn(p) for p in after], citation=render(cite(passage), "text"))


def exact_show(collection: Collection, show: str | None) -> str | None:
    """The index's own name for `show` (any case, or a part), refused as `podquote search --show` refuses it."""
    if show is None or not show.strip():
        return None
    return resolve_filters(Filters(show=show.strip()), collection.catalog).show


def list_shows(collection: Collection, limit: int) -> ShowList:
    shows = [Count(value=row["value"], passages=row["count"]) for row in collection.facet("show")]
    return ShowList(total=len(shows), shown=min(limit, len(shows)), shows=shows[:limit])


def list_speakers(collection: Collection, show: str | None, limit: int) -> SpeakerList:
    name = exact_show(collection, show)
    if name is None:
        rows = [(row["value"], row["count"]) for row in collection.speakers()]
    else:
        rows = [(row["value"], row["count"]) for row in collection.speakers(Filters(show=name))]
    speakers = [Count(value=value, passages=n) for value, n in rows]
    return SpeakerList(show=name, total=len(speakers), shown=min(limit, len(speakers)), speakers=speakers[:limit])


def list_episodes(collection: Collection, show: str | None, limit: int) -> EpisodeList:
    name = exact_show(collection, show)
    episodes = [EpisodeRow(id=row["value"], title=row["title"], show=row["show"], date=row["date"],
                           passages=row["count"])
                for row in collection.episodes()
                if name is None or (row["show"] or "").casefold() == name.casefold()]
    return EpisodeList(show=name, total=len(episodes), shown=min(limit, len(episodes)), episodes=episodes[:limit])
