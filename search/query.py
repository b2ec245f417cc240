"""The query contract: one checked search request, whoever asks (the library, `podquote search`, GET /search).

The CLI and the API parse their own syntax and hand the values here; what is refused, and in which words, is
decided once. Their frameworks also declare the numeric limits below (typer's ranges in `--help`, pydantic's in
the OpenAPI document), and word a breach as this module does ("Input should be ..."), so a request gets the
same reason from every client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import InvalidQuery
from .metadata import Filters

MAX_QUERY_CHARS = 1000
MAX_K = 100
MAX_CONTEXT = 10
LANGUAGES = ("zh", "en", "other")  # what podquote.lang tells apart
DATE_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"
EMPTY_QUERY = "the query is empty; ask something, e.g. \"why Rook on bare metal\""
# A filter's name as people type it, the same in the CLI (--from) and the API (?from=).
FILTER_NAMES = {"speaker": "speaker", "lang": "lang", "source": "source", "episode": "episode", "show": "show",
                "date_from": "from", "date_to": "to"}


class InvalidParameter(InvalidQuery):
    """One parameter outside the contract, named as both the CLI (`--lang`) and the API (`?lang=`) name it."""

    def __init__(self, parameter: str, reason: str):
        super().__init__(f"{parameter}: {reason}")
        self.parameter = parameter
        self.reason = reason


@dataclass(frozen=True)
class SearchRequest:
    """A search as every client asks it, checked: build it with `SearchRequest.checked`."""

    query: str
    k: int = 10
    filters: Filters = field(default_factory=Filters)
    context: int = 0  # neighbouring passages to add on each side of a hit
    collapse: bool = True  # fold near-duplicates from the same moment into one hit

    @classmethod
    def checked(cls, query: str, k: int = 10, filters: Filters | None = None, context: int = 0,
                collapse: bool = True) -> "SearchRequest":
        """The request with its query stripped, or InvalidQuery saying what is wrong (InvalidParameter when
        one parameter is)."""
        return cls(checked_query(query), checked_range("k", k, 1, MAX_K), checked_filters(filters or Filters()),
                   checked_range("context", context, 0, MAX_CONTEXT), collapse)


def checked_query(query: str) -> str:
    query = (query or "").strip()
    if not query:
        raise InvalidQuery(EMPTY_QUERY)
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidQuery(f"the query has {len(query)} characters; the limit is {MAX_QUERY_CHARS}")
    return query


def checked_range(parameter: str, value: int, low: int, high: int) -> int:
    # Worded as typer and pydantic word their own range checks, which answer first in the CLI and the API.
    if value < low:
        raise InvalidParameter(parameter, f"Input should be greater than or equal to {low}")
    if value > high:
        raise InvalidParameter(parameter, f"Input should be less than or equal to {high}")
    return value


def checked_filters(filters: Filters) -> Filters:
    """`filters` if its language and dates are well formed (whether the index holds them is podquote.filtering's)."""
    if filters.lang is not None and filters.lang not in LANGUAGES:
        choices = ", ".join(repr(name) for name in LANGUAGES[:-1]) + f" or {LANGUAGES[-1]!r}"
        raise InvalidParameter(FILTER_NAMES["lang"], f"{filters.lang!r} is not one of {choices}")
    for name in ("date_from", "date_to"):
        value = getattr(filters, name)
        if value is not None and not re.match(DATE_PATTERN, value):
            raise InvalidParameter(FILTER_NAMES[name], f"{value!r} is not a date: it should match pattern "
                                                       "YYYY[-MM[-DD]], like 2024 or 2024-05 or 2024-05-31")
    return filters
