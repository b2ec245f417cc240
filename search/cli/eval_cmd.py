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
        help="JSONL file of judged questions (the format is above).", exists=True, dir_okay=False,
        readable=True, show_default=False)],
    index_dir: IndexOption = DEFAULT_INDEX,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="Hits per question.")] = 10,
    split: Annotated[Optional[str], typer.Option(
        help="Only the questions of this split: dev (ranking is trained on it) or test (only ever reported).",
        show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print metrics and every question's hits as JSON.")] = False,
) -> None:
    """Evaluate the index on judged questions (recall@1/5/10, MRR, nDCG@10).

    QUERIES is a JSONL file (UTF-8), one question per line, for example:

    {"query": "why Rook on bare metal", "expect": ["Rook 的亮点在于"], "pair": "en-zh", "type": "why-how"}

    - query (required): the question, any language.

    - expect (required): strings copied from the answers; a passage containing one (spaces collapsed) is a hit.

    - pair: question language, then answer language: en-en, en-zh, zh-en or zh-zh.

    - type: keyword, speaker, paraphrase or why-how.

    - split: dev or test, chosen with --split.

    - source, why, pooled: read by eval/check_devset.py, not here (eval/README.md).

    Metrics are printed overall, per pair and per type; --json adds each question's rank and hits.

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
