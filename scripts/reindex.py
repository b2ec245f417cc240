#!/usr/bin/env python3
"""Rebuild or update a podquote index from source files and folders, then swap it in atomically.

The same library call as `podquote index`; meant for cron jobs and deploy scripts. It prints a summary of what
changed and exits 1 (with one line on stderr) if the index could not be built. The index being served is
replaced only by a complete new generation.

    scripts/reindex.py ../shared/corpus search/data --index index
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="*", type=Path,
                        help="files or folders (default: the index's recorded sources, or the built-in corpus)")
    parser.add_argument("--index", type=Path, required=True, help="index directory")
    parser.add_argument("--embedder", help="embedding model (default: the index's own, else use-m3)")
    parser.add_argument("--fresh", action="store_true", help="start from nothing instead of updating")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser.parse_args(argv)


def progress_printer(quiet: bool):
    last: dict[str, int] = {}

    def report(stage: str, done: int, total: int) -> None:
        step = max(total // 10, 1)
        if quiet or (done < total and done - last.get(stage, -step) < step):
            return
        last[stage] = done
        print(f"{stage}: {done}/{total}", file=sys.stderr, flush=True)

    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from podquote import PodquoteError, build_index

    try:
        report = build_index(args.index, args.sources or None, embedder=args.embedder, fresh=args.fresh,
                             progress=progress_printer(args.quiet))
    except PodquoteError as exc:
        print(f"reindex: error: {exc}", file=sys.stderr)
        return 1
    state = "unchanged, still" if report.unchanged else "now"
    print(f"generation {report.generation.name} {state} served from {report.index} ({report.embedder})")
    print(f"files: {report.files_seen} seen, {report.files_parsed} new or changed, "
          f"{report.files_unchanged} unchanged, {report.files_removed} removed, {len(report.failed)} skipped")
    print(f"passages: {report.passages} in all, {report.passages_embedded} embedded, "
          f"{report.passages_reused} reused, {report.passages_removed} removed")
    print("formats: " + ", ".join(f"{k} {v}" for k, v in sorted(report.formats.items())))
    for path, reason in report.failed:
        print(f"skipped {path}: {reason}")
    print(f"took {report.seconds:.1f} s")
    return 1 if report.files_seen and report.files_seen == len(report.failed) else 0


if __name__ == "__main__":
    sys.exit(main())
