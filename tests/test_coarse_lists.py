"""Exact list finding for inverted files whose lists an HNSW graph finds (podquote.vectors.coarse)."""

from __future__ import annotations

import faiss
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from podquote.vectors.coarse import CoarseLists
from podquote.vectors.faiss_store import FaissStore

from test_faiss_index_types import clustered, recall_at_10

unit = st.floats(-1.0, 1.0, allow_nan=False, width=32)


@settings(max_examples=80, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 40), st.just(6)), elements=unit),
       arrays(np.float32, st.tuples(st.integers(1, 5), st.just(6)), elements=unit), st.integers(1, 50))
def test_nearest_lists_are_those_of_the_highest_inner_products(centroids, queries, nprobe):
    near, lists = CoarseLists(centroids).nearest(queries, nprobe)
    expected = queries @ centroids.T
    assert lists.shape == (len(queries), min(nprobe, len(centroids)))
    for row, want in zip(range(len(queries)), expected):
        assert np.allclose(near[row], want[lists[row]])  # each score is its list's
        assert np.all(np.diff(near[row]) <= 1e-6)  # nearest first
        kth = near[row][-1]
        assert np.all(np.delete(want, lists[row]) <= kth + 1e-6)  # no list left out beats the last taken


@pytest.mark.parametrize("kind", ["ivf-pqfs", "ivf-sq8"])
def test_a_graph_found_index_scans_the_exact_lists_and_keeps_its_recall(tmp_path, kind):
    vectors = clustered(5000)
    ids = np.arange(5000, dtype=np.int64) * 104729 + 11
    store = FaissStore.build(ids, vectors, 64, kind, {"nlist": 64, "quantizer": "hnsw32"})
    exact = FaissStore.build(ids, vectors, 64, "flat")
    queries = clustered(60, seed=3)
    coarse = store._coarse_lists(faiss)
    assert isinstance(coarse, CoarseLists) and coarse.centroids.shape == (64, 64)
    assert recall_at_10(store, exact, queries) >= 0.95
    # the same candidates as FAISS's own search when its graph searches wide enough to find the same lists
    nprobe = store.params["nprobe"]
    _, ours = coarse.search(faiss, store.index, queries, 200, nprobe)
    params = faiss.SearchParametersIVF(nprobe=nprobe)
    params.quantizer_params = faiss.SearchParametersHNSW(efSearch=64)
    _, theirs = store.index.search(queries, 200, params=params)
    overlap = np.mean([len(set(a) & set(b)) / len(set(b)) for a, b in zip(ours, theirs)])
    assert overlap >= 0.99  # fast scan rounds its distances, so ties at the 200th may differ
    store.save(tmp_path)
    loaded = FaissStore.load(tmp_path, 64, store.describe())  # a read-only mapping of the index file
    assert np.array_equal(loaded.search(queries, 10)[1], store.search(queries, 10)[1])


def test_an_index_whose_lists_are_scanned_flat_needs_no_finder():
    vectors = clustered(3000)
    store = FaissStore.build(np.arange(3000, dtype=np.int64), vectors, 64, "ivf-pqfs", {"nlist": 32})
    assert store.params["quantizer"] == "flat" and store._coarse_lists(faiss) is None
    assert FaissStore.build(np.arange(3000, dtype=np.int64), vectors, 64, "hnsw")._coarse_lists(faiss) is None
