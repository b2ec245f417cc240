"""`podquote eval`: recall, MRR and nDCG of an index on judged questions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import PodquoteError
from .common import DEFAULT_INDEX, IndexOption, console, errors_to_exit


def register(app: typer.Typer) -> None:
    app.command("eval")(errors_to_exit(evaluate))


def evaluate(
    queries: Annotated[Path, typer.Argument(
        help="JSONL, one {\"query\": str, \"expect\": [str, ...]} per line.", exists=True, dir_okay=False,
        readable=True, show_default=False)],
    index_dir: IndexOption = DEFAULT_INDEX,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="Hits per question.")] = 10,
    split: Annotated[Optional[str], typer.Option(
        help="Only the questions of this split: dev (ranking is trained on it) or test (only ever reported).",
        show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print metrics and every question's hits as JSON.")] = False,
) -> None:
    """Evaluate the index on judged questions (recall@1/5/10, MRR, nDCG@10).

    A hit is a passage whose text, whitespace collapsed, contains one of the expected strings. Metrics are
    printed overall, per language pair and per question type.

    Examples:

    podquote eval eval/seed.jsonl

    podquote eval eval/corpus.jsonl --split test --index ~/pq-full --json
    """
    from ..collection import Collection
    from ..evaluation import evaluate as run, load_questions

    if split not in (None, "dev", "test"):
        raise PodquoteError(f"--split must be dev or test, not {split!r}")
    report = run(Collection.open(index_dir), load_questions(queries, split), k)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    from .reports import print_eval

    print_eval(report, console())
