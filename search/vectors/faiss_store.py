"""FAISS vector store: inner product over normalised vectors, exact while that is fast, approximate beyond.

Index types, chosen by size (`choose_index_type`) and recorded in the manifest with their parameters:
- `flat`: exact search; the FAISS index is rebuilt from `vectors.npy` on load, so nothing but numpy arrays is
  stored. Used while a full scan stays within the latency target.
- `hnsw`: a graph over the full vectors (`index.faiss`); near-exact recall at a fraction of the scan.
- `ivf-sq8`: an inverted file of 8-bit codes (a quarter of the memory), whose candidates are rescored exactly
  from the memory-mapped float32 vectors.
- `ivf-pqfs`: an inverted file of 4-bit product-quantizer codes scanned with SIMD lookups ("fast scan": 64 bytes
  a 512-d vector, an eighth of SQ8's), whose candidates are rescored from 8-bit codes of every vector held in
  memory (podquote.vectors.codes). Nothing a query reads is on disk only: the form that serves tens of millions of
  passages on one machine, where the float32 vectors no longer fit in memory and IVF-SQ8's scan and rescoring
  turn into disk reads.

On disk the vectors are always a plain `.npy` beside an `.npy` of their ids, so they can be memory-mapped,
reused by the next incremental build and read by any numpy. A filter that leaves few passages is answered by
an exact scan of just those rows, which is both faster and more accurate than filtering an approximate index.

The sizes and parameters are in podquote.vectors.faiss_params (their measurements in docs/vector-tuning.md); the
FAISS index objects are made in podquote.vectors.faiss_index; a new generation's index is built while its
passages are embedded by podquote.vectors.faiss_build.VectorBuilder.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from . import faiss_index
from .base import best_k, empty_result
from .coarse import CoarseLists
from .codes import CODE_RANGE_FILE, CODES_FILE, VectorCodes, row_similarities
from .faiss_index import faiss_module
from .faiss_params import (EXACT_SUBSET_LIMIT, IVF_TYPES, SEARCH_THREADS, checked_params, choose_index_type,
                           hnsw_ef_search, index_kind, ivf_nprobe, sized_params)
from .id_rows import IdRows

VECTORS_FILE = "vectors.npy"
IDS_FILE = "ids.npy"
INDEX_FILE = "index.faiss"
INDEX_FILES = (INDEX_FILE, CODES_FILE, CODE_RANGE_FILE)  # what an index type writes beside the vectors


class FaissStore:
    def __init__(self, dimension: int, kind: str = "flat", params: dict | None = None):
        self.dimension = dimension
        self.type = kind
        self.params = checked_params(kind, params, dimension)
        self.vectors: np.ndarray = np.zeros((0, dimension), dtype=np.float32)  # row -> vector
        self.ids: np.ndarray = np.zeros(0, dtype=np.int64)  # row -> vector id
        self.index = None
        self.codes: VectorCodes | None = None  # ivf-pqfs: every vector's 8-bit codes, what candidates are rescored from
        self._mapped: Path | None = None  # the index file, when the index is a read-only mapping of it
        self._coarse: CoarseLists | bool | None = None  # None: not looked for yet; False: none for this index

    def _writable(self) -> None:
        """Read a memory-mapped index into memory before changing it (the mapping is read-only)."""
        if self._mapped is not None:
            self.index = faiss_module().read_index(str(self._mapped))
            self._mapped = None

    # building
    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, dimension: int, kind: str | None = None,
              params: dict | None = None) -> "FaissStore":
        store = cls(dimension, kind or choose_index_type(len(ids)), params)
        store.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        store.ids = np.asarray(ids, dtype=np.int64)
        store.start_index(len(ids))
        if store.type in IVF_TYPES and len(ids):
            store.train(store.vectors)
        store.add_rows(0, len(ids))
        return store

    def start_index(self, count: int) -> None:
        """A new empty index, its "by size" parameters set for `count` vectors."""
        self.params = sized_params(self.type, self.params, self.dimension, count)
        self.index = faiss_index.new_index(self.type, self.dimension, self.params)

    def train(self, vectors: np.ndarray) -> None:
        """Train an inverted file on (a sample of) `vectors`, before any row is added."""
        codes = faiss_index.train(self.index, self.type, self.params, vectors, self.dimension)
        if codes is not None:
            self.codes = codes

    def add_rows(self, start: int, stop: int) -> None:
        """Add rows start:stop of `vectors` and `ids`, already in place, to the index."""
        faiss_index.add_rows(self.index, self.codes, self.vectors, self.ids, start, stop)

    # the VectorStore interface
    def add(self, ids: np.ndarray, vectors: np.ndarray, attributes=None) -> None:
        # `attributes` (podquote.vectors.base.VectorAttributes) are not stored: FAISS filters by ids from SQLite.
        if self.index is None:
            self.start_index(len(ids))
        if not len(ids):
            return
        self._writable()
        start = len(self.ids)
        self.vectors = np.concatenate([np.asarray(self.vectors), np.asarray(vectors, dtype=np.float32)])
        self.ids = np.concatenate([self.ids, np.asarray(ids, dtype=np.int64)])
        self._forget_id_rows()
        if self.type in IVF_TYPES and not self.index.is_trained:
            self.train(self.vectors)
        self.add_rows(start, len(self.ids))

    def delete(self, ids: np.ndarray) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        self._writable()
        self.index.remove_ids(faiss_module().IDSelectorBatch(ids))
        keep = ~np.isin(self.ids, ids)
        self.vectors, self.ids = np.asarray(self.vectors)[keep], self.ids[keep]
        if self.codes is not None:
            self.codes.keep(keep)
        self._forget_id_rows()

    def upsert(self, ids: np.ndarray, vectors: np.ndarray, attributes=None) -> None:
        if self.count():
            self.delete(ids)
        self.add(ids, vectors)

    def compile_filter(self, filters, matching_ids) -> np.ndarray:
        """FAISS filters with an id selector: the vector ids `matching_ids` finds for `filters`."""
        return np.asarray(matching_ids(filters), dtype=np.int64)

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
        nlist = self.params["nlist"] or faiss_module().extract_index_ivf(self.index).nlist
        nprobe = self.params["nprobe"] or ivf_nprobe(nlist)
        extra = {"quantizer_ef": max(64, 2 * nprobe)} if self.params.get("quantizer") == "hnsw32" else {}
        _, ids = self._faiss_search(queries, wide, allowed, nprobe=nprobe, **extra)
        return self._rescore(queries, ids, k)

    def _faiss_search(self, queries, k, allowed, **search_params):
        faiss = faiss_module()
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
        """The exact list finder (podquote.vectors.coarse) for an IVF index whose lists a graph finds; kept once the
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
        and the list finder, rather than each of the first queries faulting in the pages of its ~2,000 rescored
        rows (docs/vector-tuning.md)."""
        if self.codes is not None and len(self.codes):
            int(np.asarray(self.codes.codes).reshape(-1)[::4096].sum())  # a byte of each 4 KB page
        self._id_rows.prepare()
        self._coarse_lists(faiss_module())

    @property
    def row_vectors(self):
        """What ranking reads a passage's vector from: the 8-bit codes where the index keeps them in memory
        (indexing like a float32 matrix), else the float32 vectors."""
        return self.codes if self.codes is not None else self.vectors

    def _rescore(self, queries, candidate_ids, k):
        """Cosine of the approximate candidates from `row_vectors`: the float32 vectors (exact) or the codes."""
        scores, labels = empty_result(len(queries), k)
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
        faiss_module().write_index(self.index, str(directory / INDEX_FILE))
        return [INDEX_FILE, *(self.codes.save(directory) if self.codes is not None else [])]

    def describe(self) -> dict:
        return {"backend": "faiss", "type": self.type, "params": dict(self.params), "metric": "inner_product"}

    @classmethod
    def load(cls, directory: Path, dimension: int, spec: dict | None = None) -> "FaissStore":
        spec = spec or {}
        store = cls(dimension, index_kind(spec.get("type", "flat")), spec.get("params"))
        vectors = np.load(directory / VECTORS_FILE, mmap_mode="r", allow_pickle=False)
        ids = np.load(directory / IDS_FILE, allow_pickle=False)
        if vectors.ndim != 2 or vectors.shape[1] != dimension or len(ids) != len(vectors):
            raise ValueError(f"vectors {vectors.shape} and ids {ids.shape} do not fit dimension {dimension}")
        store.vectors, store.ids = vectors, ids
        if store.type == "flat":
            store.start_index(len(ids))
            store.add_rows(0, len(ids))
        else:
            store.index = faiss_index.read_mapped(directory / INDEX_FILE)
            store._mapped = directory / INDEX_FILE
            if store.index.ntotal != len(ids):
                raise ValueError(f"{INDEX_FILE} holds {store.index.ntotal} vectors, {IDS_FILE} {len(ids)}")
        if store.type == "ivf-pqfs":
            store.codes = VectorCodes.load(directory, len(ids), dimension)
            faiss_index.scan_one_query_at_a_time(store.index)
        return store


def _top_k(queries: np.ndarray, vectors: np.ndarray, ids: np.ndarray, k: int):
    scores, labels = empty_result(len(queries), k)
    if not len(ids):
        return scores, labels
    for i, row in enumerate(queries @ vectors.T):
        scores[i], labels[i] = best_k(row, ids, k)
    return scores, labels
