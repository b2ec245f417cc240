"""FAISS vector store: inner product over normalised vectors, exact while that is fast, approximate beyond.

Index types, chosen by size (`choose_index_type`) and recorded in the manifest with their parameters:
- `flat`: exact search; the FAISS index is rebuilt from `vectors.npy` on load, so nothing but numpy arrays is
  stored. Used while a full scan stays within the latency target.
- `hnsw`: a graph over the full vectors (`index.faiss`); near-exact recall at a fraction of the scan.
- `ivf-sq8`: an inverted file of 8-bit codes (a quarter of the memory), whose candidates are rescored exactly
  from the memory-mapped float32 vectors.
- `ivf-pqfs`: an inverted file of 4-bit product-quantizer codes scanned with SIMD lookups ("fast scan": 64 bytes
  a 512-d vector, an eighth of SQ8's), whose candidates are rescored from 8-bit codes of every vector held in
  memory (search.vectors.codes). Nothing a query reads is on disk only: the form that serves tens of millions of
  passages on one machine, where the float32 vectors no longer fit in memory and IVF-SQ8's scan and rescoring
  turn into disk reads.

On disk the vectors are always a plain `.npy` beside an `.npy` of their ids, so they can be memory-mapped,
reused by the next incremental build and read by any numpy. A filter that leaves few passages is answered by
an exact scan of just those rows, which is both faster and more accurate than filtering an approximate index.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from .coarse import CoarseLists
from .codes import CODE_RANGE_FILE, CODES_FILE, VectorCodes, row_similarities
from .id_rows import IdRows

VECTORS_FILE = "vectors.npy"
IDS_FILE = "ids.npy"
INDEX_FILE = "index.faiss"
INDEX_FILES = (INDEX_FILE, CODES_FILE, CODE_RANGE_FILE)  # what an index type writes beside the vectors

# Measured with scripts/bench.py on 2 cores: a flat scan of 512-d float32 costs about 0.1 ms per 1,000 passages,
# so past ~50,000 it no longer leaves room in a 10 ms query.
FLAT_LIMIT = 50_000
# HNSW keeps every float32 vector in memory (2 KB at 512-d); past this, 8-bit codes with exact rescoring.
HNSW_LIMIT = 2_000_000
# IVF-SQ8 trains on at most this many vectors per list; with this many lists or more, vectors being added find
# their lists through an HNSW graph over the centroids (by a flat scan, 10M vectors x 12,649 centroids would be
# 6.5e13 multiply-adds: tens of minutes on 2 cores, by estimate) and the lists are trained by two-level k-means.
# Queries find theirs exactly: search.vectors.coarse.
IVF_TRAIN_PER_LIST = 40
IVF_HNSW_QUANTIZER = 4096
# Below this many allowed passages, a filtered query scans them exactly.
EXACT_SUBSET_LIMIT = 20_000
# OpenMP threads for searching a handful of queries. One query gains nothing from more, and on a shared 2-core
# machine threads waiting on each other are ruinous: a flat scan of 20,000 vectors took 22-28 ms with 2 threads
# against 1.7-2.8 ms with 1 (HNSW 0.39 against 0.24 ms). OpenMP's thread count belongs to the calling thread,
# so it is set around each search and restored (building still uses every core).
SEARCH_THREADS = 1
# IVF-PQ fast scan, measured on 10M synthetic 512-d vectors (scripts/scale.py, 12,649 lists, 200 held-out queries,
# recall@10 against exact search, one thread). 4-bit codes rank too roughly to keep a query's true top 10 in a short
# candidate list: with 4 dimensions per sub-quantizer (64 bytes a vector) the true top 10 were 0.82 of the PQ top
# 200, 0.88 of the top 500 and 0.92 of the top 1,000 at nprobe 128, and 0.967 of the top 2,000 at nprobe 256
# (faiss 10 ms, rescoring 2 ms); 8 dimensions per sub-quantizer (32 bytes) stopped at 0.69. Rescoring from the
# 8-bit codes costs little recall: of the exact top 50, the codes put 0.983 of the top 10 in the top 10 (a
# 10th-best cosine lies a median 0.0008 above the 11th at 10M). The same nprobe on IVF-SQ8 in memory took 77 ms.
PQ_DIMS = 4
# Fast scan's strategy: 11 scans one query's lists in turn and keeps candidates in a reservoir rather than a heap.
# 10M synthetic, 200 queries of one, 2,000 candidates, interleaved in one run: faiss p50 8.1-8.5 ms against
# 9.4-9.7 for FAISS's default (10, a heap: 8.4-8.9), the same recall. Batches lose (200 queries with 2 threads:
# 1.0-1.1 s against 0.8), but only evaluation and benchmarks search in batches.
FASTSCAN_IMPLEM = 11
PQFS_CANDIDATES = 2000  # PQ candidates rescored from the 8-bit codes, at least (k x 8 if more)
# HNSW ef_search (0: by size, see `hnsw_ef_search`). On the full shared corpus (246,231 use-m3 vectors, 135 judged
# questions held out) recall@10 against exact search was 0.915 at 64, 0.947 at 128 and 0.969 at 256, for 0.6, 1.1
# and 2.3 ms a query. Recall falls as the graph grows: on 1,000,000 synthetic vectors (scripts/scale.py) it was
# 0.929 at 256, 0.956 at 512 and 0.964 at 1024 (IVF-SQ8 there: 0.995 at nprobe 24, 3.5 ms, built in 161 s against
# HNSW's 1,354 s; but on the real corpus IVF-SQ8 reached only 0.87 at nprobe 64, where HNSW had 0.969, so HNSW
# stays the mid-size choice: synthetic clusters flatter an inverted file).
DEFAULT_PARAMS = {
    "flat": {},
    "hnsw": {"M": 32, "ef_construction": 80, "ef_search": 0},
    "ivf-sq8": {"nlist": 0, "nprobe": 0, "rescore": 4, "quantizer": ""},  # 0: by size, see `ivf_nprobe`
    "ivf-pqfs": {"nlist": 0, "nprobe": 0, "candidates": PQFS_CANDIDATES, "quantizer": "", "pq_m": 0},  # pq_m 0: d/4
}
IVF_TYPES = ("ivf-sq8", "ivf-pqfs")
# IVF nprobe by the number of lists. On synthetic vectors (scripts/scale.py) 24 of 4,000 lists (1M) gave recall@10
# 0.995, but 24 of 12,649 lists (10M) gave 0.767, 64 0.861, 128 0.938 and 256 0.977 (IVF-SQ8): recall needs a
# share of the lists. With ivf-pqfs (4-bit codes, then 8-bit rescoring) at 10M, 200 held-out queries: 253 lists
# (1 in 50) 0.951, 280 0.957, 301 (1 in 42) 0.960, for about 0.5 ms of scan per 25 lists. 1 in 42 keeps a margin
# over the 0.95 target that one sample of queries or another does not take away.
IVF_NPROBE_MIN = 24
IVF_NPROBE_SHARE = 1 / 42


_TYPE_ALIASES = {"flat-ip": "flat"}  # the name format 2 indexes used before index types were chosen by size


def _faiss():
    import faiss  # imported on first use: it is large and `--help` should not pay for it

    return faiss


def hnsw_ef_search(count: int) -> int:
    """The HNSW search breadth that keeps recall@10 at or above 0.95 for a graph of `count` vectors."""
    return 256 if count <= 500_000 else 512 if count <= 1_000_000 else 1024


def ivf_nprobe(nlist: int) -> int:
    return max(IVF_NPROBE_MIN, round(nlist * IVF_NPROBE_SHARE))


def pq_subquantizers(dimension: int) -> int:
    """Sub-quantizers of 4-bit PQ codes: one per PQ_DIMS dimensions, a divisor of the dimension."""
    return next(m for m in range(max(1, dimension // PQ_DIMS), 0, -1) if dimension % m == 0)


def choose_index_type(count: int) -> str:
    if count <= FLAT_LIMIT:
        return "flat"
    return "hnsw" if count <= HNSW_LIMIT else "ivf-pqfs"


class FaissStore:
    def __init__(self, dimension: int, kind: str = "flat", params: dict | None = None):
        self.dimension = dimension
        self.type = kind
        self.params = {**DEFAULT_PARAMS[kind], **(params or {})}
        self.vectors: np.ndarray = np.zeros((0, dimension), dtype=np.float32)  # row -> vector
        self.ids: np.ndarray = np.zeros(0, dtype=np.int64)  # row -> vector id
        self.index = None
        self.codes: VectorCodes | None = None  # ivf-pqfs: every vector's 8-bit codes, what candidates are rescored from
        self._mapped: Path | None = None  # the index file, when the index is a read-only mapping of it
        self._coarse: CoarseLists | bool | None = None  # None: not looked for yet; False: none for this index

    def _writable(self) -> None:
        """Read a memory-mapped index into memory before changing it (the mapping is read-only)."""
        if self._mapped is not None:
            self.index = _faiss().read_index(str(self._mapped))
            self._mapped = None

    # building
    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, dimension: int, kind: str | None = None,
              params: dict | None = None) -> "FaissStore":
        store = cls(dimension, kind or choose_index_type(len(ids)), params)
        store.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        store.ids = np.asarray(ids, dtype=np.int64)
        store.index = store._new_index(len(ids))
        if store.type in IVF_TYPES and len(ids):
            store._train(store.vectors)
        store._add_rows(0, len(ids))
        return store

    def _new_index(self, count: int):
        faiss = _faiss()
        if self.type == "flat":
            inner = faiss.IndexFlatIP(self.dimension)
        elif self.type == "hnsw":
            inner = faiss.index_factory(self.dimension, f"HNSW{self.params['M']},Flat", faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = self.params["ef_construction"]
            self.params["ef_search"] = self.params["ef_search"] or hnsw_ef_search(count)
        else:
            return self._new_ivf(faiss, count)
        return faiss.IndexIDMap2(inner)

    def _new_ivf(self, faiss, count: int):
        self.params["nlist"] = self.params["nlist"] or max(16, int(4 * np.sqrt(max(count, 1))))
        self.params["nprobe"] = self.params["nprobe"] or ivf_nprobe(self.params["nlist"])
        if not self.params.get("quantizer"):
            self.params["quantizer"] = "hnsw32" if self.params["nlist"] >= IVF_HNSW_QUANTIZER else "flat"
        coarse = "_HNSW32" if self.params["quantizer"] == "hnsw32" else ""
        codes = "SQ8"
        if self.type == "ivf-pqfs":
            self.params["pq_m"] = self.params.get("pq_m") or pq_subquantizers(self.dimension)
            codes = f"PQ{self.params['pq_m']}x4fs"
        # An inverted file stores each vector's id itself: no IndexIDMap2 around it, whose id -> row hash map
        # would cost ~50 bytes a vector in memory and seconds to rebuild on every load at 10M.
        index = faiss.index_factory(self.dimension, f"IVF{self.params['nlist']}{coarse},{codes}",
                                    faiss.METRIC_INNER_PRODUCT)
        if self.type == "ivf-pqfs":
            # 4-bit codes of what is left after the list's centroid, not of the vector: FAISS's default for inner
            # product is the vector, whose 16 levels per 8 dimensions lost half the true top 10 in tests.
            faiss.extract_index_ivf(index).by_residual = True
            _scan_one_query_at_a_time(faiss, index)
        return index

    def _train(self, vectors: np.ndarray) -> None:
        sample = vectors
        limit = IVF_TRAIN_PER_LIST * self.params["nlist"]
        if len(vectors) > limit:
            rows = np.random.default_rng(0).choice(len(vectors), limit, replace=False)
            sample = vectors[np.sort(rows)]
        sample = np.ascontiguousarray(sample, dtype=np.float32)
        if self.params.get("quantizer") == "hnsw32":
            # k-means into thousands of lists in one level costs hours on 2 cores at 10M (25 passes of sample x
            # lists x 512); two levels (sqrt(nlist) clusters, then each cut in proportion) cost minutes.
            from faiss.contrib.clustering import two_level_clustering

            ivf = _faiss().extract_index_ivf(self.index)
            nlist = self.params["nlist"]
            centroids, _ = two_level_clustering(sample, int(np.sqrt(nlist)), nlist, clustering_niter=10)
            centroids /= np.linalg.norm(centroids, axis=1, keepdims=True).clip(1e-12)
            ivf.quantizer.add(np.ascontiguousarray(centroids, dtype=np.float32))
        self.index.train(sample)  # with the lists given, this trains the list codes' quantizer only
        if self.type == "ivf-pqfs":
            self.codes = VectorCodes.train(sample, self.dimension)

    def _add_rows(self, start: int, stop: int, chunk: int = 100_000) -> None:
        for lo in range(start, stop, chunk):
            hi = min(lo + chunk, stop)
            self.index.add_with_ids(np.ascontiguousarray(self.vectors[lo:hi], dtype=np.float32), self.ids[lo:hi])
        if self.codes is not None:
            self.codes.extend(self.vectors[start:stop])  # at once: appending chunk by chunk copies all each time

    # the VectorStore interface
    def add(self, ids: np.ndarray, vectors: np.ndarray, attributes=None) -> None:
        # `attributes` (search.vectors.base.VectorAttributes) are not stored: FAISS filters by ids from SQLite.
        if self.index is None:
            self.index = self._new_index(len(ids))
        if not len(ids):
            return
        self._writable()
        start = len(self.ids)
        self.vectors = np.concatenate([np.asarray(self.vectors), np.asarray(vectors, dtype=np.float32)])
        self.ids = np.concatenate([self.ids, np.asarray(ids, dtype=np.int64)])
        self._forget_id_rows()
        if self.type in IVF_TYPES and not self.index.is_trained:
            self._train(self.vectors)
        self._add_rows(start, len(self.ids))

    def delete(self, ids: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        self._writable()
        self.index.remove_ids(_faiss().IDSelectorBatch(ids))
        keep = ~np.isin(self.ids, ids)
        self.vectors, self.ids = np.asarray(self.vectors)[keep], self.ids[keep]
        if self.codes is not None:
            self.codes.keep(keep)
        self._forget_id_rows()

    def upsert(self, ids: np.ndarray, vectors: np.ndarray, attributes=None) -> None:
        if self.count():
            self.delete(ids)
        self.add(ids, vectors)

    def compile_filter(self, filters, metadata) -> np.ndarray:
        """FAISS filters with an id selector: the vector ids SQLite finds for `filters`."""
        return np.asarray(metadata.vids_matching(filters), dtype=np.int64)

    def close(self) -> None:
        pass

    def count(self) -> int:
        return int(len(self.ids))

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None):
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        k = max(1, min(k, max(self.count(), 1)))
        if allowed is not None and len(allowed) <= EXACT_SUBSET_LIMIT:
            return self._exact_subset(queries, k, np.asarray(allowed, dtype=np.int64))
        if self.type == "flat":
            return self._faiss_search(queries, k, allowed)
        if self.type == "hnsw":
            ef = self.params["ef_search"] or hnsw_ef_search(self.count())
            return self._faiss_search(queries, k, allowed, efSearch=max(ef, k))
        wide = (max(8 * k, self.params["candidates"]) if self.type == "ivf-pqfs" else k * self.params["rescore"])
        nlist = self.params["nlist"] or _faiss().extract_index_ivf(self.index).nlist
        nprobe = self.params["nprobe"] or ivf_nprobe(nlist)
        extra = {"quantizer_ef": max(64, 2 * nprobe)} if self.params.get("quantizer") == "hnsw32" else {}
        _, ids = self._faiss_search(queries, wide, allowed, nprobe=nprobe, **extra)
        return self._rescore(queries, ids, k)

    def _faiss_search(self, queries, k, allowed, **search_params):
        faiss = _faiss()
        threads = faiss.omp_get_max_threads()
        if len(queries) >= 20 or threads == SEARCH_THREADS:  # a batch: FAISS splits it by query
            return self._faiss_search_now(faiss, queries, k, allowed, **search_params)
        faiss.omp_set_num_threads(SEARCH_THREADS)
        try:
            return self._faiss_search_now(faiss, queries, k, allowed, **search_params)
        finally:
            faiss.omp_set_num_threads(threads)

    def _faiss_search_now(self, faiss, queries, k, allowed, **search_params):
        if allowed is None and not search_params:
            return self.index.search(queries, k)
        if allowed is None and search_params.get("nprobe") and (coarse := self._coarse_lists(faiss)) is not None:
            return coarse.search(faiss, self.index, queries, k, search_params["nprobe"])
        coarse_ef = search_params.pop("quantizer_ef", None)
        kinds = {"efSearch": faiss.SearchParametersHNSW, "nprobe": faiss.SearchParametersIVF}
        cls = next((kinds[name] for name in search_params), faiss.SearchParameters)
        params = cls(**search_params)
        if coarse_ef:  # lists found by an HNSW graph: search it wider than its default of 16
            coarse = faiss.SearchParametersHNSW(efSearch=coarse_ef)
            params.quantizer_params = coarse  # `coarse` stays referenced until the search returns
        if allowed is not None:
            params.sel = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
        return self.index.search(queries, k, params=params)

    def _coarse_lists(self, faiss) -> CoarseLists | None:
        """The exact list finder (search.vectors.coarse) for an IVF index whose lists a graph finds; kept once the
        index holds its centroids."""
        if self._coarse is None and self.type in IVF_TYPES and self.index is not None and self.index.is_trained:
            self._coarse = CoarseLists.of(faiss, self.index) or False
        return self._coarse or None

    @cached_property
    def _id_rows(self) -> IdRows:
        return IdRows(self.ids)

    def _forget_id_rows(self) -> None:
        self.__dict__.pop("_id_rows", None)

    def _rows_of(self, ids: np.ndarray) -> np.ndarray:
        """Rows of the given vector ids (unknown ids dropped), ascending."""
        return self._id_rows.rows(ids)

    def _exact_subset(self, queries, k, allowed):
        rows = self._rows_of(allowed)
        return _top_k(queries, np.asarray(self.vectors[rows], dtype=np.float32), self.ids[rows], k)

    def preload(self) -> None:
        """Map every page of the 8-bit codes into this process now (a server's start), and build the id lookup
        and the list finder. Otherwise each query faults in the pages of its ~2,000 rescored rows: at 10M
        passages 3-10 ms a query for the first thousands."""
        if self.codes is not None and len(self.codes):
            int(np.asarray(self.codes.codes).reshape(-1)[::4096].sum())  # a byte of each 4 KB page
        self._id_rows.prepare()
        self._coarse_lists(_faiss())

    @property
    def row_vectors(self):
        """What ranking reads a passage's vector from: the 8-bit codes where the index keeps them in memory
        (indexing like a float32 matrix), else the float32 vectors."""
        return self.codes if self.codes is not None else self.vectors

    def _rescore(self, queries, candidate_ids, k):
        """Cosine of the approximate candidates from `row_vectors`: the float32 vectors (exact) or the codes."""
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        labels = np.full((len(queries), k), -1, dtype=np.int64)
        for i, query in enumerate(queries):
            found = candidate_ids[i][candidate_ids[i] >= 0]
            rows = self._rows_of(found)
            scores[i], labels[i] = best_k(row_similarities(self.row_vectors, rows, query), self.ids[rows], k)
        return scores, labels

    # persistence
    def save(self, directory: Path) -> list[str]:
        np.save(directory / VECTORS_FILE, np.asarray(self.vectors, dtype=np.float32), allow_pickle=False)
        np.save(directory / IDS_FILE, self.ids, allow_pickle=False)
        return [VECTORS_FILE, IDS_FILE, *self.save_index(directory)]

    def save_index(self, directory: Path) -> list[str]:
        """The files beside the vectors (none for flat): the FAISS index and, for ivf-pqfs, the codes."""
        if self.type == "flat":
            return []
        _faiss().write_index(self.index, str(directory / INDEX_FILE))
        return [INDEX_FILE, *(self.codes.save(directory) if self.codes is not None else [])]

    def describe(self) -> dict:
        return {"backend": "faiss", "type": self.type, "params": dict(self.params), "metric": "inner_product"}

    @classmethod
    def load(cls, directory: Path, dimension: int, spec: dict | None = None) -> "FaissStore":
        spec = spec or {}
        kind = _TYPE_ALIASES.get(spec.get("type", "flat"), spec.get("type", "flat"))
        if kind not in DEFAULT_PARAMS:
            raise ValueError(f"unknown FAISS index type {kind!r}")
        store = cls(dimension, kind, spec.get("params"))
        vectors = np.load(directory / VECTORS_FILE, mmap_mode="r", allow_pickle=False)
        ids = np.load(directory / IDS_FILE, allow_pickle=False)
        if vectors.ndim != 2 or vectors.shape[1] != dimension or len(ids) != len(vectors):
            raise ValueError(f"vectors {vectors.shape} and ids {ids.shape} do not fit dimension {dimension}")
        store.vectors, store.ids = vectors, ids
        if store.type == "flat":
            store.index = store._new_index(len(ids))
            store._add_rows(0, len(ids))
        else:
            store.index = _read_mapped(directory / INDEX_FILE)
            store._mapped = directory / INDEX_FILE
            if store.index.ntotal != len(ids):
                raise ValueError(f"{INDEX_FILE} holds {store.index.ntotal} vectors, {IDS_FILE} {len(ids)}")
        if store.type == "ivf-pqfs":
            store.codes = VectorCodes.load(directory, len(ids), dimension)
            _scan_one_query_at_a_time(_faiss(), store.index)
        return store


def _scan_one_query_at_a_time(faiss, index) -> None:
    """Fast scan's search strategy for a server's queries, which come one at a time with ~2,000 candidates each
    (FAISS's own choice suits batches). Not saved in the index file, so set on every load."""
    ivf = faiss.downcast_index(faiss.extract_index_ivf(index))
    if hasattr(ivf, "implem"):
        ivf.implem = FASTSCAN_IMPLEM


def _read_mapped(path: Path):
    """The index file, memory-mapped rather than read: a search touches a few lists or graph nodes, so a cold
    `podquote search` need not read the whole file, and the pages are shared and reclaimable. Measured on 200,000
    synthetic vectors: HNSW 0.3 s to open and 32 MB anonymous memory, against 2.3-3 s and 472 MB read in full;
    IVF-SQ8 0.25 s and 33 MB against 0.6 s and 132 MB. Same results either way."""
    faiss = _faiss()
    flags = faiss.IO_FLAG_READ_ONLY | faiss.IO_FLAG_MMAP_IFC  # flat codes (HNSW storage, IVF lists) mapped
    try:
        return faiss.read_index(str(path), flags)
    except RuntimeError:  # a FAISS without zero-copy mapping for this index: read it
        return faiss.read_index(str(path))


def _top_k(queries: np.ndarray, vectors: np.ndarray, ids: np.ndarray, k: int):
    scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    labels = np.full((len(queries), k), -1, dtype=np.int64)
    if not len(ids):
        return scores, labels
    for i, row in enumerate(queries @ vectors.T):
        scores[i], labels[i] = best_k(row, ids, k)
    return scores, labels


def best_k(sims: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k highest of one query's similarities and their ids, best first (-inf / -1 past the last)."""
    scores = np.full(k, -np.inf, dtype=np.float32)
    labels = np.full(k, -1, dtype=np.int64)
    take = min(k, len(ids))
    if take:
        top = np.argpartition(-sims, take - 1)[:take]
        top = top[np.argsort(-sims[top], kind="stable")]
        scores[:take], labels[:take] = sims[top], ids[top]
    return scores, labels
