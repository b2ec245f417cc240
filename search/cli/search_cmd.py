"""`podquote search`: ask a question, get the quotes that answer it."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..export import EXPORT_FORMATS
from ..query import LANGUAGES, MAX_CONTEXT, MAX_K
from .common import DEFAULT_INDEX, IndexOption, console, errors_to_exit, is_default_index


def register(app: typer.Typer) -> None:
    app.command("search")(errors_to_exit(search))


def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="The question, in any language.", show_default=False)],
    k: Annotated[int, typer.Option("-k", "--top", min=1, max=MAX_K, help="How many passages to return.")] = 10,
    speaker: Annotated[Optional[str], typer.Option(
        help="Only this speaker (full name or one part, any case, or the initials a transcript used).")] = None,
    lang: Annotated[Optional[str], typer.Option(
        help=f"Only passages in this language: {', '.join(LANGUAGES[:-1])} or {LANGUAGES[-1]}.")] = None,
    episode: Annotated[Optional[str], typer.Option(
        help="Only this episode: its id (podlets/6), its file's name or own id (006-a-conversation-with-joe-beda) "
             "or part of its title.")] = None,
    show: Annotated[Optional[str], typer.Option(help="Only this show: its name or part of it, any case.")] = None,
    source: Annotated[Optional[str], typer.Option(help="Only this source file id (see `podquote info`).")] = None,
    date_from: Annotated[Optional[str], typer.Option(
        "--from", "--date-from", help="Only episodes on or after YYYY[-MM[-DD]] (dated shows only).")] = None,
    date_to: Annotated[Optional[str], typer.Option(
        "--to", "--date-to", help="Only episodes on or before YYYY[-MM[-DD]] (dated shows only).")] = None,
    context: Annotated[int, typer.Option(
        min=0, max=MAX_CONTEXT, help="Also show N neighbouring passages each side.")] = 0,
    group: Annotated[bool, typer.Option("--group", help="Group the hits by episode.")] = False,
    collapse: Annotated[bool, typer.Option(help="Fold near-duplicates from the same moment into one hit.")] = True,
    index_dir: IndexOption = DEFAULT_INDEX,
    as_json: Annotated[bool, typer.Option("--json", help="Print {\"query\", \"hits\": [...]} as JSON.")] = False,
    fmt: Annotated[Optional[str], typer.Option("--format", "-f", show_default=False, help=(
        f"Write the hits as {', '.join(EXPORT_FORMATS[:-1])} or {EXPORT_FORMATS[-1]} (default: table; --json is "
        "--format json). csv: one row per hit; jsonl: one --json hit per line; markdown: quotes with citations."
    ))] = None,
) -> None:
    """Search the index. With no index at the default place (./index) yet, the built-in example corpus is
    indexed there first; an --index or PODQUOTE_INDEX that holds no index is an error.

    Filters combine; `podquote facets` lists the shows, episodes, speakers and languages they can name.

    Examples:

      podquote search "why Rook on bare metal"

      podquote search "存储" --lang zh -k 3 --json

      podquote search "what is Crossplane" --speaker watts --context 1 --group

      podquote search "Ceph storage" -k 20 --format csv > quotes.csv
    """
    from ..collection import Collection
    from ..export import export_format, export_hits
    from ..metadata import Filters
    from ..query import SearchRequest
    from ..store import has_index

    filters = Filters(speaker=speaker, lang=lang, episode=episode, show=show, source=source,
                      date_from=date_from, date_to=date_to)
    request = SearchRequest.checked(query, k, filters, context, collapse)  # before any index is read or built
    chosen = export_format(fmt, as_json, group)
    if not has_index(index_dir) and is_default_index(ctx):
        _build_builtin(index_dir)
    collection = Collection.open(index_dir)
    hits = collection.search(request.query, request.k, request.filters, request.context,
                             collapse_duplicates=request.collapse)
    notice = collection.why_empty(filters) if not hits and not filters.is_empty() else None
    if notice:
        console(stderr=True).print(f"No results: {notice}")
    if chosen != "table":
        text = export_hits(chosen, query, hits, grouped=group, notice=notice)
        if text:  # no hits as jsonl or markdown: no lines at all, not one blank line
            typer.echo(text)
    else:
        from .reports import print_hits

        print_hits(query, hits, console(), grouped=group)


def _build_builtin(index_dir) -> None:
    from ..indexing import build_index

    err = console(stderr=True)
    err.print(f"No index at {index_dir}: indexing the built-in example corpus first (once).")
    report = build_index(index_dir)
    err.print(f"Indexed {report.passages} passages in {report.seconds:.1f} s.")
