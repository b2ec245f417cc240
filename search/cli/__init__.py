"""The `podquote` command: thin commands over the library. Heavy modules are imported inside the command
that needs them, so `podquote --help` answers at once."""

from __future__ import annotations

import typer

from . import eval_cmd, index_cmd, info_cmd, search_cmd, serve_cmd

app = typer.Typer(
    name="podquote",
    help=(
        "Semantic search over what people said on podcasts.\n\n"
        "Index transcripts, show notes and articles, then ask in English or Chinese:\n\n"
        "  podquote index ../transcripts\n\n"
        "  podquote search \"why Rook on bare metal\"\n\n"
        "The index lives in ./index unless --index or PODQUOTE_INDEX says otherwise."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
for module in (index_cmd, search_cmd, serve_cmd, info_cmd, eval_cmd):
    module.register(app)


def main() -> None:
    app()
