"""`podquote index`: build or update an index from files and folders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import DEFAULT_INDEX, IndexOption, console, errors_to_exit, fail


def register(app: typer.Typer) -> None:
    app.command("index")(errors_to_exit(index))


def index(
    paths: Annotated[Optional[list[Path]], typer.Argument(
        help="Files or folders to index. Default: re-read the index's own sources, or the built-in example "
             "corpus for a new index.", show_default=False)] = None,
    index_dir: IndexOption = DEFAULT_INDEX,
    embedder: Annotated[Optional[str], typer.Option(
        help="Embedding model: use-m3 (default) or st:<sentence-transformers model or path>.")] = None,
    fresh: Annotated[bool, typer.Option(
        "--fresh", help="Start from nothing: forget earlier sources and embeddings.")] = False,
    rebuild_vectors: Annotated[bool, typer.Option(
        "--rebuild-vectors", help="Recreate the Milvus collection from the index (PODQUOTE_VECTOR_STORE): no "
                                  "file is parsed or embedded again.")] = False,
) -> None:
    """Build or update an index. Unchanged files are not read again; files gone from a folder are removed.

    Audio files (mp3, m4a, ogg, opus, wav, flac) are transcribed locally with the audio extra (pip install
    "podquote\\[audio]"), each once: the transcript is kept in the index folder (transcripts/) by the audio's
    content hash, also across --fresh. An audio file beside captions of the same name (.vtt, .srt) is skipped.

    Examples:

      podquote index                      # the built-in example corpus

      podquote index ~/podcasts/transcripts --index ~/pq-index

      podquote index ~/podcasts/audio --index ~/pq-index   # transcribed: minutes per hour of audio

      PODQUOTE_VECTOR_STORE=milvus://milvus.internal:19530 podquote index   # vectors in a Milvus cluster
    """
    from ..indexing import build_index
    from .progress import IndexProgress
    from .reports import print_index_report

    if index_dir.exists() and not index_dir.is_dir():
        fail(f"--index {index_dir} is a file, not a folder; give the folder the index should live in")
    with IndexProgress(console(stderr=True)) as progress:
        report = build_index(index_dir, paths or None, embedder=embedder, fresh=fresh, progress=progress.update,
                             rebuild_vectors=rebuild_vectors)
    print_index_report(report, console())
    if report.files_seen and report.files_seen == len(report.failed):
        raise typer.Exit(1)
