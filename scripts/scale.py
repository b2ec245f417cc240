#!/usr/bin/env python3
"""Scale run (not CI): millions of synthetic passages served by the normal search path, on one machine.

Nothing is embedded: passage vectors are drawn from a clustered distribution and written in chunks straight into
a generation, published like any build, so `Collection.open` and `Collection.search` serve it unchanged
(scale_build.py). Queries are held-out draws of the same distribution, each with a short text; a stub embedder
registered with `podquote.register_embedder` maps a query's text to its vector, so every query goes through the
whole normal path (embedding lookup, dense search, lexical FTS5 search, metadata, context, rescoring). The
synthetic world (shows, episodes, speakers, texts and vectors resembling use-m3's on the real corpus) is
scale_data.py's.

What is measured, per size, each against a baseline from the same run (scale_measure.py):
- build: seconds per stage, and size on disk;
- serving (in a child process, so its peak RSS is its own): open time, warm query p50/p99 of
  `Collection.search` (k=10, default ranking: lexical on), of the vector store alone, and of an exact scan
  (brute force over the memory-mapped float32 vectors), peak RSS (VmHWM) and what is file-backed;
- recall@10 (and @50, what ranking asks for) of the vector store against exact search on held-out queries.

    scripts/scale.py 1000000 --root /work/scale          # build (if missing) and measure 1M
    scripts/scale.py 1000000 10000000 --json-out bench-results/scale.json
    scripts/scale.py 1000000 --index-type ivf-sq8 --root /work/scale   # another index over the same data
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchkit import command_peak_rss  # noqa: E402  (beside this script: python puts scripts/ on the path)
from scale_build import INFO_FILE, build, rebuild_index  # noqa: E402
from scale_data import QUERIES_FILE  # noqa: E402
from scale_measure import (calibrate, du, forget_cached, generation_vectors, print_tradeoff,  # noqa: E402
                           serve_bench, tradeoff)


def parse_args() -> argparse.Namespace:
    from podquote.vectors.faiss_params import DEFAULT_PARAMS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="+", type=int, help="numbers of passages, e.g. 1000000 10000000")
    parser.add_argument("--root", type=Path, default=Path("/work/scale"), help="parent folder of the indexes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--index-type", choices=tuple(DEFAULT_PARAMS), help="default: chosen by size")
    parser.add_argument("--rebuild", action="store_true", help="build again even if an index of this size exists")
    parser.add_argument("--queries", type=int, default=300, help="timed queries (>= 200)")
    parser.add_argument("--recall-sample", type=int, default=200)
    parser.add_argument("--exact-queries", type=int, default=5, help="single-query exact scans timed (baseline)")
    parser.add_argument("--calibrate", action="store_true", help="also print cosine statistics of the vectors")
    parser.add_argument("--tradeoff", action="store_true",
                        help="also build flat, HNSW, IVF-SQ8 and IVF-PQ over the same vectors and compare them")
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--sweep", default="", help="search-time settings to try (nprobe for IVF-SQ8 and IVF-PQ, "
                        "ef_search for HNSW), comma-separated, e.g. 16,32,64")
    parser.add_argument("--rows", choices=("mmap", "random", "pread"), default="mmap",
                        help="how a query reads float32 rows (experiment; see serve_bench)")
    parser.add_argument("--no-lexical", action="store_true", help="serve with the lexical stage off (experiment)")
    parser.add_argument("--warm-cache", action="store_true",
                        help="read what queries read into the page cache before timing them (see warm_page_cache)")
    parser.add_argument("--serve-child", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if args.serve_child:
        result = serve_bench(args.serve_child, args.queries, args.recall_sample, args.exact_queries,
                             [int(v) for v in args.sweep.split(",") if v.strip()], args.rows, not args.no_lexical,
                             args.warm_cache)
        print("RESULT " + json.dumps(result))
        return 0
    results = []
    for n in args.sizes:
        root = args.root / f"n{n}"
        info = built(root, n, args)
        serve = measure(root, n, args)
        results.append({"build": info, "serve": serve})
        print_table(info, serve)
        if args.tradeoff:
            results[-1]["tradeoff"] = compare_index_types(root, n, args.recall_sample)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(results, indent=2))
    return 0


def built(root: Path, n: int, args: argparse.Namespace) -> dict:
    """The index of n passages at root, built if missing (or asked), its vector index replaced if of another type."""
    info_path = root / INFO_FILE
    if args.rebuild or not info_path.exists():
        return build(root, n, args.seed, args.index_type, 20 + args.queries + args.recall_sample)
    info = json.loads(info_path.read_text())
    if args.index_type and info["vector_store"]["type"] != args.index_type:
        info = rebuild_index(root, args.index_type)
    return info


def measure(root: Path, n: int, args: argparse.Namespace) -> dict:
    """Serving figures from a child process (so its peak RSS is its own), against a python that only imports
    numpy, faiss and podquote."""
    from podquote.store import current_generation
    from podquote.vectors.faiss_store import VECTORS_FILE

    baseline = command_peak_rss([sys.executable, "-c", "import numpy, faiss, podquote"])
    started = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, str(n), "--serve-child", str(root), "--queries",
                          str(args.queries), "--recall-sample", str(args.recall_sample), "--exact-queries",
                          str(args.exact_queries), "--sweep", args.sweep, "--rows", args.rows,
                          *(["--no-lexical"] if args.no_lexical else []),
                          *(["--warm-cache"] if args.warm_cache else [])], capture_output=True, text=True)
    if args.warm_cache:  # this run's exact scans' pages, unmapped now that the child has exited
        forget_cached(current_generation(root) / VECTORS_FILE)
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit(out.returncode)
    serve = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("RESULT "))[7:])
    serve["child_wall_s"] = round(time.perf_counter() - started, 1)
    serve["baseline_rss"] = baseline
    if args.calibrate:
        serve["calibration"] = calibrate(root)
    serve["disk_bytes"] = du(root)
    return serve


def compare_index_types(root: Path, n: int, recall_sample: int) -> list[dict]:
    """Flat, HNSW, IVF-SQ8 and IVF-PQ over the index's own vectors and its last held-out queries."""
    import numpy as np

    from podquote.store import current_generation

    vectors, ids = generation_vectors(current_generation(root))
    queries = np.load(root / QUERIES_FILE)["vectors"][-recall_sample:]
    rows = tradeoff(vectors, ids, queries, log=lambda r: print("  " + json.dumps(r), file=sys.stderr))
    print_tradeoff(rows, n)
    return rows


def print_table(info: dict, serve: dict) -> None:
    gb = 1 << 30
    store = serve["vector_store"]
    params = ", ".join(f"{k}={v}" for k, v in store.get("params", {}).items())
    t = info["timings"]
    print(f"\nscale: {serve['passages']:,} synthetic passages, index {store['type']} ({params}); rows read by "
          f"{serve.get('rows', 'mmap')}, lexical {'on' if serve.get('lexical', True) else 'OFF'}"
          + (f", page cache warmed first ({serve['warm_page_cache_s']} s)" if serve.get("warm_page_cache_s") else ""))
    print(f"{'measure':<36}{'value':>14}{'baseline (same run)':>34}{'ratio':>9}")

    def row(name, value, base, base_label, ratio=None):
        ratio = ratio if ratio is not None else (value / base if base else float("nan"))
        print(f"{name:<36}{value:>14}{(str(base) + ' ' + base_label):>34}{ratio:>9.3g}")

    build_s = t["total_s"]
    row("build total s", build_s, t.get("vector_index_s"), "of it vector index", build_s / max(t.get("vector_index_s", 1), 1e-9))
    for key in ("passages_s", "fts_s", "lexicon_s", "adjacency_s", "vector_index_s", "manifest_s", "publish_s"):
        if key in t:
            print(f"  {key:<34}{t[key]:>14}")
    row("index size on disk GB", round(serve["disk_bytes"] / gb, 2), round(info["bytes"].get("vectors.npy", 0) / gb, 2),
        "vectors.npy")
    row("open s", serve["open_s"], None, "", float("nan"))
    row("query p50 ms (search, lexical on)", serve["search_p50_ms"], serve["store_p50_ms"], "vector store alone")
    row("query p99 ms", serve["search_p99_ms"], serve["store_p99_ms"], "vector store alone")
    if serve.get("exact_scan_p50_ms"):
        row("vector store p50 ms", serve["store_p50_ms"], serve["exact_scan_p50_ms"], "exact scan (flat)")
    row("lexical FTS5 p50 ms", serve["lexical_p50_ms"], serve["search_p50_ms"], "whole query")
    row("recall@10 vs exact", serve["recall_at_10"], 1.0, "exact")
    row("recall@50 vs exact", serve["recall_at_50"], 1.0, "exact")
    hwm = serve["rss_serving"]["VmHWM"]
    row("serving peak RSS GB", round(hwm / gb, 2), round(serve["baseline_rss"] / gb, 2), "python+numpy+faiss")
    print(f"  RSS now {serve['rss_serving']['VmRSS'] / gb:.2f} GB: anonymous {serve['rss_serving']['RssAnon'] / gb:.2f},"
          f" file-backed (mmap, reclaimable) {serve['rss_serving']['RssFile'] / gb:.2f}")
    for swept in serve.get("sweep", []):
        knob = "nprobe" if "nprobe" in swept else "ef_search"
        row(f"  {knob}={swept[knob]}: store p50 ms", swept["store_p50_ms"], serve["store_p50_ms"],
            "default setting")
        print(f"  {'':<34}recall@10 {swept['recall_at_10']}, recall@50 {swept['recall_at_50']}")
    if "calibration" in serve:
        print("  cosine statistics: " + json.dumps(serve["calibration"]))


if __name__ == "__main__":
    sys.exit(main())
