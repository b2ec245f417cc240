#!/usr/bin/env python3
"""Rebuild or update a podquote index from source files and folders, then swap it in atomically.

The same library call as `podquote index`; meant for cron jobs and deploy scripts. It prints a summary of what
changed and exits 1 (with one line on stderr) if the index could not be built. The index being served is
replaced only by a complete new generation.

Feeds the index follows (`podquote follow`) are refreshed first, as `podquote refresh` does, unless --no-feeds;
a failing feed or episode is reported and skipped, and keeps what was indexed for it. Exit codes, as `podquote
refresh`'s: 0 all done, 3 the index was built but some feeds or episodes failed (each named), 1 nothing could be.

    scripts/reindex.py ../shared/corpus search/data --index index
    scripts/reindex.py --index ~/pq-index --quiet          # every source and followed feed, e.g. from cron:
    0 * * * * cd ~/podquote && .venv/bin/python scripts/reindex.py --index ~/pq-index --quiet
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
    parser.add_argument("--no-feeds", action="store_true",
                        help="do not refresh the followed podcast feeds (default: refresh them first)")
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


PARTIAL = 3  # built, but some feeds or episodes failed: what `podquote refresh` exits with then


def refresh_and_build(args: argparse.Namespace):
    """Refresh the followed feeds (podquote.feeds.refresh), then build from every source and the feeds' files;
    returns the build's report and how many feeds or episodes failed."""
    from podquote.feeds.refresh import build_feeds, refresh_feeds

    progress = progress_printer(args.quiet)
    feeds = refresh_feeds(args.index, build=False, progress=progress)
    e = feeds.episodes
    print(f"feeds: {feeds.feeds} refreshed, episodes {e['new']} new, {e['changed']} changed, {e['unchanged']} "
          f"unchanged, {e['failed']} failed, {feeds.removed} removed; {feeds.transcript_downloads} transcript "
          "downloads")
    for where, why in feeds.failed:
        print(f"failed {where}: {why}")
    return build_feeds(args.index, args.sources or None, rescan=True, embedder=args.embedder, fresh=args.fresh,
                       progress=progress), len(feeds.failed)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from podquote import PodquoteError, build_index
    from podquote.feeds.registry import load_feeds

    failed_feeds = 0
    try:
        if args.no_feeds or not load_feeds(args.index):
            report = build_index(args.index, args.sources or None, embedder=args.embedder, fresh=args.fresh,
                                 progress=progress_printer(args.quiet))
        else:
            report, failed_feeds = refresh_and_build(args)
    except PodquoteError as exc:
        print(f"reindex: error: {exc}", file=sys.stderr)
        return 1
    if report is None:
        print("nothing to index: no followed feed offered a transcript that could be read")
        return 1
    state = "unchanged, still" if report.unchanged else "now"
    print(f"generation {report.generation.name} {state} served from {report.index} ({report.embedder})")
    print(f"files: {report.files_seen} seen, {report.files_parsed} new or changed, "
          f"{report.files_unchanged} unchanged, {report.files_removed} removed, {len(report.failed)} skipped")
    print(f"passages: {report.passages} in all, {report.passages_embedded} embedded, "
          f"{report.passages_reused} reused, {report.passages_removed} removed")
    print("formats: " + ", ".join(f"{k} {v}" for k, v in sorted(report.formats.items())))
    if report.audio_transcribed or report.audio_from_cache:
        print(f"audio: {report.audio_transcribed} transcribed, {report.audio_from_cache} from the transcript cache")
    each, folded = report.skipped()  # audio skipped for want of the extra: one line for all
    for path, reason in each:
        print(f"skipped {path}: {reason}")
    if folded:
        print(f"skipped {folded[0]} audio files: {folded[1]}")
    print(f"took {report.seconds:.1f} s")
    if report.files_seen and report.files_seen == len(report.failed):
        return 1
    return PARTIAL if failed_feeds else 0


if __name__ == "__main__":
    sys.exit(main())
