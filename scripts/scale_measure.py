"""Measuring the scale run's indexes (scripts/scale.py): serving latency, recall against exact search, memory,
and flat against approximate vector indexes. Every figure is compared with a baseline from the same run."""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchkit import peak_rss, percentile, timed_ms
from scale_data import QUERIES_FILE, register_stub

# The search-time setting of each approximate index type, which trades latency for recall.
KNOBS = {"hnsw": "ef_search", "ivf-sq8": "nprobe", "ivf-pqfs": "nprobe"}

# ------------------------------------------------------------------------------------------------ exact search
def exact_top_k(vectors: np.ndarray, ids: np.ndarray, queries: np.ndarray, k: int, chunk: int = 262_144):
    """Brute force over the memory-mapped float32 vectors, in chunks: the ground truth and the baseline."""
    best_s = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_i = np.full((len(queries), k), -1, dtype=np.int64)
    for lo in range(0, len(vectors), chunk):
        block = np.asarray(vectors[lo:lo + chunk], dtype=np.float32)
        sims = queries @ block.T
        take = min(k, sims.shape[1])
        part = np.argpartition(-sims, take - 1, axis=1)[:, :take]
        s = np.take_along_axis(sims, part, axis=1)
        merged_s = np.concatenate([best_s, s], axis=1)
        merged_i = np.concatenate([best_i, ids[lo + part]], axis=1)
        order = np.argsort(-merged_s, axis=1, kind="stable")[:, :k]
        best_s = np.take_along_axis(merged_s, order, axis=1)
        best_i = np.take_along_axis(merged_i, order, axis=1)
    return best_s, best_i


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Share of the exact top-k that was found (k = the exact list's length, fewer if there are fewer vectors)."""
    hits = []
    for f, t in zip(found, truth):
        wanted = set(t[t >= 0].tolist())
        hits.append(len(set(f[f >= 0].tolist()) & wanted) / max(len(wanted), 1))
    return float(np.mean(hits))


def generation_vectors(generation: Path) -> tuple[np.ndarray, np.ndarray]:
    """The served generation's float32 vectors (memory-mapped) and their ids, read from its files."""
    from podquote.vectors.faiss_store import IDS_FILE, VECTORS_FILE

    return np.load(generation / VECTORS_FILE, mmap_mode="r"), np.load(generation / IDS_FILE)


# ------------------------------------------------------------------------------------------------ serving
def dense_ids(collection, query: np.ndarray, k: int) -> np.ndarray:
    """The vector store's top k ids for one query vector, -1 where it has fewer."""
    found = np.full(k, -1, dtype=np.int64)
    top = [vid for vid, _ in collection.dense_top(query, k)]
    found[:len(top)] = top
    return found


def time_parts(collection, vector: np.ndarray, text: str) -> tuple[float, float]:
    """Milliseconds of the two retrievals a search starts from, for where its time goes: the vector store's top
    50 for `vector` (1 x d) and the lexical (FTS5) top 50 for `text`."""
    from podquote.lexical import query_terms

    started = time.perf_counter()
    collection.dense_top(vector[0], 50)
    store_ms = (time.perf_counter() - started) * 1000
    terms = query_terms(text)
    started = time.perf_counter()
    if terms:
        collection.lexical_top(terms, 50)
    return store_ms, (time.perf_counter() - started) * 1000


def open_collection(root: Path, rows: str, lexical: bool):
    """The index opened as `podquote serve` opens it (less the full checksum), with the experiments asked for:
    `rows` says how the float32 rows a query reads are read (Collection.read_rows: "mmap", "random" or "pread");
    `lexical` False turns the lexical (FTS5) stage off."""
    from podquote import Collection

    collection = Collection.open(root, preload=True)
    if rows != "mmap":
        collection.read_rows(rows)
    if not lexical:
        collection.ranking = collection.ranking.with_(lexical_weight=0.0)
    return collection


def serve_bench(root: Path, n_queries: int, recall_sample: int, exact_queries: int, sweep: list[int] = (),
                rows: str = "mmap", lexical: bool = True, warm_cache: bool = False) -> dict:
    """Run in a child process: open the index as `podquote serve` would, time queries, measure recall."""
    from podquote.vectors.faiss_store import VECTORS_FILE

    table = register_stub(root)
    texts = list(table.rows)
    started = time.perf_counter()
    collection = open_collection(root, rows, lexical)
    open_s = time.perf_counter() - started
    after_open = peak_rss()
    if warm_cache:
        forget_cached(collection.generation / VECTORS_FILE)  # an earlier run's exact scans' pages: see there
    warm_s = warm_page_cache(collection) if warm_cache else None
    for text in texts[:20]:
        collection.search(text, 10)
    timed = texts[20:20 + n_queries]
    search_ms, store_ms, lexical_ms = [], [], []
    for text in timed:
        with timed_ms(search_ms):
            collection.search(text, 10)
        parts = time_parts(collection, table.vectors[table.rows[text]][None, :], text)
        store_ms.append(parts[0])
        lexical_ms.append(parts[1])
    serving = peak_rss()
    vectors, ids = generation_vectors(collection.generation)
    exact_ms = exact_scan_ms(vectors, ids, table, texts[20:20 + exact_queries])
    sample = texts[-recall_sample:]
    quality = recall_and_sweep(collection, vectors, ids, table.vectors[[table.rows[t] for t in sample]], sweep)
    return {
        "rows": rows,
        "lexical": lexical,
        "warm_page_cache_s": warm_s,
        "sweep": quality.pop("sweep"),
        "passages": len(collection),
        "vector_store": collection.health()["vector_store"],
        "open_s": round(open_s, 3),
        "rss_after_open": after_open,
        "rss_serving": serving,
        "queries": len(timed),
        "search_p50_ms": round(statistics.median(search_ms), 2),
        "search_p99_ms": round(percentile(search_ms, 99), 2),
        "store_p50_ms": round(statistics.median(store_ms), 2),
        "store_p99_ms": round(percentile(store_ms, 99), 2),
        "lexical_p50_ms": round(statistics.median(lexical_ms), 2),
        "exact_scan_queries": len(exact_ms),
        "exact_scan_p50_ms": round(statistics.median(exact_ms), 1) if exact_ms else None,
        "recall_queries": len(sample),
        **quality,
    }


def exact_scan_ms(vectors: np.ndarray, ids: np.ndarray, table, texts: list[str]) -> list[float]:
    """Milliseconds of an exact scan for one query at a time: the baseline a flat index would pay at this size."""
    times: list[float] = []
    for text in texts:
        with timed_ms(times):
            exact_top_k(vectors, ids, table.vectors[table.rows[text]][None, :], 10)
    return times


def recall_and_sweep(collection, vectors: np.ndarray, ids: np.ndarray, queries: np.ndarray,
                     sweep: list[int]) -> dict:
    """Recall@10 and @50 of the vector store against exact search on held-out `queries`, then the same with each
    search-time setting of `sweep` (nprobe for IVF, ef_search for HNSW)."""
    t0 = time.perf_counter()
    _, truth50 = exact_top_k(vectors, ids, queries, 50)
    exact_batch_s = time.perf_counter() - t0
    found10 = np.stack([dense_ids(collection, q, 10) for q in queries])
    found50 = np.stack([dense_ids(collection, q, 50) for q in queries])
    n = len(ids)
    sims = queries @ np.asarray(vectors[np.sort(np.random.default_rng(0).choice(n, min(n, 20000), replace=False))]).T
    top = np.sort(sims, axis=1)[:, ::-1]
    return {
        "exact_batch_s": round(exact_batch_s, 1),
        "recall_at_10": round(recall(found10, truth50[:, :10]), 4),
        "recall_at_50": round(recall(found50, truth50), 4),
        "cosine_query_top1_median_in_20k_sample": round(float(np.median(top[:, 0])), 3),
        "sweep": sweep_settings(collection, queries, truth50, sweep),
    }


def sweep_settings(collection, queries: np.ndarray, truth50: np.ndarray, values: list[int]) -> list[dict]:
    """The vector store's latency and recall at each search-time setting in `values`."""
    kind, _ = collection.vector_settings()
    knob = KNOBS.get(kind)
    swept = []
    for value in values if knob else ():
        collection.tune_vectors(**{knob: value})
        latency, got10, got50 = [], [], []
        for q in queries:
            with timed_ms(latency):
                got50.append(dense_ids(collection, q, 50))
            got10.append(dense_ids(collection, q, 10))
        swept.append({knob: value, "store_p50_ms": round(statistics.median(latency), 2),
                      "store_p99_ms": round(percentile(latency, 99), 2),
                      "recall_at_10": round(recall(np.stack(got10), truth50[:, :10]), 4),
                      "recall_at_50": round(recall(np.stack(got50), truth50), 4)})
        print("  sweep " + json.dumps(swept[-1]), file=sys.stderr)
    return swept


# ------------------------------------------------------------------------------------------------ page cache
def forget_cached(path: Path) -> None:
    """Drop a file's pages from the page cache. The float32 vectors are read only by this benchmark's exact
    scans, never by a server's queries (ivf-pqfs rescores from the 8-bit codes). At 10M they are 20 GB, and read
    twice by one run's scans they stay in the cache as often-used pages: the next run's warm-up then evicted its
    own working set instead, and its p50 was 23.0 ms against 16.0 (warm-up 138 s against 26)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def warm_page_cache(collection) -> float:
    """Read what queries read, so that they find it in the page cache, as a long-running server's do: the index
    files a query maps (all but the float32 vectors, which only exact scans read) and SQLite's passage rows and
    lexicon, not FTS5's own index (unread when the lexicon has every word). Returns the seconds taken."""
    import sqlite3

    from podquote.metadata import DB_FILE
    from podquote.vectors.faiss_store import VECTORS_FILE

    started = time.perf_counter()
    for path in [*collection.generation.glob("*.npy"), *collection.generation.glob("*.faiss")]:
        if path.name != VECTORS_FILE:
            with open(path, "rb") as handle:
                while handle.read(1 << 24):
                    pass
    # a connection of its own: the pages land in the OS page cache, which every connection reads through
    db = sqlite3.connect(f"file:{collection.generation / DB_FILE}?mode=ro", uri=True)
    try:
        db.execute("SELECT sum(length(text)), sum(length(speaker_key)) FROM passages").fetchone()
        # hex(), not length(): SQLite reads a blob's length from its header, without its pages
        blobs = [row[1] for row in db.execute("PRAGMA table_info(lexicon)") if row[2].upper() == "BLOB"]
        if blobs:
            db.execute(f"SELECT {' + '.join(f'sum(length(hex({c})))' for c in blobs)} FROM lexicon").fetchone()
    finally:
        db.close()
    return round(time.perf_counter() - started, 1)


# ------------------------------------------------------------------------------------------------ index types
def calibrate(root: Path, sample: int = 2000) -> dict:
    """Cosine statistics of the synthetic vectors (compare with use-m3 on the real corpus)."""
    from podquote.store import current_generation

    vectors, ids = generation_vectors(current_generation(root))
    data = np.load(root / QUERIES_FILE)
    rng = np.random.default_rng(1)
    a = np.asarray(vectors[np.sort(rng.choice(len(vectors), sample, replace=False))])
    b = np.asarray(vectors[np.sort(rng.choice(len(vectors), sample, replace=False))])
    pairs = (a * b).sum(1)
    s, _ = exact_top_k(vectors, ids, data["vectors"][:100], 100)
    p, _ = exact_top_k(vectors, ids, a[:100], 11)
    return {"random_pair_mean": round(float(pairs.mean()), 3), "random_pair_std": round(float(pairs.std()), 3),
            "query_top1": round(float(np.median(s[:, 0])), 3), "query_top10": round(float(np.median(s[:, 9])), 3),
            "query_top100": round(float(np.median(s[:, 99])), 3),
            "passage_nearest_neighbour": round(float(np.median(p[:, 1])), 3),
            "passage_11th": round(float(np.median(p[:, 10])), 3)}


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def tradeoff(vectors: np.ndarray, ids: np.ndarray, queries: np.ndarray, *, hnsw_ef=(64, 128, 256),
             ivf_nprobe=(8, 16, 32, 64), types=("flat", "hnsw", "ivf-sq8", "ivf-pqfs"), log=None) -> list[dict]:
    """Flat against approximate indexes on the same vectors and held-out queries: build time, memory, single-query
    latency and recall@10/@50 against exact search, for a few search-time settings of each."""
    from podquote.vectors.faiss_store import FaissStore

    _, truth = exact_top_k(vectors, ids, queries, 50)
    rows = []
    for kind in types:
        started = time.perf_counter()
        store = FaissStore.build(ids, vectors, vectors.shape[1], kind)
        build_s = time.perf_counter() - started
        index_bytes = saved_bytes(store, len(ids), vectors.shape[1])
        knob = KNOBS.get(kind)
        for value in (hnsw_ef if knob == "ef_search" else ivf_nprobe) if knob else [None]:
            if knob:
                store.params[knob] = value
            row = {"type": kind, "params": dict(store.params), "build_s": round(build_s, 1),
                   "memory_mb": round(index_bytes / 2**20, 1), **store_quality(store, queries, truth)}
            if kind == "ivf-sq8":
                row["memory_mb_note"] = "codes in RAM; rescoring reads float32 rows from vectors.npy (mmap)"
            elif kind == "ivf-pqfs":
                row["memory_mb_note"] = "PQ lists and 8-bit codes of every vector, all in RAM"
            rows.append(row)
            if log:
                log(row)
        del store
    return rows


def saved_bytes(store, count: int, dimension: int) -> int:
    """Bytes of a store's index as saved (flat: the float32 vectors it keeps in RAM)."""
    if store.type == "flat":
        return count * dimension * 4
    with tempfile.TemporaryDirectory() as folder:
        return sum(os.path.getsize(Path(folder) / name) for name in store.save_index(Path(folder)))


def store_quality(store, queries: np.ndarray, truth: np.ndarray) -> dict:
    """Single-query latency at k=50 and recall@10/@50 of `store` against the exact top 50 `truth`."""
    latency, found10, found50 = [], [], []
    for q in queries:
        with timed_ms(latency):
            _, got = store.search(q[None, :], 50)
        found50.append(got[0])
        found10.append(store.search(q[None, :], 10)[1][0])
    return {"p50_ms": round(statistics.median(latency), 3), "p99_ms": round(percentile(latency, 99), 3),
            "recall_at_10": round(recall(np.stack(found10), truth[:, :10]), 4),
            "recall_at_50": round(recall(np.stack(found50), truth), 4)}


def print_tradeoff(rows: list[dict], n: int) -> None:
    flat = next((r for r in rows if r["type"] == "flat"), None)
    print(f"\nflat against approximate, {n:,} vectors, {len(rows) and 'single queries, k=50 (what ranking asks)'}")
    print(f"{'index':<30}{'build s':>9}{'memory MB':>11}{'p50 ms':>9}{'p99 ms':>9}{'vs flat':>9}{'recall@10':>11}"
          f"{'recall@50':>11}")
    for r in rows:
        setting = {k: v for k, v in r["params"].items() if k in ("ef_search", "nprobe", "M", "nlist")}
        name = r["type"] + (" " + ",".join(f"{k}={v}" for k, v in setting.items()) if setting else "")
        ratio = r["p50_ms"] / flat["p50_ms"] if flat else float("nan")
        print(f"{name:<30}{r['build_s']:>9}{r['memory_mb']:>11}{r['p50_ms']:>9}{r['p99_ms']:>9}{ratio:>9.3f}"
              f"{r['recall_at_10']:>11}{r['recall_at_50']:>11}")
