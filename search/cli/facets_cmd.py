"""`podquote facets`: the values the search filters can name (what the page's GET /facets serves)."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from .common import DEFAULT_INDEX, IndexOption, console, errors_to_exit, fail

KINDS = ("shows", "episodes", "speakers", "languages")


def register(app: typer.Typer) -> None:
    app.command("facets")(errors_to_exit(facets))


def facets(
    only: Annotated[Optional[str], typer.Argument(
        help="Only one list: shows, episodes, speakers or languages.", show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="At most N values per list (0: all).")] = 0,
    index_dir: IndexOption = DEFAULT_INDEX,
    as_json: Annotated[bool, typer.Option(
        "--json", help='Print {"passages", "shows", "episodes", "speakers", "languages"} as JSON.')] = False,
) -> None:
    """List the shows, episodes (id, title, date), speakers and languages in the index, with passage counts,
    most passages first: the values --show, --episode, --speaker and --lang of `podquote search` take.

    Examples:

      podquote facets

      podquote facets speakers --limit 20

      podquote facets episodes --json
    """
    from ..collection import Collection

    if only is not None and only not in KINDS:
        fail(f"{only!r} is not one of {', '.join(KINDS)}", code=2)
    kinds = [only] if only else list(KINDS)
    collection = Collection.open(index_dir)
    data, totals = {"passages": len(collection)}, {}
    for kind, values in collection.facets().items():
        if kind in kinds:
            data[kind], totals[kind] = (values[:limit] if limit else values), len(values)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _print(data, totals)


_COLUMNS = {"episodes": ("value", "title", "date", "show", "count")}


def _print(data: dict, totals: dict[str, int]) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = console()
    out.print(f"{data['passages']:,} passages")
    for kind, total in totals.items():
        columns = _COLUMNS.get(kind, ("value", "count"))
        shown = f"{len(data[kind])} of {total}" if len(data[kind]) < total else str(total)
        table = Table(title=f"{kind} ({shown})", title_justify="left")
        for column in columns:
            table.add_column("id" if kind == "episodes" and column == "value" else column,
                             justify="right" if column == "count" else "left")
        for row in data[kind]:
            table.add_row(*(escape(str(row.get(c) or "")) if c != "count" else f"{row[c]:,}" for c in columns))
        out.print(table)
