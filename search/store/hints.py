"""The commands an error message tells a user to run: every part of the index format names its fix this way."""

from __future__ import annotations

from pathlib import Path


def rebuild_hint(root: Path) -> str:
    """The command that rebuilds the index at `root`, as a user would type it."""
    try:
        default = Path("index").resolve() == Path(root).resolve()
    except (OSError, RuntimeError):
        default = False
    return "`podquote index`" if default else f"`podquote index --index {root}`"


def build_hint(root: Path | str) -> str:
    """The command that builds a new index at `root` from a user's own files."""
    where = "" if rebuild_hint(Path(root)) == "`podquote index`" else f" --index {root}"
    return f"`podquote index PATH...{where}` (PATH: your transcripts; none: the built-in example corpus)"
