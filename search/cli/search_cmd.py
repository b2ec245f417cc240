"""`podquote search`: ask a question, get the quotes that answer it."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from .common import DEFAULT_INDEX, IndexOption, console, errors_to_exit, fail, is_default_index

LANGUAGES = ("zh", "en", "other")


def register(app: typer.Typer) -> None:
    app.command("search")(errors_to_exit(search))


def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="The question, in any language.", show_default=False)],
    k: Annotated[int, typer.Option("-k", "--top", min=1, max=100, help="How many passages to return.")] = 10,
    speaker: Annotated[Optional[str], typer.Option(
        help="Only this speaker (full name or one part, any case, or the initials a transcript used).")] = None,
    lang: Annotated[Optional[str], typer.Option(help="Only passages in this language: zh, en or other.")] = None,
    episode: Annotated[Optional[str], typer.Option(
        help="Only this episode: its id (podlets/6), its file's name or own id (006-a-conversation-with-joe-beda) "
             "or part of its title.")] = None,
    show: Annotated[Optional[str], typer.Option(help="Only this show: its name or part of it, any case.")] = None,
    source: Annotated[Optional[str], typer.Option(help="Only this source file id (see `podquote info`).")] = None,
    date_from: Annotated[Optional[str], typer.Option(
        "--from", "--date-from", help="Only episodes on or after YYYY[-MM[-DD]] (dated shows only).")] = None,
    date_to: Annotated[Optional[str], typer.Option(
        "--to", "--date-to", help="Only episodes on or before YYYY[-MM[-DD]] (dated shows only).")] = None,
    context: Annotated[int, typer.Option(min=0, max=10, help="Also show N neighbouring passages each side.")] = 0,
    group: Annotated[bool, typer.Option("--group", help="Group the hits by episode.")] = False,
    collapse: Annotated[bool, typer.Option(help="Fold near-duplicates from the same moment into one hit.")] = True,
    index_dir: IndexOption = DEFAULT_INDEX,
    as_json: Annotated[bool, typer.Option("--json", help="Print {\"query\", \"hits\": [...]} as JSON.")] = False,
) -> None:
    """Search the index. With no index at the default place (./index) yet, the built-in example corpus is
    indexed there first; an --index or PODQUOTE_INDEX that holds no index is an error.

    Filters combine; `podquote facets` lists the shows, episodes, speakers and languages they can name.

    Examples:

      podquote search "why Rook on bare metal"

      podquote search "存储" --lang zh -k 3 --json

      podquote search "what is Crossplane" --speaker watts --context 1 --group
    """
    import re

    from ..collection import DATE_PATTERN, Collection, check_query, group_by_episode
    from ..generations import has_index
    from ..metadata import Filters

    check_query(query, k)
    if lang is not None and lang not in LANGUAGES:
        fail(f"--lang: {lang!r} is not one of {', '.join(LANGUAGES)}", code=2)
    for name, value in (("--from", date_from), ("--to", date_to)):
        if value is not None and not re.match(DATE_PATTERN, value):
            fail(f"{name}: {value!r} is not a date like 2024 or 2024-05 or 2024-05-31", code=2)
    if not has_index(index_dir) and is_default_index(ctx):
        _build_builtin(index_dir)
    collection = Collection.open(index_dir)
    filters = Filters(speaker=speaker, lang=lang, episode=episode, show=show, source=source,
                      date_from=date_from, date_to=date_to)
    hits = collection.search(query, k, filters, context=context, collapse_duplicates=collapse)
    notice = collection.why_empty(filters) if not hits and not filters.is_empty() else None
    if notice:
        console(stderr=True).print(f"No results: {notice}")
    if as_json:
        data = {"query": query, "hits": [h.to_dict() for h in hits]}
        if group:
            data["groups"] = group_by_episode(hits)
        if notice:
            data["notice"] = notice
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        from .reports import print_hits

        print_hits(query, hits, console(), grouped=group)


def _build_builtin(index_dir) -> None:
    from ..indexing import build_index

    err = console(stderr=True)
    err.print(f"No index at {index_dir}: indexing the built-in example corpus first (once).")
    report = build_index(index_dir)
    err.print(f"Indexed {report.passages} passages in {report.seconds:.1f} s.")
