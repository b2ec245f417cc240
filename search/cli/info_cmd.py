"""`podquote info`: what an index holds and how it was built."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from .common import DEFAULT_INDEX, IndexOption, console, errors_to_exit


def register(app: typer.Typer) -> None:
    app.command("info")(errors_to_exit(info))


def info(
    index_dir: IndexOption = DEFAULT_INDEX,
    verify: Annotated[bool, typer.Option("--verify", help="Also check every file's sha256 against the manifest.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the information as JSON.")] = False,
) -> None:
    """Show counts, embedder, build time and sources of an index.

    Example: podquote info --index ~/pq-index --verify
    """
    from ..collection import Collection

    collection = Collection.open(index_dir, verify=verify)
    data = collection.info()
    data["verified"] = verify
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    from .reports import print_info

    print_info(data, console())
    if verify:
        console().print("All files match their manifest checksums.")
