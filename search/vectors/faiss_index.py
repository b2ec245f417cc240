"""FAISS index objects of each type (podquote.vectors.faiss_params): made empty, trained, filled, opened from disk.

These work on FAISS indexes and numpy arrays only; `FaissStore` (podquote.vectors.faiss_store) holds one index with
its vectors and ids, and `VectorBuilder` (podquote.vectors.faiss_build) fills one while passages are embedded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import faiss_params
from .codes import VectorCodes

ADD_CHUNK = 100_000  # rows handed to FAISS per call: bounds the float32 copy of a memory-mapped matrix


def faiss_module():
    """The faiss module, imported on first use: it is large and `--help` should not pay for it."""
    import faiss

    return faiss


def new_index(kind: str, dimension: int, params: dict):
    """An empty index of `kind` with sized `params` (faiss_params.sized_params), untrained if inverted."""
    faiss = faiss_module()
    if kind == "flat":
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
    if kind == "hnsw":
        inner = faiss.index_factory(dimension, f"HNSW{params['M']},Flat", faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = params["ef_construction"]
        return faiss.IndexIDMap2(inner)
    coarse = "_HNSW32" if params["quantizer"] == "hnsw32" else ""
    codes = f"PQ{params['pq_m']}x4fs" if kind == "ivf-pqfs" else "SQ8"
    # An inverted file stores each vector's id itself: no IndexIDMap2 around it, whose id -> row hash map
    # would cost ~50 bytes a vector in memory and seconds to rebuild on every load at 10M.
    index = faiss.index_factory(dimension, f"IVF{params['nlist']}{coarse},{codes}", faiss.METRIC_INNER_PRODUCT)
    if kind == "ivf-pqfs":
        # 4-bit codes of what is left after the list's centroid, not of the vector: FAISS's default for inner
        # product is the vector, whose 16 levels per 8 dimensions lost half the true top 10 in tests.
        faiss.extract_index_ivf(index).by_residual = True
        scan_one_query_at_a_time(index)
    return index


def train(index, kind: str, params: dict, vectors: np.ndarray, dimension: int) -> VectorCodes | None:
    """Train an inverted file on a sample of `vectors`; for ivf-pqfs, also the empty 8-bit codes it returns."""
    sample = _training_sample(vectors, faiss_params.IVF_TRAIN_PER_LIST * params["nlist"])
    if params.get("quantizer") == "hnsw32":
        _add_two_level_centroids(index, sample, params["nlist"])
    index.train(sample)  # with the lists given, this trains the list codes' quantizer only
    return VectorCodes.train(sample, dimension) if kind == "ivf-pqfs" else None


def _training_sample(vectors: np.ndarray, limit: int) -> np.ndarray:
    sample = vectors
    if len(vectors) > limit:
        rows = np.random.default_rng(0).choice(len(vectors), limit, replace=False)
        sample = vectors[np.sort(rows)]
    return np.ascontiguousarray(sample, dtype=np.float32)


def _add_two_level_centroids(index, sample: np.ndarray, nlist: int) -> None:
    """k-means into thousands of lists in one level costs hours on 2 cores at 10M (25 passes of sample x lists x
    512); two levels (sqrt(nlist) clusters, then each cut in proportion) cost minutes."""
    from faiss.contrib.clustering import two_level_clustering

    ivf = faiss_module().extract_index_ivf(index)
    centroids, _ = two_level_clustering(sample, int(np.sqrt(nlist)), nlist, clustering_niter=10)
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True).clip(1e-12)
    ivf.quantizer.add(np.ascontiguousarray(centroids, dtype=np.float32))


def add_rows(index, codes: VectorCodes | None, vectors: np.ndarray, ids: np.ndarray, start: int, stop: int) -> None:
    """Add rows start:stop of `vectors` under their `ids` to a trained `index` (and to `codes`, if kept)."""
    for lo in range(start, stop, ADD_CHUNK):
        hi = min(lo + ADD_CHUNK, stop)
        index.add_with_ids(np.ascontiguousarray(vectors[lo:hi], dtype=np.float32), ids[lo:hi])
    if codes is not None:
        codes.extend(vectors[start:stop])  # at once: appending chunk by chunk copies all each time


def scan_one_query_at_a_time(index) -> None:
    """Fast scan's search strategy for a server's queries, which come one at a time with ~2,000 candidates each
    (FAISS's own choice suits batches). Not saved in the index file, so set on every load."""
    faiss = faiss_module()
    ivf = faiss.downcast_index(faiss.extract_index_ivf(index))
    if hasattr(ivf, "implem"):
        ivf.implem = faiss_params.FASTSCAN_IMPLEM


def read_mapped(path: Path):
    """The index file, memory-mapped rather than read: a search touches a few lists or graph nodes, so a cold
    `podquote search` need not read the whole file, and the pages are shared and reclaimable (same results)."""
    faiss = faiss_module()
    flags = faiss.IO_FLAG_READ_ONLY | faiss.IO_FLAG_MMAP_IFC  # flat codes (HNSW storage, IVF lists) mapped
    try:
        return faiss.read_index(str(path), flags)
    except RuntimeError:  # a FAISS without zero-copy mapping for this index: read it
        return faiss.read_index(str(path))
