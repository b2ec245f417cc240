"""FAISS index types: approximate ones agree with exact search, filters stay exact, all round-trip on disk."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from podquote import Collection, IndexCorrupt, build_index
from podquote.store import current_generation
from podquote.vectors.codes import CODES_FILE, VectorCodes
from podquote.vectors.faiss_params import FASTSCAN_IMPLEM, FLAT_LIMIT, HNSW_LIMIT, choose_index_type
from podquote.vectors.faiss_store import FaissStore


def clustered(n: int, d: int = 64, seed: int = 0) -> np.ndarray:
    """Normalised vectors around 50 centres: closer to real embeddings than uniform noise."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(50, d))
    x = centres[rng.integers(0, 50, n)] + 0.6 * rng.normal(size=(n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def recall_at_10(store: FaissStore, exact: FaissStore, queries: np.ndarray) -> float:
    _, got = store.search(queries, 10)
    _, want = exact.search(queries, 10)
    return float(np.mean([len(set(g) & set(w)) / 10 for g, w in zip(got, want)]))


@pytest.mark.parametrize("kind", ["hnsw", "ivf-sq8", "ivf-pqfs"])
def test_approximate_types_recall_against_exact(tmp_path, kind):
    vectors = clustered(6000)
    ids = np.arange(6000, dtype=np.int64) * 7919 + 3
    exact = FaissStore.build(ids, vectors, 64, "flat")
    store = FaissStore.build(ids, vectors, 64, kind)
    queries = clustered(100, seed=1)
    assert recall_at_10(store, exact, queries) >= 0.95
    store.save(tmp_path)
    loaded = FaissStore.load(tmp_path, 64, store.describe())
    assert loaded.type == kind and loaded.count() == 6000
    assert recall_at_10(loaded, exact, queries) >= 0.95
    scores, labels = loaded.search(queries[:1], 5)
    assert np.all(np.diff(scores[0]) <= 1e-6) and set(labels[0]) <= set(ids)


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf-sq8", "ivf-pqfs"])
def test_filtered_search_is_exact_within_the_allowed_ids(kind):
    vectors = clustered(3000)
    ids = np.arange(3000, dtype=np.int64)
    store = FaissStore.build(ids, vectors, 64, kind)
    allowed = ids[::37]
    scores, labels = store.search(vectors[:3], 5, allowed)
    sims = vectors[allowed] @ vectors[:3].T
    for i in range(3):
        assert set(labels[i]) <= set(allowed)
        assert np.isclose(scores[i][0], sims[:, i].max(), atol=1e-5)


def test_add_and_delete():
    vectors = clustered(200)
    store = FaissStore.build(np.arange(100), vectors[:100], 64, "flat")
    store.add(np.arange(100, 200), vectors[100:])
    assert store.count() == 200
    store.delete(np.array([150]))
    _, labels = store.search(vectors[150:151], 3)
    assert 150 not in labels[0] and store.count() == 199


def test_type_chosen_by_size():
    assert choose_index_type(10) == "flat"
    assert choose_index_type(FLAT_LIMIT + 1) == "hnsw"
    assert choose_index_type(HNSW_LIMIT + 1) == "ivf-pqfs"


def test_forced_type_recorded_in_manifest_and_served(tmp_path, sources, fake):
    build_index(tmp_path / "idx", [sources], embedder="fake", index_type="hnsw")
    collection = Collection.open(tmp_path / "idx", verify=True)
    assert collection.manifest.vector_store["type"] == "hnsw"
    assert collection.manifest.vector_store["params"]["M"] == 32
    assert (current_generation(tmp_path / "idx") / "index.faiss").exists()
    assert collection.search("Ceph block file object storage", k=1)[0].passage.speaker == "Alice"


def test_pq_fast_scan_rescores_from_codes_kept_beside_the_index(tmp_path):
    vectors = clustered(4000)
    ids = np.arange(4000, dtype=np.int64) * 31 + 1
    store = FaissStore.build(ids, vectors, 64, "ivf-pqfs")
    assert store.describe()["params"]["pq_m"] == 16 and store.codes.shape == (4000, 64)
    # its scores are cosines from the 8-bit codes: within a step of the exact ones, never PQ's rougher estimate
    scores, labels = store.search(vectors[:20], 5)
    rows = np.searchsorted(ids, labels)
    assert np.allclose(scores, np.einsum("qkd,qd->qk", vectors[rows], vectors[:20]), atol=0.01)
    assert store.row_vectors is store.codes
    assert sorted(store.save(tmp_path)) == sorted(["vectors.npy", "ids.npy", "index.faiss", CODES_FILE,
                                                   "code_range.npy"])
    loaded = FaissStore.load(tmp_path, 64, store.describe())
    assert isinstance(loaded.codes, VectorCodes) and np.array_equal(loaded.search(vectors[:20], 5)[1], labels)
    for index in (store.index, loaded.index):  # the one-query scan strategy is set again on load (not saved)
        assert faiss.downcast_index(faiss.extract_index_ivf(index)).implem == FASTSCAN_IMPLEM
    loaded.delete(ids[:1])
    loaded.add(np.array([7]), -vectors[:1])
    assert loaded.codes.shape == (4000, 64) and loaded.search(-vectors[:1], 1)[1][0, 0] == 7


def test_an_ivf_pqfs_index_is_served_from_its_codes(tmp_path, sources, fake):
    build_index(tmp_path / "idx", [sources], embedder="fake", index_type="ivf-pqfs")
    collection = Collection.open(tmp_path / "idx", verify=True)
    generation = current_generation(tmp_path / "idx")
    assert CODES_FILE in collection.manifest.files and (generation / CODES_FILE).exists()
    assert isinstance(collection.passage_vectors, VectorCodes)  # ranking's row reads stay in memory
    hits = collection.search("Ceph block file object storage", k=3)
    assert hits[0].passage.speaker == "Alice"
    collection.close()
    preloaded = Collection.open(tmp_path / "idx", preload=True)  # how `podquote serve` opens it
    assert [(h.passage.id, h.score) for h in preloaded.search("Ceph block file object storage", k=3)] == [
        (h.passage.id, h.score) for h in hits]
    preloaded.close()
    (generation / CODES_FILE).write_bytes(b"not an array")
    with pytest.raises(IndexCorrupt, match=CODES_FILE):
        Collection.open(tmp_path / "idx")
