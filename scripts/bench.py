#!/usr/bin/env python3
"""podquote benchmark: indexing, warm queries (library and HTTP), cold CLI, memory, and the index-type trade-off.

Every figure is printed beside a baseline measured in the same run, and their ratio (machines here are shared
and noisy: the ratio is the number to compare across runs):
- indexing: end-to-end passages/s of `build_index` (walk, parse, split sentences, embed every sentence once,
  average, SQLite + FTS5, vector index, checksums, verified publish), in a child process, against the raw
  embedder: `embed_batch` over the same passage texts (whole passages, not sentences), in batches of 64 sorted by
  length, in the same child with the model already loaded;
- queries: warm p50/p99 of `Collection.search` (k=10, default ranking) against the embedder alone embedding the
  same queries (the floor no search can beat); and over HTTP (`podquote serve` on 127.0.0.1, started here, an
  httpx client) against `GET /healthz` (the HTTP floor) and the library's own p50;
- cold CLI: wall time of `podquote search` in a fresh process (median of --runs) against `python -c pass`, runs
  interleaved; the import of `podquote.cli` alone is shown too;
- memory: peak RSS (VmHWM) of the indexing child, of the server after the HTTP queries and of the cold CLI,
  against a python that only imports numpy, faiss and search;
- trade-off: flat against HNSW, IVF-SQ8 and IVF-PQ fast scan over the index's own vectors and held-out queries
  (judged questions, then passage openings): build time, memory, single-query latency and recall@10/@50 against
  exact search.

    scripts/bench.py                                   # the built-in corpus
    scripts/bench.py ../shared/corpus --json-out bench-results/corpus.json
    scripts/bench.py --synthetic 20000                 # a synthetic WebVTT corpus of about 20,000 passages
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

from benchkit import command_peak_rss, free_port, peak_rss, percentile, timed_ms, timed_run

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sources", nargs="*", type=Path, help="corpus to index (default: the built-in corpus)")
    parser.add_argument("--synthetic", type=int, metavar="N", help="index a synthetic corpus of about N passages")
    parser.add_argument("--embedder", default=None, help="embedder name (default use-m3)")
    parser.add_argument("--queries", type=int, default=200, help="number of timed queries (>= 200)")
    parser.add_argument("--runs", type=int, default=7, help="cold CLI runs (median)")
    parser.add_argument("--work", type=Path, help="keep the index here (default: a temporary folder)")
    parser.add_argument("--no-tradeoff", action="store_true", help="skip the flat/HNSW/IVF-SQ8 comparison")
    parser.add_argument("--reuse-index", action="store_true",
                        help="measure queries, HTTP, CLI and trade-off on the index already in --work (no indexing)")
    parser.add_argument("--json-out", type=Path, help="also write the numbers here as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def judged_queries() -> list[str]:
    queries = []
    for name in ("seed.jsonl", "corpus.jsonl"):
        path = ROOT / "eval" / name
        if path.exists():
            queries += [json.loads(line)["query"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    return queries


def load_queries(collection, n: int) -> list[str]:
    """Judged questions from eval/ first, then opening words of indexed passages, cycled to n."""
    queries = judged_queries()
    queries += [p.text[:60] for p in collection.passages(limit=n)]
    return [queries[i % len(queries)] for i in range(n)]


# ------------------------------------------------------------------------------------------------ children
def child_index(sources: list[str], embedder: str | None, index: str) -> dict:
    """Build the index (timing each stage through the progress callback), then embed the same passages raw."""
    from podquote import Collection, build_index, get_embedder

    model = get_embedder(embedder)
    model.embed_batch(["warm up"])
    baseline = peak_rss()
    stages: dict[str, list[float]] = {}  # stage -> [first, last] progress call

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter() - started
        span = stages.setdefault(stage, [now, now])
        span[1] = now

    load_before = os.getloadavg()[0]
    cpu_started = time.process_time()  # every thread of this process: the background index build included
    started = time.perf_counter()
    report = build_index(Path(index), [Path(s) for s in sources] or None, embedder=embedder, fresh=True,
                         progress=progress)
    end_to_end = time.perf_counter() - started
    end_to_end_cpu = time.process_time() - cpu_started
    load_during = (load_before + os.getloadavg()[0]) / 2
    marks = {"read": stages.get("read", [0, 0])[1], "embed": stages.get("embed", [0, 0])[1]}
    vectors = stages.get("vectors", [marks["embed"], marks["embed"]])
    split = {"walk + parse": marks["read"], "embed sentences": marks["embed"] - marks["read"],
             "SQLite + FTS5": vectors[0] - marks["embed"], "vector index": vectors[1] - vectors[0],
             "checksums + publish": end_to_end - vectors[1]}
    indexing_rss = peak_rss()
    with closing(Collection.open(Path(index), embedder=model)) as collection:
        texts = sorted((p.text for p in collection.passages()), key=len)
    load_before = os.getloadavg()[0]
    cpu_started = time.process_time()
    started = time.perf_counter()
    for i in range(0, len(texts), 64):
        model.embed_batch(texts[i:i + 64])
    raw = time.perf_counter() - started
    raw_cpu = time.process_time() - cpu_started
    load_raw = (load_before + os.getloadavg()[0]) / 2
    return {
        "passages": report.passages,
        "sentences_embedded": report.passages_embedded,
        "files": report.files_seen,
        "end_to_end_s": round(end_to_end, 3),
        "end_to_end_passages_per_s": round(report.passages / end_to_end, 1),
        "raw_embedder_s": round(raw, 3),
        "raw_embedder_passages_per_s": round(len(texts) / raw, 1),
        "indexing_vs_raw": round(raw / end_to_end, 3),
        # CPU seconds are much less sensitive than wall time to what else the machine runs meanwhile
        "end_to_end_cpu_s": round(end_to_end_cpu, 1),
        "raw_embedder_cpu_s": round(raw_cpu, 1),
        "indexing_vs_raw_cpu": round(raw_cpu / max(end_to_end_cpu, 1e-9), 3),
        "load_average_indexing": round(load_during, 2),
        "load_average_raw": round(load_raw, 2),
        "stages_s": {name: round(v, 2) for name, v in split.items()},
        "rss_model_loaded": baseline,
        "rss_indexing": indexing_rss,
    }


def child_baseline_rss() -> dict:
    import faiss  # noqa: F401
    import numpy  # noqa: F401

    import podquote  # noqa: F401

    return peak_rss()


def run_child(kind: str, payload: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", json.dumps({"kind": kind, **payload})],
                         capture_output=True, text=True)
    if out.returncode:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"bench: the {kind} child failed")
    return json.loads(next(line for line in out.stdout.splitlines() if line.startswith("RESULT "))[7:])


def child_main(spec: str) -> int:
    args = json.loads(spec)
    if args["kind"] == "index":
        result = child_index(args["sources"], args["embedder"], args["index"])
    else:
        result = child_baseline_rss()
    print("RESULT " + json.dumps(result))
    return 0


# ------------------------------------------------------------------------------------------------ queries
def bench_rankings(index: Path, n: int) -> dict:
    """The learned ranking against the hand-set one it replaced, query by query in turn (the same process, the
    same page cache), after both have seen 20 queries: p50/p99 of each and their ratio."""
    from podquote import Collection
    from podquote.ranking import RANKINGS

    collection = Collection.open(index, preload=True)
    queries = load_queries(collection, n)
    for query in queries[:20]:
        for ranking in RANKINGS.values():
            collection.search(query, 10, ranking=ranking)
    times: dict[str, list[float]] = {name: [] for name in RANKINGS}
    for query in queries:
        for name, ranking in RANKINGS.items():
            with timed_ms(times[name]):
                collection.search(query, 10, ranking=ranking)
    collection.close()
    out = {f"{name}_p{q}_ms": round(percentile(values, q), 2) for name, values in times.items() for q in (50, 99)}
    out["learned_vs_hand_p50"] = round(out["learned_p50_ms"] / out["hand_p50_ms"], 2)
    return out


def index_size(index: Path) -> dict:
    """Bytes of the served generation, and of the files only the learned ranking reads (the rest is what the
    hand-set ranking needed)."""
    from podquote.store import Manifest, current_generation

    manifest = Manifest.read(current_generation(index))
    learned_only = {"vocabulary.npy", "sentence_index.faiss", "sentence_questions.npy", "second_vectors.npy"}
    total = sum(entry["bytes"] for entry in manifest.files.values())
    extra = sum(entry["bytes"] for name, entry in manifest.files.items() if name in learned_only)
    return {"total_bytes": total, "hand_ranking_bytes": total - extra, "learned_only_bytes": extra}


def bench_queries(index: Path, n: int) -> dict:
    from podquote import Collection

    collection = Collection.open(index)
    queries = load_queries(collection, n)
    for query in queries[:20]:
        collection.search(query, 10)
    from scale_measure import time_parts

    search_ms, search_cpu_ms, embed_ms, store_ms, lexical_ms = [], [], [], [], []
    for query in queries:
        cpu = time.process_time()
        with timed_ms(search_ms):
            collection.search(query, 10)
        search_cpu_ms.append((time.process_time() - cpu) * 1000)
        with timed_ms(embed_ms):
            vector = collection.embedder.embed_batch([query], query=True)
        parts = time_parts(collection, vector, query)
        store_ms.append(parts[0])
        lexical_ms.append(parts[1])
    collection.close()
    return {
        "queries": len(queries),
        "search_p50_ms": round(statistics.median(search_ms), 2),
        "search_p99_ms": round(percentile(search_ms, 99), 2),
        "embed_only_p50_ms": round(statistics.median(embed_ms), 2),
        "embed_only_p99_ms": round(percentile(embed_ms, 99), 2),
        "search_vs_embed_p50": round(statistics.median(search_ms) / statistics.median(embed_ms), 2),
        "search_cpu_p50_ms": round(statistics.median(search_cpu_ms), 2),
        "vector_store_p50_ms": round(statistics.median(store_ms), 2),
        "lexical_p50_ms": round(statistics.median(lexical_ms), 2),
        "lexical_p90_ms": round(percentile(lexical_ms, 90), 2),
        "vector_store": collection.health()["vector_store"],
    }


def bench_http(index: Path, queries: list[str], port: int, ranking: str = "learned") -> dict:
    """`podquote serve` (PODQUOTE_RANKING=`ranking`): the first distinct queries after it starts, as users after a
    deploy meet them, then the same number again warm, each against GET /healthz."""
    import httpx

    env = {**os.environ, "PODQUOTE_RANKING": ranking}
    server = subprocess.Popen([sys.executable, "-c", "from podquote.cli import main; main()", "serve", "--index",
                               str(index), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    distinct = list(dict.fromkeys(queries))
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.perf_counter()
        with httpx.Client(base_url=base, timeout=30) as client:
            while True:
                if server.poll() is not None:
                    raise SystemExit(f"bench: the server exited: {server.stderr.read()[-2000:]}")
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
            startup_s = time.perf_counter() - started
            first, _ = _timed_http(client, distinct[:200])
            # Then queries it has not answered yet (the server keeps recent answers: a repeat would time its cache).
            search_ms, health_ms = _timed_http(client, distinct[200:] or queries)
        rss = peak_rss(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return {
        "queries": len(queries),
        "ranking": ranking,
        "startup_s": round(startup_s, 2),
        "http_first_200_p50_ms": round(statistics.median(first), 2),
        "http_first_200_p99_ms": round(percentile(first, 99), 2),
        "http_search_p50_ms": round(statistics.median(search_ms), 2),
        "http_search_p99_ms": round(percentile(search_ms, 99), 2),
        "http_healthz_p50_ms": round(statistics.median(health_ms), 2),
        "http_healthz_p99_ms": round(percentile(health_ms, 99), 2),
        "rss_serving": rss,
    }


def _timed_http(client, queries: list[str]) -> tuple[list[float], list[float]]:
    """Milliseconds of GET /search for each query, and of a GET /healthz after each."""
    search_ms, health_ms = [], []
    for query in queries:
        with timed_ms(search_ms):
            client.get("/search", params={"q": query, "k": 10}).raise_for_status()
        with timed_ms(health_ms):
            client.get("/healthz").raise_for_status()
    return search_ms, health_ms


def bench_cold_cli(index: Path, runs: int, query: str = "why Rook on bare metal") -> dict:
    podquote = Path(sys.executable).parent / "podquote"
    cli = [str(podquote)] if podquote.exists() else [sys.executable, "-c", "from podquote.cli import main; main()"]
    search = [*cli, "search", query, "--index", str(index), "-k", "10"]
    timed_run(search)  # once untimed: writes the model cache if this machine has none yet
    cli_s, cli_cpu, pass_s, pass_cpu, import_s = [], [], [], [], []
    for _ in range(runs):
        seconds, code, cpu = timed_run(search)
        if code:
            raise SystemExit(f"bench: `{' '.join(search)}` exited with {code}")
        cli_s.append(seconds)
        cli_cpu.append(cpu)
        seconds, _, cpu = timed_run([sys.executable, "-c", "pass"])
        pass_s.append(seconds)
        pass_cpu.append(cpu)
        import_s.append(timed_run([sys.executable, "-c", "import podquote.cli"])[0])
    rss = [command_peak_rss(search) for _ in range(2)]
    return {
        "runs": runs,
        "cli_search_median_s": round(statistics.median(cli_s), 3),
        "cli_search_min_s": round(min(cli_s), 3),
        "cli_search_max_s": round(max(cli_s), 3),
        "python_pass_median_s": round(statistics.median(pass_s), 3),
        "import_search_cli_median_s": round(statistics.median(import_s), 3),
        "cli_vs_python": round(statistics.median(cli_s) / statistics.median(pass_s), 1),
        "cli_search_cpu_median_s": round(statistics.median(cli_cpu), 3),
        "python_pass_cpu_median_s": round(statistics.median(pass_cpu), 3),
        "cli_peak_rss": max(rss),
    }


# ------------------------------------------------------------------------------------------------ trade-off
def bench_tradeoff(index: Path, queries: list[str]) -> dict:
    from scale_measure import generation_vectors, tradeoff
    from podquote import get_embedder
    from podquote.store import Manifest, current_generation

    generation = current_generation(index)
    vectors, ids = generation_vectors(generation)
    unique = list(dict.fromkeys(queries))[:200]
    embedded = get_embedder(Manifest.read(generation).embedder).embed_batch(unique, query=True)
    types = ("flat", "hnsw", "ivf-sq8", "ivf-pqfs") if len(ids) >= 1000 else ("flat", "hnsw")
    rows = tradeoff(vectors, ids, embedded, types=types)
    return {"vectors": int(len(ids)), "queries": len(unique), "rows": rows}


# ------------------------------------------------------------------------------------------------ synthetic text
def write_synthetic_corpus(folder: Path, n: int, seed: int = 0) -> int:
    """About n passages as WebVTT episodes with `<v Name>` turns, from the scale script's synthetic world."""
    from scale_data import World, episode

    world = World(seed)
    written, index = 0, 0
    folder.mkdir(parents=True, exist_ok=True)
    while written < n:
        passages, _, _ = episode(world, index, int(min(240, max(20, n - written))))
        lines = ["WEBVTT", ""]
        for i, p in enumerate(passages):
            if p.kind == "chapter":
                continue
            speaker = p.speaker or f"Host {i % 2}"
            lines += [f"{_vtt_time(p.start)} --> {_vtt_time(p.end)}", f"<v {speaker} {i % 2}>{p.text}", ""]
            written += 1
        (folder / f"{index + 1:05d}-episode.vtt").write_text("\n".join(lines), encoding="utf-8")
        index += 1
    return written


def _vtt_time(seconds: float) -> str:
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{int(h):02d}:{int(m):02d}:{s:06.3f}"


# ------------------------------------------------------------------------------------------------ report
def print_report(corpus: str, data: dict) -> None:
    mb = 1 << 20
    ix, q, http, cli = data.get("indexing"), data["queries"], data.get("http"), data.get("cold_cli")
    store = q["vector_store"]
    size = f"{ix['passages']:,} passages, {ix['files']} files" if ix else "index reused, indexing not measured"
    print(f"podquote benchmark: {corpus} ({size}, index {store.get('type')} {store.get('params', {})}; load "
          f"average {data['machine']['load_average'][0]:.1f} on {data['machine']['cpus']} CPUs)")
    print(f"{'measure':<36}{'value':>12}{'baseline (same run)':>40}{'ratio':>9}")

    def row(name, value, base, label, ratio=None):
        ratio = (round(value / base, 2) if base else "-") if ratio is None else ratio
        print(f"{name:<36}{value:>12}{(str(base) + ' ' + label):>40}{ratio:>9}")

    if ix:
        row("indexing passages/s", ix["end_to_end_passages_per_s"], ix["raw_embedder_passages_per_s"],
            "raw embedder", ix["indexing_vs_raw"])
    if ix and "end_to_end_cpu_s" in ix:
        row("  CPU s for all passages", ix["end_to_end_cpu_s"], ix["raw_embedder_cpu_s"], "raw embedder CPU s",
            ix["indexing_vs_raw_cpu"])
    row("warm query p50 ms", q["search_p50_ms"], q["embed_only_p50_ms"], "embed only", q["search_vs_embed_p50"])
    row("warm query p99 ms", q["search_p99_ms"], q["embed_only_p99_ms"], "embed only")
    row("  its CPU time p50 ms", q["search_cpu_p50_ms"], q["search_p50_ms"], "wall p50")
    row("  vector store top-50 p50 ms", q["vector_store_p50_ms"], q["search_p50_ms"], "whole query")
    row("  lexical FTS5 top-50 p50 ms", q["lexical_p50_ms"], q["search_p50_ms"], "whole query")
    ranks, hand_http, size = data.get("rankings"), data.get("http_hand"), data.get("size")
    if ranks:
        row("learned ranking p50 ms", ranks["learned_p50_ms"], ranks["hand_p50_ms"], "hand-set ranking",
            ranks["learned_vs_hand_p50"])
        row("learned ranking p99 ms", ranks["learned_p99_ms"], ranks["hand_p99_ms"], "hand-set ranking")
    if http and hand_http:
        row("HTTP first 200 after start p50 ms", http["http_first_200_p50_ms"], hand_http["http_first_200_p50_ms"],
            "hand-set ranking")
        row("HTTP first 200 after start p99 ms", http["http_first_200_p99_ms"], hand_http["http_first_200_p99_ms"],
            "hand-set ranking")
        row("HTTP warm p50 ms", http["http_search_p50_ms"], hand_http["http_search_p50_ms"], "hand-set ranking")
        row("HTTP warm p99 ms", http["http_search_p99_ms"], hand_http["http_search_p99_ms"], "hand-set ranking")
        row("peak RSS serving MB", round(http["rss_serving"]["VmHWM"] / mb),
            round(hand_http["rss_serving"]["VmHWM"] / mb), "hand-set ranking")
    if size:
        row("index size MB", round(size["total_bytes"] / mb, 1), round(size["hand_ranking_bytes"] / mb, 1),
            "files the hand-set ranking reads")
    if http:
        row("HTTP query p50 ms", http["http_search_p50_ms"], http["http_healthz_p50_ms"], "GET /healthz")
        row("HTTP query p99 ms", http["http_search_p99_ms"], http["http_healthz_p99_ms"], "GET /healthz")
        row("HTTP query p50 ms", http["http_search_p50_ms"], q["search_p50_ms"], "library search")
    if cli:
        row("cold `podquote search` s (median)", cli["cli_search_median_s"], cli["python_pass_median_s"],
            "python -c pass", cli["cli_vs_python"])
        row("  its CPU time s (user+sys)", cli["cli_search_cpu_median_s"], cli["python_pass_cpu_median_s"],
            "python -c pass", round(cli["cli_search_cpu_median_s"] / max(cli["python_pass_cpu_median_s"], 1e-3), 1))
        row("  of it `import podquote.cli` s", cli["import_search_cli_median_s"], cli["python_pass_median_s"],
            "python -c pass", round(cli["import_search_cli_median_s"] / cli["python_pass_median_s"], 1))
    base = data["baseline_rss"]["VmHWM"]
    if ix:
        row("peak RSS indexing MB", round(ix["rss_indexing"]["VmHWM"] / mb), round(base / mb),
            "python+numpy+faiss", round(ix["rss_indexing"]["VmHWM"] / base, 1))
    if http:
        row("peak RSS serving MB", round(http["rss_serving"]["VmHWM"] / mb), round(base / mb), "python+numpy+faiss",
            round(http["rss_serving"]["VmHWM"] / base, 1))
    if cli:
        row("peak RSS cold CLI MB", round(cli["cli_peak_rss"] / mb), round(base / mb), "python+numpy+faiss",
            round(cli["cli_peak_rss"] / base, 1))
    if ix:
        print(f"indexing compares whole passages/s of the pipeline (every sentence embedded once, then averaged) "
              f"with `embed_batch` over the same {ix['passages']:,} passage texts, 64 a batch, sorted by length; "
              f"{ix['sentences_embedded']:,} passages were embedded sentence by sentence. Stages (s): "
              + ", ".join(f"{k} {v}" for k, v in ix["stages_s"].items())
              + (f". Load average while indexing {ix['load_average_indexing']}, while embedding raw "
                 f"{ix['load_average_raw']}; the CPU-seconds ratio (raw / pipeline) is the one a busy machine "
                 "distorts least" if "load_average_raw" in ix else ""))
    if http:
        print(f"server start-up (full checksum verification of the index) {http['startup_s']} s; "
              f"queries timed: {q['queries']} library, {http['queries']} HTTP")
    trade = data.get("tradeoff")
    if trade:
        from scale_measure import print_tradeoff

        print_tradeoff(trade["rows"], trade["vectors"])
        print(f"(held-out queries: {trade['queries']} distinct judged questions and passage openings; "
              "memory: the index in RAM, IVF-SQ8 also reads float32 rows of vectors.npy to rescore)")


def main() -> int:
    args = parse_args()
    if args.child:
        return child_main(args.child)
    if args.queries < 200:
        print("bench: --queries must be at least 200", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="podquote-bench-") as tmp:
        work = args.work or Path(tmp)
        sources = [str(s.resolve()) for s in args.sources]
        corpus = ", ".join(map(str, args.sources)) or "built-in corpus"
        if args.synthetic:
            folder = work / "synthetic-corpus"
            written = write_synthetic_corpus(folder, args.synthetic)
            sources, corpus = [str(folder)], f"synthetic WebVTT corpus ({written:,} cues)"
        index = work / "index"
        if args.reuse_index:
            corpus = f"the index at {index.resolve()}"
        data = {"corpus": corpus}
        print(f"bench: {'reusing' if args.reuse_index else 'indexing'} {corpus} ...", file=sys.stderr)
        data["baseline_rss"] = run_child("baseline", {})
        if not args.reuse_index:
            data["indexing"] = run_child("index", {"sources": sources, "embedder": args.embedder,
                                                   "index": str(index)})
        print("bench: queries through the library ...", file=sys.stderr)
        data["queries"] = bench_queries(index, args.queries)
        from podquote import Collection

        collection = Collection.open(index)
        queries = load_queries(collection, 2 * args.queries)  # HTTP: the first distinct ones, then as many again
        collection.close()
        print("bench: learned against hand-set ranking ...", file=sys.stderr)
        data["rankings"] = bench_rankings(index, args.queries)
        data["size"] = index_size(index)
        print("bench: queries over HTTP (hand-set ranking, then learned) ...", file=sys.stderr)
        data["http_hand"] = bench_http(index, queries, free_port(), "hand")
        data["http"] = bench_http(index, queries, free_port())
        print("bench: cold CLI ...", file=sys.stderr)
        data["cold_cli"] = bench_cold_cli(index, args.runs)
        if not args.no_tradeoff:
            print("bench: flat against approximate indexes ...", file=sys.stderr)
            data["tradeoff"] = bench_tradeoff(index, judged_queries() + queries)
    data["machine"] = {"cpus": os.cpu_count(), "load_average": os.getloadavg()}
    print_report(corpus, data)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
