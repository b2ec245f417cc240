"""`podquote cite`: one passage as a citation to paste into notes, a document or a reference manager."""

from __future__ import annotations

from typing import Annotated

import typer

from ..citation import CITATION_FORMATS
from .common import DEFAULT_INDEX, IndexOption, errors_to_exit


def register(app: typer.Typer) -> None:
    app.command("cite")(errors_to_exit(cite))


def cite(
    passage_id: Annotated[str, typer.Argument(
        metavar="ID", help="A passage id, as `podquote search` shows it.", show_default=False)],
    fmt: Annotated[str, typer.Option("--format", "-f", help=(
        f"{', '.join(CITATION_FORMATS[:-1])} or {CITATION_FORMATS[-1]} (CSL-JSON, for Zotero and pandoc)."))]
    = CITATION_FORMATS[0],
    index_dir: IndexOption = DEFAULT_INDEX,
) -> None:
    """Print the citation of one passage: the quote, the speaker, the episode and show, the date, the time range
    and the link to the moment (what is unknown is left out).

    Examples:

      podquote cite 3f2a9c0d1e4b5a6f

      podquote cite 3f2a9c0d1e4b5a6f --format text | pbcopy

      podquote cite 3f2a9c0d1e4b5a6f --format csl-json > quote.json
    """
    from ..citation import check_format, cite as citation_of, render
    from ..collection import Collection

    check_format(fmt)  # before the index is opened: a typo is answered at once
    with Collection.open(index_dir) as collection:
        passage = collection.passage(passage_id.strip())
    typer.echo(render(citation_of(passage), fmt))
