"""What every command shares: the index option, the error boundary and the console."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Annotated, Callable

import typer

IndexOption = Annotated[
    Path,
    typer.Option("--index", "-i", envvar="PODQUOTE_INDEX", help="Index directory.", show_default=True),
]
DEFAULT_INDEX = Path("index")
_CLICK_ERROR = sys.modules[typer.BadParameter.__module__].ClickException
OPTIONS = {"k": "top"}  # a podquote.query parameter whose option has another long name


def is_default_index(ctx: typer.Context, name: str = "index_dir") -> bool:
    """True when the index directory is ./index because nothing named another: only there may a command build
    the built-in corpus on its own (an --index or PODQUOTE_INDEX with a typo must not become a demo index)."""
    source = ctx.get_parameter_source(name)
    return source is None or source.name in ("DEFAULT", "DEFAULT_MAP")


def console(stderr: bool = False):
    from rich.console import Console

    # soft_wrap: long quotes are left to the terminal to wrap, so CJK lines are not broken mid-phrase.
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 1) -> None:
    console(stderr=True).print(f"[bold red]Error:[/] {_escape(message)}")
    raise typer.Exit(code)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def errors_to_exit(command: Callable) -> Callable:
    """Domain errors become one line on stderr and exit code 1 (2 for one bad option), never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from ..errors import PodquoteError
        from ..query import InvalidParameter

        try:
            return command(*args, **kwargs)
        except InvalidParameter as exc:  # a usage error, exit code 2 as typer's own, named as the option is
            fail(f"--{OPTIONS.get(exc.parameter, exc.parameter)}: {exc.reason}", code=2)
        except PodquoteError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            console(stderr=True).print("Interrupted.")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(0) from None
        except OSError as exc:  # an index folder that is a file, a full disk, a permission: say which, in one line
            where = f"{exc.filename}: " if exc.filename else ""
            fail(f"{where}{exc.strerror or exc}")
        except (typer.Exit, typer.Abort, _CLICK_ERROR):  # usage errors: printed in one line by OneLineErrors
            raise
        except Exception as exc:  # a bug: still one line, the traceback on request
            if os.environ.get("PODQUOTE_DEBUG"):
                raise
            fail(f"unexpected {type(exc).__name__}: {exc} (a bug in podquote; PODQUOTE_DEBUG=1 shows the traceback)")

    return wrapper
