"""`podquote search`: ask a question, get the quotes that answer it."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from .common import DEFAULT_INDEX, IndexOption, console, errors_to_exit

LANGUAGES = ("zh", "en", "other")


def register(app: typer.Typer) -> None:
    app.command("search")(errors_to_exit(search))


def search(
    query: Annotated[str, typer.Argument(help="The question, in any language.", show_default=False)],
    k: Annotated[int, typer.Option("-k", "--top", min=1, max=100, help="How many passages to return.")] = 10,
    speaker: Annotated[Optional[str], typer.Option(help="Only this speaker (full name or one part, any case).")] = None,
    lang: Annotated[Optional[str], typer.Option(help="Only passages in this language: zh, en or other.")] = None,
    episode: Annotated[Optional[str], typer.Option(help="Only this episode id.")] = None,
    show: Annotated[Optional[str], typer.Option(help="Only this show.")] = None,
    source: Annotated[Optional[str], typer.Option(help="Only this source file id.")] = None,
    index_dir: IndexOption = DEFAULT_INDEX,
    as_json: Annotated[bool, typer.Option("--json", help="Print {\"query\", \"hits\": [...]} as JSON.")] = False,
) -> None:
    """Search the index. With no index yet, the built-in example corpus is indexed first.

    Examples:

      podquote search "why Rook on bare metal"

      podquote search "存储" --lang zh -k 3 --json
    """
    from ..collection import Collection, check_query
    from ..generations import has_index
    from ..metadata import Filters

    check_query(query, k)
    if lang is not None and lang not in LANGUAGES:
        raise typer.BadParameter(f"{lang!r} is not one of {', '.join(LANGUAGES)}", param_hint="--lang")
    if not has_index(index_dir):
        _build_builtin(index_dir)
    collection = Collection.open(index_dir)
    hits = collection.search(query, k, Filters(speaker=speaker, lang=lang, episode=episode, show=show, source=source))
    if as_json:
        typer.echo(json.dumps({"query": query, "hits": [h.to_dict() for h in hits]}, ensure_ascii=False, indent=2))
    else:
        from .reports import print_hits

        print_hits(query, hits, console())


def _build_builtin(index_dir) -> None:
    from ..indexing import build_index

    err = console(stderr=True)
    err.print(f"No index at {index_dir}: indexing the built-in example corpus first (once).")
    report = build_index(index_dir)
    err.print(f"Indexed {report.passages} passages in {report.seconds:.1f} s.")
