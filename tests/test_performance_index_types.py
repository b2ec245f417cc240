"""Index settings for large collections: IVF-SQ8 with an HNSW coarse quantizer, memory-mapped loading, search
threads. Functional checks only (the timings are scripts/bench.py's and scripts/scale.py's business)."""

from __future__ import annotations

import numpy as np
import pytest

from podquote.vectors import faiss_params
from podquote.vectors.faiss_index import faiss_module as _faiss
from podquote.vectors.faiss_store import FaissStore

from test_faiss_index_types import clustered


def _recall(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.mean([len(set(g) & set(w)) / len(w) for g, w in zip(got, want)]))


def test_ivf_with_an_hnsw_quantizer_agrees_with_exact_search(tmp_path):
    vectors = clustered(20000)
    ids = np.arange(20000, dtype=np.int64) * 13 + 5
    queries = clustered(60, seed=2)
    exact = FaissStore.build(ids, vectors, 64, "flat")
    store = FaissStore.build(ids, vectors, 64, "ivf-sq8", {"nlist": 256, "quantizer": "hnsw32", "nprobe": 32})
    assert store.describe()["params"]["quantizer"] == "hnsw32"
    assert "HNSW" in type(_faiss().downcast_index(_faiss().extract_index_ivf(store.index).quantizer)).__name__
    _, want = exact.search(queries, 10)
    _, got = store.search(queries, 10)
    assert _recall(got, want) >= 0.9
    store.save(tmp_path)
    loaded = FaissStore.load(tmp_path, 64, store.describe())
    assert loaded._mapped is not None  # read as a mapping of index.faiss
    assert np.array_equal(loaded.search(queries, 10)[1], got)
    allowed = ids[::3][:25000]
    _, filtered = loaded.search(queries[:5], 10, allowed)
    assert set(filtered.ravel()) <= set(allowed)


def test_quantizer_follows_the_number_of_lists(monkeypatch):
    vectors = clustered(3000)
    ids = np.arange(3000, dtype=np.int64)
    assert FaissStore.build(ids, vectors, 64, "ivf-sq8").params["quantizer"] == "flat"
    monkeypatch.setattr(faiss_params, "IVF_HNSW_QUANTIZER", 64)
    store = FaissStore.build(ids, vectors, 64, "ivf-sq8", {"nlist": 64})
    assert store.params["quantizer"] == "hnsw32"
    assert store.search(vectors[:1], 1)[1][0, 0] == 0


@pytest.mark.parametrize("kind", ["hnsw", "ivf-sq8"])
def test_a_mapped_index_is_read_into_memory_before_it_changes(tmp_path, kind):
    vectors = clustered(2000)
    ids = np.arange(2000, dtype=np.int64)
    FaissStore.build(ids, vectors, 64, kind).save(tmp_path)
    store = FaissStore.load(tmp_path, 64, {"type": kind})
    assert store._mapped is not None
    if kind == "ivf-sq8":
        store.delete(ids[:5])
    store.add(np.array([99999]), -vectors[:1])
    assert store._mapped is None
    assert store.search(-vectors[:1], 1)[1][0, 0] == 99999


def test_single_query_search_restores_the_thread_count():
    faiss = _faiss()
    before = faiss.omp_get_max_threads()
    vectors = clustered(500)
    store = FaissStore.build(np.arange(500), vectors, 64, "flat")
    store.search(vectors[:1], 3)
    assert faiss.omp_get_max_threads() == before
