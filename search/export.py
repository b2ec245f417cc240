"""Search hits written out for notes and spreadsheets: `podquote search ... --format json|csv|jsonl|markdown`.

`table` is the terminal's view (podquote.cli.reports) and is not written here. The others hold the hit shape of
podquote.hits (json and jsonl exactly; csv a flat subset of it), so every format says the same thing.
"""

from __future__ import annotations

import csv
import io
import json

from .citation import cite, render
from .hits import Hit, group_by_episode
from .query import InvalidParameter

EXPORT_FORMATS = ("table", "json", "csv", "jsonl", "markdown")
CSV_COLUMNS = ("id", "score", "speaker", "show", "episode_title", "date", "start", "link", "text")
GROUPED_FORMATS = ("table", "json")  # the formats with a place for the hits grouped by episode


def export_format(fmt: str | None, as_json: bool, grouped: bool = False) -> str:
    """The format asked for: `--format`, or `--json` (kept as the short way to say `--format json`), else table.
    `--json` with another `--format`, or `--group` where a format has no groups, is a usage error, not a guess."""
    if fmt is not None and fmt not in EXPORT_FORMATS:
        raise InvalidParameter("format", f"{fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
    if as_json and fmt not in (None, "json"):
        raise InvalidParameter("format", f"{fmt!r} contradicts --json (which means --format json); give one of them")
    chosen = "json" if as_json else fmt or "table"
    if grouped and chosen not in GROUPED_FORMATS:
        raise InvalidParameter("group", f"groups are shown by --format {' or '.join(GROUPED_FORMATS)}, not {chosen}")
    return chosen


def export_hits(fmt: str, query: str, hits: list[Hit], *, grouped: bool = False, notice: str | None = None) -> str:
    """The hits as text in `fmt` (any export format but table), ending without a newline."""
    if fmt == "json":
        data: dict = {"query": query, "hits": [hit.to_dict() for hit in hits]}
        if grouped:
            data["groups"] = group_by_episode(hits)
        if notice:
            data["notice"] = notice
        return json.dumps(data, ensure_ascii=False, indent=2)
    if fmt == "jsonl":
        return "\n".join(json.dumps(hit.to_dict(), ensure_ascii=False) for hit in hits)
    if fmt == "csv":
        return hits_csv(hits)
    if fmt == "markdown":
        return "\n\n".join(render(cite(hit.passage), "markdown") for hit in hits)
    raise InvalidParameter("format", f"{fmt!r} is not one of {', '.join(EXPORT_FORMATS[1:])}")


def hits_csv(hits: list[Hit]) -> str:
    """A header, then one row per hit. The csv module quotes what needs it (commas, quotes, newlines in a quote);
    the text stays UTF-8, which spreadsheets read when told to (or via their import dialog)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for hit in hits:
        data = hit.to_dict()
        writer.writerow([data["id"], data["score"], data["speaker"], data["show"], data["title"], data["date"],
                         data["start"], data["url"], data["text"]])
    return out.getvalue().rstrip("\n")
