#!/usr/bin/env python3
"""Benchmark `podquote refresh` over a local podcast feed: a first refresh (every episode new) against a second
one (every episode unchanged), with the wall time split into fetch, parse and embed.

The feed is built at run time from the shared corpus's Talk Python WebVTT transcripts
(../shared/corpus/talk-python-transcripts/transcripts/*.vtt, whole files), one per episode, cycling through
them; every cue of episode i ends with " [i]", so no two episodes share a passage and the first refresh embeds
them all (content hashes would otherwise reuse the vectors of repeated text). The feed and its transcripts are
served from a temporary folder on 127.0.0.1 by http.server in this process (Last-Modified, and a 304 to a
conditional GET, like a publisher's server).

The refresh is the library call behind `podquote refresh` (podquote.feeds.refresh.refresh_feeds), timed by
phase:
- fetch: downloading the feed and every transcript (refresh_feeds' wall time less the parse inside it);
- parse: podquote's readers (podquote.readers.read_document), both the check of each download and the build's
  read of each new or changed file;
- embed: the embedder's embed_batch (passages' sentences and the vocabulary); the first call loads the model;
- other: the rest (hashing, SQLite, FAISS, verifying and publishing the generation).
The unchanged run should make 0 transcript downloads and embed 0 passages; its figures are also shown as a
ratio of the new run's.

    scripts/bench_feeds.py                                  # 200 episodes, use-m3: about 6 minutes on 2 cores
    scripts/bench_feeds.py --episodes 20                    # a quick run: under a minute
    scripts/bench_feeds.py --json-out bench-results/feeds.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from email.utils import formatdate
from functools import partial, wraps
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

from benchkit import peak_rss, timed_ms

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "talk-python-transcripts" / "transcripts"
PHASES = ("fetch", "parse", "embed", "other")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=200, help="episodes in the feed (default 200)")
    parser.add_argument("--embedder", default="use-m3", help="embedding model (default use-m3)")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of .vtt transcripts to build from")
    parser.add_argument("--json-out", type=Path, help="also write the numbers here as JSON")
    args = parser.parse_args(argv)
    if args.episodes < 1:
        parser.error("--episodes must be at least 1")
    return args


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 (http.server: Last-Modified, and a 304 to If-Modified-Since); its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def distinct(vtt: str, episode: int) -> str:
    """The transcript with " [episode]" at the end of every cue, so its text is its own."""
    blocks = vtt.replace("\r\n", "\n").split("\n\n")
    return "\n\n".join(block.rstrip("\n") + f" [{episode}]" if "-->" in block else block for block in blocks)


def build_feed(corpus: Path, episodes: int, www: Path, base: str) -> None:
    """The feed (www/feed.xml) and its transcripts (www/t/<i>.vtt)."""
    sources = sorted(corpus.glob("*.vtt"))
    if not sources:
        sys.exit(f"bench_feeds: no .vtt file in {corpus}")
    (www / "t").mkdir(parents=True)
    items = []
    for i in range(episodes):
        source = sources[i % len(sources)]
        (www / "t" / f"{i}.vtt").write_text(distinct(source.read_text(encoding="utf-8"), i), encoding="utf-8")
        items.append(f"<item><title>Episode {i}: {source.stem}</title><guid>bench-{i}</guid>"
                     f"<pubDate>{formatdate(1_700_000_000 + i * 86400, usegmt=True)}</pubDate>"
                     f'<enclosure url="https://audio.example.org/{i}.mp3" type="audio/mpeg" length="1"/>'
                     f'<podcast:transcript url="{base}/t/{i}.vtt" type="text/vtt" language="en"/></item>')
    (www / "feed.xml").write_text('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:podcast='
                                  '"https://podcastindex.org/namespace/1.0"><channel><title>Bench Show</title>'
                                  + "".join(items) + "</channel></rss>", encoding="utf-8")


class Clock:
    """Seconds spent inside the functions it wraps, per phase."""

    def __init__(self):
        self.spent = dict.fromkeys(PHASES, 0.0)

    def wrap(self, phase: str, function):
        @wraps(function)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[phase] += time.perf_counter() - started

        return timed


def instrument(clock: Clock, embedder: str) -> None:
    """Time every read and every embedding. The modules call these by the names they imported, so the timed
    versions replace those names (a benchmark's patch: podquote itself is unchanged)."""
    import podquote.audio_sources as audio_sources  # the build reads its files through audio_sources.read_source
    import podquote.feeds.materialise as materialise
    from podquote.embedders import get_embedder

    materialise.read_document = clock.wrap("parse", materialise.read_document)
    audio_sources.read_document = clock.wrap("parse", audio_sources.read_document)
    model = get_embedder(embedder)  # one instance per process: the build uses this one
    model.embed_batch = clock.wrap("embed", model.embed_batch)


def refresh_once(index: Path, clock: Clock, embedder: str) -> dict:
    from podquote.feeds.refresh import build_feeds, refresh_feeds

    clock.spent = dict.fromkeys(PHASES, 0.0)
    wall: list[float] = []
    with timed_ms(wall):
        fetching: list[float] = []
        with timed_ms(fetching):
            report = refresh_feeds(index, build=False)
        parse_in_fetch = clock.spent["parse"]
        built = build_feeds(index, embedder=embedder)
    seconds = wall[0] / 1000
    spent = dict(clock.spent, fetch=fetching[0] / 1000 - parse_in_fetch)
    spent["other"] = seconds - spent["fetch"] - spent["parse"] - spent["embed"]
    failed = [f"{where}: {why}" for where, why in report.failed]
    return {"wall_s": seconds, **{f"{p}_s": spent[p] for p in PHASES}, "episodes": report.episodes,
            "failed": failed, "transcript_downloads": report.transcript_downloads, "requests": report.requests,
            "passages": built.passages if built else 0, "passages_embedded": built.passages_embedded if built else 0}


def ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}" if b else "-"


def print_table(runs: dict[str, dict]) -> None:
    head = (f"{'run':<16}{'wall s':>9}" + "".join(f"{p + ' s':>9}{'share':>7}" for p in PHASES)
            + f"{'downloads':>11}{'embedded':>10}")
    print(head)
    for name, run in runs.items():
        print(f"{name:<16}{run['wall_s']:>9.2f}"
              + "".join(f"{run[p + '_s']:>9.2f}{run[p + '_s'] / run['wall_s']:>7.0%}" for p in PHASES)
              + f"{run['transcript_downloads']:>11}{run['passages_embedded']:>10}")
    new, same = runs["new"], runs["unchanged"]
    print(f"{'unchanged / new':<16}{ratio(same['wall_s'], new['wall_s']):>9}"
          + "".join(f"{ratio(same[p + '_s'], new[p + '_s']):>9}{'':>7}" for p in PHASES)
          + f"{ratio(same['transcript_downloads'], new['transcript_downloads']):>11}"
          + f"{ratio(same['passages_embedded'], new['passages_embedded']):>10}")


def main(argv=None) -> int:
    args = parse_args(argv)
    from podquote.feeds.follow import follow

    clock = Clock()
    instrument(clock, args.embedder)
    with tempfile.TemporaryDirectory(prefix="bench-feeds-") as tmp, serve(Path(tmp) / "www") as base:
        build_feed(args.corpus, args.episodes, Path(tmp) / "www", base)
        index = Path(tmp) / "index"
        follow(index, base + "/feed.xml")
        runs = {name: refresh_once(index, clock, args.embedder) for name in ("new", "unchanged")}
    print(f"refresh of a {args.episodes}-episode feed on 127.0.0.1, embedder {args.embedder}; "
          f"{runs['new']['passages']} passages; peak RSS {peak_rss()['VmHWM'] / 2**20:.0f} MB")
    print_table(runs)
    for name, run in runs.items():
        for line in run["failed"]:
            print(f"{name}: failed {line}")
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps({"episodes": args.episodes, "embedder": args.embedder, "runs": runs},
                                            indent=2))
    return 1 if any(run["failed"] for run in runs.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
