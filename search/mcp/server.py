"""The MCP server: podquote's search as tools an assistant can call, on the official SDK's MCPServer.

Each tool's parameters carry a description and their limits in the JSON schema, so an assistant can fill them
in; the limits are checked by podquote.query rather than by the schema's validator, so a bad value is refused in
the words `podquote search` uses ("k: Input should be greater than or equal to 1", "lang: 'fr' is not one of
...") and comes back as a tool error (isError), never as a protocol error or a crash. The index is read through
a podquote.api.reload.CollectionHolder, as `podquote serve` reads it: each call takes the generation served at
that moment, and a rebuilt index is picked up without a restart.
"""

from __future__ import annotations

from typing import Annotated, Callable, Optional, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from ..api.reload import CollectionHolder
from ..errors import PodquoteError
from ..metadata import Filters
from ..query import (DATE_PATTERN, LANGUAGES, MAX_CONTEXT, MAX_K, MAX_QUERY_CHARS, InvalidParameter,
                     checked_range)
from ..store.manifest import package_version
from . import answers

NAME = "podquote"
FILTER_CHARS = 200
MAX_LIST = 1000
PARAMETERS = {"from": "date_from", "to": "date_to"}  # podquote.query's name for a parameter -> the tool's
INSTRUCTIONS = (
    "Search what people said on the podcasts in this podquote index, and quote them verbatim with who said it, "
    "the show, the episode, the date and a link to the moment. Start with search_quotes; call get_passage with a "
    "hit's id for the turns around it; list_shows, list_speakers and list_episodes give the exact values the "
    "filters take. Quote `text` as is and give its `link`."
)
# Read-only tools over a local index: an assistant may call them without asking the user each time.
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
Result = TypeVar("Result")


def text(description: str, **limits) -> object:
    """A string parameter's description; its limits are shown in the schema and checked by podquote.query."""
    return Field(description=description, json_schema_extra=limits or None)


def optional_text(description: str, **limits) -> object:
    """An optional string: the limits go on the string branch of the schema's anyOf, not on null."""
    return Annotated[Optional[Annotated[str, Field(json_schema_extra=limits)]], Field(description=description)]


def whole(description: str, low: int, high: int) -> object:
    return Field(description=description, json_schema_extra={"minimum": low, "maximum": high})


Query = Annotated[str, text("The question or topic, in any language (English, Chinese...), as a person would "
                            "ask it.", minLength=1, maxLength=MAX_QUERY_CHARS)]
K = Annotated[int, whole("How many passages to return, best first.", 1, MAX_K)]
Speaker = optional_text("Only this speaker: a full name or one part of it, any case (\"watts\" finds Jared "
                        "Watts). list_speakers lists them.", minLength=1, maxLength=FILTER_CHARS)
Show = optional_text("Only this show: its name or part of it, any case. list_shows lists them.",
                     minLength=1, maxLength=FILTER_CHARS)
Episode = optional_text("Only this episode: its id (from list_episodes or a hit), its file's name or part of its "
                        "title.", minLength=1, maxLength=FILTER_CHARS)
Lang = optional_text("Only passages in this language.", enum=list(LANGUAGES))
DateFrom = optional_text("Only episodes on or after this date, YYYY[-MM[-DD]] (dated shows only).",
                         pattern=DATE_PATTERN)
DateTo = optional_text("Only episodes on or before this date, YYYY[-MM[-DD]] (dated shows only).",
                       pattern=DATE_PATTERN)
PassageId = Annotated[str, text("A passage id, from a search_quotes hit.", minLength=1, maxLength=64)]
Context = Annotated[int, whole("How many neighbouring turns to add on each side.", 0, MAX_CONTEXT)]
Limit = Annotated[int, whole("At most this many values, most passages first.", 1, MAX_LIST)]
ShowFilter = optional_text("Only this show (name or part of it, any case); all shows when left out.",
                           minLength=1, maxLength=FILTER_CHARS)


def create_server(holder: CollectionHolder) -> MCPServer:
    """An MCPServer whose tools answer from `holder.collection` (opened by the caller)."""
    server = MCPServer(NAME, title="podquote: quotes from podcasts", instructions=INSTRUCTIONS,
                       version=package_version(), log_level="WARNING")

    def answer(compute: Callable[..., Result]) -> Result | CallToolResult:
        """`compute(collection)`, or podquote's own message as a tool error: what the CLI prints after "Error: "."""
        try:
            return compute(holder.collection)  # the generation served now, for the whole call
        except PodquoteError as exc:
            return CallToolResult(content=[TextContent(type="text", text=message(exc))], is_error=True)

    @server.tool(annotations=READ_ONLY)
    def search_quotes(query: Query, k: K = 10, speaker: Speaker = None, show: Show = None, episode: Episode = None,
                      lang: Lang = None, date_from: DateFrom = None, date_to: DateTo = None) -> answers.SearchResult:
        """Find what was said about a topic: the passages of podcast transcripts that best answer `query`, best
        first, each with its verbatim text, speaker, show, episode, date, start time, a link to the moment and a
        score. Filters combine. A filter that matches nothing is an error naming the nearest values; filters
        that each match but exclude each other give no hits and a `notice`."""
        filters = Filters(speaker=speaker, lang=lang, episode=episode, show=show, date_from=date_from,
                          date_to=date_to)
        return answer(lambda collection: answers.search_quotes(collection, query, k, filters))

    @server.tool(annotations=READ_ONLY)
    def get_passage(id: PassageId, context: Context = 2) -> answers.PassageResult:
        """One passage by its id (from a search_quotes hit), with up to `context` turns before and after it in
        the same episode: to see who asked what, or to quote a longer exchange."""
        return answer(lambda collection: answers.get_passage(collection, id, context))

    @server.tool(annotations=READ_ONLY)
    def list_speakers(show: ShowFilter = None, limit: Limit = 100) -> answers.SpeakerList:
        """The speakers in the index (or in one show), with how many passages each said, most first: the values
        search_quotes' `speaker` takes."""
        return answer(lambda collection: answers.list_speakers(collection, show, checked_limit(limit)))

    @server.tool(annotations=READ_ONLY)
    def list_shows(limit: Limit = 100) -> answers.ShowList:
        """The shows in the index, with their passage counts, most first: the values search_quotes' `show`
        takes."""
        return answer(lambda collection: answers.list_shows(collection, checked_limit(limit)))

    @server.tool(annotations=READ_ONLY)
    def list_episodes(show: ShowFilter = None, limit: Limit = 100) -> answers.EpisodeList:
        """The episodes in the index (or in one show): id, title, show, date and passage count, most passages
        first. An episode's id is what search_quotes' `episode` takes."""
        return answer(lambda collection: answers.list_episodes(collection, show, checked_limit(limit)))

    return server


def message(error: PodquoteError) -> str:
    """The error's text; one bad parameter named as the tool names it (date_from, where the CLI says --from)."""
    if isinstance(error, InvalidParameter):
        return f"{PARAMETERS.get(error.parameter, error.parameter)}: {error.reason}"
    return str(error)


def checked_limit(limit: int) -> int:
    return checked_range("limit", limit, 1, MAX_LIST)
