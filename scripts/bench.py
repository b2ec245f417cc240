#!/usr/bin/env python3
"""podquote benchmark: indexing throughput against the raw embedder, and warm query latency.

Every figure is printed with a baseline measured in the same run (machines here are noisy):
- indexing: end-to-end passages/s of `build_index` (read, parse, embed, store, publish) against the raw
  embedder's passages/s on the same passage texts;
- queries: warm p50/p99 latency of `Collection.search` over at least 200 queries, against the embedder alone
  embedding the same queries (the floor no search can beat).

    scripts/bench.py                       # the built-in corpus
    scripts/bench.py ../shared/corpus --queries 300 --json-out bench-results/corpus.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="*", type=Path, help="corpus to index (default: the built-in corpus)")
    parser.add_argument("--embedder", default=None, help="embedder name (default use-m3)")
    parser.add_argument("--queries", type=int, default=200, help="number of timed queries (>= 200)")
    parser.add_argument("--json-out", type=Path, help="also write the numbers here as JSON")
    return parser.parse_args()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def load_queries(collection, n: int) -> list[str]:
    """Judged questions from eval/ first, then opening words of indexed passages, cycled to n."""
    queries = []
    for name in ("seed.jsonl", "corpus.jsonl"):
        path = ROOT / "eval" / name
        if path.exists():
            queries += [json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    rows = collection.metadata.db.execute("SELECT text FROM passages ORDER BY vid LIMIT ?", (n,))
    queries += [text[:60] for (text,) in rows]
    return [queries[i % len(queries)] for i in range(n)]


def bench_indexing(sources, embedder_name, workdir: Path) -> dict:
    from search import build_index, get_embedder
    from search.metadata import DB_FILE, MetadataStore
    from search.generations import current_generation

    model = get_embedder(embedder_name)
    model.embed_batch(["warm up"])
    started = time.perf_counter()
    report = build_index(workdir / "index", sources or None, embedder=embedder_name, fresh=True)
    end_to_end = time.perf_counter() - started
    store = MetadataStore(current_generation(workdir / "index") / DB_FILE, readonly=True)
    texts = [t for (t,) in store.db.execute("SELECT text FROM passages")]
    store.close()
    texts.sort(key=len)
    started = time.perf_counter()
    for i in range(0, len(texts), 64):
        model.embed_batch(texts[i:i + 64])
    raw = time.perf_counter() - started
    return {
        "passages": report.passages,
        "end_to_end_s": round(end_to_end, 3),
        "end_to_end_passages_per_s": round(report.passages / end_to_end, 1),
        "raw_embedder_s": round(raw, 3),
        "raw_embedder_passages_per_s": round(len(texts) / raw, 1),
        "indexing_vs_raw": round(raw / end_to_end, 3),
    }


def bench_queries(index: Path, n: int) -> dict:
    from search import Collection

    collection = Collection.open(index)
    queries = load_queries(collection, n)
    for query in queries[:20]:
        collection.search(query, 10)
    search_ms, embed_ms = [], []
    for query in queries:
        started = time.perf_counter()
        collection.search(query, 10)
        search_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        collection.embedder.embed_batch([query], query=True)
        embed_ms.append((time.perf_counter() - started) * 1000)
    return {
        "queries": len(queries),
        "search_p50_ms": round(statistics.median(search_ms), 2),
        "search_p99_ms": round(percentile(search_ms, 99), 2),
        "embed_only_p50_ms": round(statistics.median(embed_ms), 2),
        "embed_only_p99_ms": round(percentile(embed_ms, 99), 2),
        "search_vs_embed_p50": round(statistics.median(search_ms) / statistics.median(embed_ms), 2),
    }


def main() -> int:
    args = parse_args()
    if args.queries < 200:
        print("bench: --queries must be at least 200", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="podquote-bench-") as tmp:
        indexing = bench_indexing(args.sources, args.embedder, Path(tmp))
        queries = bench_queries(Path(tmp) / "index", args.queries)
    corpus = ", ".join(map(str, args.sources)) or "built-in corpus"
    print(f"podquote benchmark: {corpus}")
    print(f"{'measure':<34}{'value':>14}{'baseline (same run)':>26}{'ratio':>9}")
    print(f"{'indexing passages/s':<34}{indexing['end_to_end_passages_per_s']:>14}"
          f"{str(indexing['raw_embedder_passages_per_s']) + ' raw embedder':>26}{indexing['indexing_vs_raw']:>9}")
    print(f"{'warm query p50 ms':<34}{queries['search_p50_ms']:>14}"
          f"{str(queries['embed_only_p50_ms']) + ' embed only':>26}{queries['search_vs_embed_p50']:>9}")
    print(f"{'warm query p99 ms':<34}{queries['search_p99_ms']:>14}{str(queries['embed_only_p99_ms']) + ' embed only':>26}"
          f"{round(queries['search_p99_ms'] / queries['embed_only_p99_ms'], 2):>9}")
    print(f"passages indexed: {indexing['passages']}, queries timed: {queries['queries']}")
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps({"corpus": corpus, "indexing": indexing, "queries": queries}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
