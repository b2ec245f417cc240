"""The `podquote` command: thin commands over the library. Heavy modules are imported inside the command
that needs them, so `podquote --help` answers at once."""

from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup, TyperOption

from . import (cite_cmd, eval_cmd, facets_cmd, feeds_cmd, index_cmd, info_cmd, mcp_cmd, search_cmd, serve_cmd,
               transcribe_cmd)


# Click's exceptions, wherever this typer takes click from (recent typers vendor it).
_click = sys.modules[typer.BadParameter.__module__]
_CLICK_ERRORS = (_click.ClickException, typer.TyperException)
_ABORTS = (getattr(_click, "Abort", typer.Abort), typer.Abort)


def _flags_without_type() -> None:
    """Recent typers print a flag's type in help (`--json <bool>`), which reads as if it took a value."""
    typed = getattr(TyperOption, "display_type_rich", None)
    if typed is not None and not getattr(typed, "podquote_patched", False):
        def display_type_rich(self, ctx):
            return None if self.is_flag else typed(self, ctx)

        display_type_rich.podquote_patched = True
        TyperOption.display_type_rich = display_type_rich


_flags_without_type()


class OneLineErrors(TyperGroup):
    """Usage errors as one line on stderr (`Error: Invalid value for '-k' / '--top': ...`), exit code 2.

    Typer draws them as a multi-line box with the usage above it; scripts and people reading a log want one line.
    Help (`--help`, or no arguments at all) stays rich.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _CLICK_ERRORS as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `podquote` alone: the help, as rich as ever
                typer.echo(exc.format_message())
            else:
                sys.stderr.write(one_line_error(exc) + "\n")
            sys.exit(exc.exit_code)
        except _ABORTS:
            sys.stderr.write("Aborted.\n")
            sys.exit(1)
        # Without standalone mode click returns the exit code of a typer.Exit, or the command's own result.
        sys.exit(result if isinstance(result, int) else 0)


def one_line_error(exc: Exception) -> str:
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    hint = f" (see {ctx.command_path} --help)" if isinstance(exc, _click.UsageError) and ctx is not None else ""
    return f"Error: {message}{hint}"


app = typer.Typer(
    cls=OneLineErrors,
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
    # Markdown: a docstring's paragraphs are reflowed to the terminal (rich mode keeps their line breaks, and
    # rich's wrapping then leaves ragged lines).
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
for module in (index_cmd, search_cmd, cite_cmd, facets_cmd, serve_cmd, info_cmd, eval_cmd, feeds_cmd, mcp_cmd,
               transcribe_cmd):
    module.register(app)


def main() -> None:
    app()
