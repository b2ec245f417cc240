"""Filters as people type them, resolved to what the index holds, and explained when they leave nothing.

A show is found by any case and by part ("podlets" -> "The Podlets"); an episode by its id, by the file it was
read from (path or name without extension: "006-a-conversation-with-joe-beda") or by a fragment of its title.
A value that could mean several is refused with the list, so a search never silently covers the wrong episode.
"""

from __future__ import annotations

import difflib
from dataclasses import fields, replace
from functools import cached_property
from pathlib import PurePosixPath

from .errors import InvalidQuery
from .metadata import Filters, MetadataStore
from .query import FILTER_NAMES

SUGGESTIONS = 5
LISTED = 10  # matches named in an "ambiguous" message


class FilterMatchesNothing(InvalidQuery):
    """A filter value no passage of the index has."""


class AmbiguousFilter(InvalidQuery):
    """A show or episode fragment that matches several."""


class Catalog:
    """The shows and episodes of one index generation, each read once, when a filter first needs it (a scan of
    every passage: 0.3-0.6 s at 228,000)."""

    def __init__(self, metadata: MetadataStore):
        self._metadata = metadata

    @cached_property
    def shows(self) -> list[str]:
        return self._metadata.distinct("show")

    @cached_property
    def episodes(self) -> list[dict]:
        return self._metadata.episodes()


def resolve(filters: Filters | None, catalog: Catalog) -> Filters | None:
    """`filters` with show and episode resolved to the index's own values (AmbiguousFilter, FilterMatchesNothing)."""
    if filters is None or not (filters.show or filters.episode):
        return filters
    return replace(filters, show=_show(filters.show, catalog.shows) if filters.show else None,
                   episode=_episode(filters.episode, catalog.episodes) if filters.episode else None)


def check_empty(filters: Filters, metadata: MetadataStore) -> str:
    """Why `filters` leave no passage: FilterMatchesNothing for a filter no passage has alone (with the nearest
    values), else each filter's own count, to say they only exclude each other."""
    for name in ("speaker", "source", "lang"):
        value = getattr(filters, name)
        if value and not metadata.count_matching(Filters(**{name: value})):
            nearest = _nearest(name, value, metadata)
            raise FilterMatchesNothing(f"{FILTER_NAMES[name]} {value!r} matches no passage{nearest}")
    _check_dates(filters, metadata)
    counts = [f"{FILTER_NAMES[f.name]} {getattr(filters, f.name)!r}: "
              f"{metadata.count_matching(Filters(**{f.name: getattr(filters, f.name)})):,} passages"
              for f in fields(filters) if getattr(filters, f.name)]
    return "no passage matches these filters together (" + "; ".join(counts) + ")"


def _show(value: str, shows: list[str]) -> str:
    exact = [s for s in shows if s.casefold() == value.casefold()]
    found = exact or [s for s in shows if value.casefold() in s.casefold()]
    return _one("show", value, found, shows)


def _episode(value: str, episodes: list[dict]) -> str:
    wanted = value.casefold()
    for match in (lambda e: e["value"].casefold() == wanted,
                  lambda e: any(_names_file(source, wanted) for source in e["sources"])
                  or wanted in (a.casefold() for a in e["aliases"]),
                  lambda e: wanted in (e["title"] or "").casefold()):
        found = [e for e in episodes if match(e)]
        if found:
            labels = {e["value"]: f"{e['value']} ({e['title']})" if e["title"] else e["value"] for e in found}
            return _one("episode", value, list(labels), [], labels)
    titles = [e["title"] for e in episodes if e["title"]] + [e["value"] for e in episodes]
    return _one("episode", value, [], titles)


def _names_file(source: str, wanted: str) -> bool:
    path = PurePosixPath(source.casefold())
    return wanted in (str(path), path.name, path.stem)


def _one(name: str, value: str, found: list[str], known: list[str], labels: dict[str, str] | None = None) -> str:
    if len(found) == 1:
        return found[0]
    if not found:
        close = difflib.get_close_matches(value, known, n=SUGGESTIONS, cutoff=0.5) or \
            difflib.get_close_matches(value.casefold(), [k.casefold() for k in known], n=SUGGESTIONS, cutoff=0.5)
        hint = f"; nearest: {', '.join(close)}" if close else ""
        raise FilterMatchesNothing(f"{name} {value!r} matches no {name}{hint} (`podquote facets` lists them all)")
    shown = [(labels or {}).get(f, f) for f in found[:LISTED]]
    more = f", and {len(found) - LISTED} more" if len(found) > LISTED else ""
    raise AmbiguousFilter(f"{name} {value!r} matches {len(found)} {name}s: {'; '.join(shown)}{more}. "
                          f"Give one of them exactly")


def _nearest(name: str, value: str, metadata: MetadataStore) -> str:
    known = metadata.distinct(name)
    parts = sorted({part for k in known for part in k.split()} | set(known)) if name == "speaker" else known
    close = difflib.get_close_matches(value.casefold(), [p.casefold() for p in parts], n=SUGGESTIONS, cutoff=0.6)
    originals = {p.casefold(): p for p in parts}
    return f"; nearest: {', '.join(originals[c] for c in close)}" if close else ""


def _check_dates(filters: Filters, metadata: MetadataStore) -> None:
    """Dates only match dated episodes: say so when the other filters keep only shows that carry none."""
    if not (filters.date_from or filters.date_to):
        return
    undated = replace(filters, date_from=None, date_to=None)
    if metadata.count_matching(replace(undated, date_from="0")) == 0:  # "0": any date at all
        shows = metadata.distinct("show", undated)
        which = ", ".join(shows[:LISTED]) if shows else "the index"
        raise FilterMatchesNothing(f"from/to: {which} carries no dates, so no passage can match a date range")
    dates = metadata.distinct("date")
    dated = Filters(date_from=filters.date_from, date_to=filters.date_to)
    if dates and not metadata.count_matching(dated):
        raise FilterMatchesNothing(f"from/to: no episode is dated in that range; dates run from {dates[0][:10]} "
                                   f"to {dates[-1][:10]}")
