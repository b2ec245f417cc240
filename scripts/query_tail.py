"""Where a query's latency tail comes from: distinct queries asked for the first time, then the same again.

    python scripts/query_tail.py --index FULL                 # first-time and repeat p50/p99, the slowest queries
    sync; echo 1 > /proc/sys/vm/drop_caches                   # (root) then run again: a cold page cache

In process, through Collection.search with the shipped ranking, after Collection.warm() as `podquote serve` does;
the queries are bench.py's (judged questions, then passage openings). A query slow the first time and fast the
second pays for something read once (a word's postings, an out-of-vocabulary word's translation, index pages).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import load_queries  # noqa: E402
from benchkit import percentile  # noqa: E402


def timed(collection, queries: list[str]) -> list[float]:
    out = []
    for query in queries:
        started = time.perf_counter()
        collection.search(query, k=10)
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="the index to query")
    parser.add_argument("--queries", type=int, default=400, help="distinct queries to time")
    parser.add_argument("--slowest", type=int, default=8, help="how many of the slowest to list")
    args = parser.parse_args()
    from podquote import Collection

    with Collection.open(args.index) as collection:
        collection.warm()
        queries = list(dict.fromkeys(load_queries(collection, 2 * args.queries)))[:args.queries]
        first = timed(collection, queries)
        again = timed(collection, queries)
    for name, values in (("first time", first), ("again", again)):
        print(f"{name:>10}: p50 {percentile(values, 50):.2f} ms, p99 {percentile(values, 99):.2f} ms, "
              f"max {max(values):.2f} ms over {len(values)} queries")
    for i in sorted(range(len(queries)), key=lambda i: -first[i])[:args.slowest]:
        print(f"  {first[i]:8.2f} ms, again {again[i]:6.2f} ms  {queries[i][:80]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
