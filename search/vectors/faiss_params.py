"""FAISS tuning: which index type a size gets, its parameters, and the check of a parameter set.

One line of why per constant; the measurements behind them, with their dates and the commands that reproduce
them, are in docs/vector-tuning.md.
"""

from __future__ import annotations

import numpy as np

# A flat scan costs ~0.1 ms per 1,000 512-d vectors: past this it leaves no room in a 10 ms query.
FLAT_LIMIT = 50_000
# HNSW keeps every float32 vector in memory (2 KB at 512-d); past this, inverted lists of codes.
HNSW_LIMIT = 2_000_000
# IVF trains on at most this many vectors per list.
IVF_TRAIN_PER_LIST = 40
# From this many lists, vectors being added find their list through an HNSW graph (a flat scan takes minutes).
IVF_HNSW_QUANTIZER = 4096
# Below this many allowed passages, a filtered query scans them exactly (faster and exact).
EXACT_SUBSET_LIMIT = 20_000
# OpenMP threads for a handful of queries: on a shared machine more threads wait on each other.
SEARCH_THREADS = 1
# Dimensions per 4-bit PQ sub-quantizer: 8 ranked too roughly to keep the true top 10 among the candidates.
PQ_DIMS = 4
# Fast scan strategy 11 (one query's lists in turn, a reservoir): faster than FAISS's default for single queries.
FASTSCAN_IMPLEM = 11
# PQ candidates rescored from the 8-bit codes, at least (k x 8 if more): enough for recall@10 above 0.95.
PQFS_CANDIDATES = 2000
# IVF lists probed: a share of them (recall needs a share, not a count), never fewer than the minimum.
IVF_NPROBE_MIN = 24
IVF_NPROBE_SHARE = 1 / 42
# An IVF index whose lists a graph finds reads all centroids for a query up to this many floats (64 MB, ~2 ms).
MAX_CENTROID_FLOATS = 16_000_000

# The sentence index (podquote.vectors.sentence_index): exact up to this many sentences, then IVF-SQ8.
SENTENCE_EXACT_LIMIT = 20_000
SENTENCE_TRAIN_PER_LIST = 60  # sentences k-means trains on per list, at most
# Sentence lists probed: a share (about 16 of the shared corpus's 748, 0.8 of the exact top 50, docs/retrieval.md).
SENTENCE_PROBE_SHARE = 1 / 48
SENTENCE_MIN_PROBE = 8

DEFAULT_PARAMS = {
    "flat": {},
    "hnsw": {"M": 32, "ef_construction": 80, "ef_search": 0},  # ef_search 0: by size, see `hnsw_ef_search`
    "ivf-sq8": {"nlist": 0, "nprobe": 0, "rescore": 4, "quantizer": ""},  # 0: by size, see `ivf_nprobe`
    "ivf-pqfs": {"nlist": 0, "nprobe": 0, "candidates": PQFS_CANDIDATES, "quantizer": "", "pq_m": 0},  # pq_m 0: d/4
}
IVF_TYPES = ("ivf-sq8", "ivf-pqfs")
QUANTIZERS = ("", "flat", "hnsw32")  # how an inverted file finds a vector's list ("": by the number of lists)
TYPE_ALIASES = {"flat-ip": "flat"}  # the name format 2 indexes used before index types were chosen by size


class InvalidIndexParams(ValueError):
    """An index type or parameter set FAISS cannot be built or searched with."""


def hnsw_ef_search(count: int) -> int:
    """The HNSW search breadth that keeps recall@10 at or above 0.95 for a graph of `count` vectors."""
    return 256 if count <= 500_000 else 512 if count <= 1_000_000 else 1024


def ivf_nprobe(nlist: int) -> int:
    return max(IVF_NPROBE_MIN, round(nlist * IVF_NPROBE_SHARE))


def ivf_list_count(count: int) -> int:
    """Inverted lists for `count` vectors: about 4 x sqrt(count), at least 16."""
    return max(16, int(4 * np.sqrt(max(count, 1))))


def sentence_list_count(sentences: int) -> int:
    return max(16, int(np.sqrt(sentences)))


def sentence_nprobe(nlist: int) -> int:
    return max(SENTENCE_MIN_PROBE, round(nlist * SENTENCE_PROBE_SHARE))


def pq_subquantizers(dimension: int) -> int:
    """Sub-quantizers of 4-bit PQ codes: one per PQ_DIMS dimensions, a divisor of the dimension."""
    return next(m for m in range(max(1, dimension // PQ_DIMS), 0, -1) if dimension % m == 0)


def choose_index_type(count: int) -> str:
    if count <= FLAT_LIMIT:
        return "flat"
    return "hnsw" if count <= HNSW_LIMIT else "ivf-pqfs"


def index_kind(name: str) -> str:
    """The index type a manifest names, old names mapped to today's."""
    return TYPE_ALIASES.get(name, name)


def checked_params(kind: str, params: dict | None, dimension: int) -> dict:
    """`params` over the type's defaults, or InvalidIndexParams naming what is wrong. Zeros mean "by size"."""
    if kind not in DEFAULT_PARAMS:
        raise InvalidIndexParams(f"unknown FAISS index type {kind!r} (known: {', '.join(DEFAULT_PARAMS)})")
    merged = {**DEFAULT_PARAMS[kind], **(params or {})}
    unknown = sorted(set(merged) - set(DEFAULT_PARAMS[kind]))
    if unknown:
        raise InvalidIndexParams(f"FAISS index type {kind!r} has no parameter {', '.join(map(repr, unknown))} "
                                 f"(it has: {', '.join(DEFAULT_PARAMS[kind]) or 'none'})")
    for name, value in merged.items():
        if name == "quantizer":
            if value not in QUANTIZERS:
                raise InvalidIndexParams(f"{kind} quantizer {value!r} is not one of {QUANTIZERS[1:]}")
        elif isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise InvalidIndexParams(f"{kind} parameter {name} must be a whole number >= 0, not {value!r}")
    if merged.get("pq_m") and dimension % merged["pq_m"]:
        raise InvalidIndexParams(f"{kind} pq_m {merged['pq_m']} does not divide the dimension {dimension}")
    return merged


def sized_params(kind: str, params: dict, dimension: int, count: int) -> dict:
    """`params` with its "by size" zeros filled in for an index that starts with `count` vectors."""
    sized = dict(params)
    if kind == "hnsw":
        sized["ef_search"] = sized["ef_search"] or hnsw_ef_search(count)
    elif kind in IVF_TYPES:
        sized["nlist"] = sized["nlist"] or ivf_list_count(count)
        sized["nprobe"] = sized["nprobe"] or ivf_nprobe(sized["nlist"])
        sized["quantizer"] = sized.get("quantizer") or ("hnsw32" if sized["nlist"] >= IVF_HNSW_QUANTIZER else "flat")
        if kind == "ivf-pqfs":
            sized["pq_m"] = sized.get("pq_m") or pq_subquantizers(dimension)
    return sized
