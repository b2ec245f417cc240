"""The indexing pipeline embeds in steps and builds the vector index in the background: same index either way."""

from __future__ import annotations

import numpy as np
import pytest

from podquote import Collection, build_index
from podquote import index_embedding
from podquote.store import current_generation
from podquote.vectors.faiss_build import VectorBuilder
from podquote.vectors.faiss_store import FaissStore


def _arrays(root):
    generation = current_generation(root)
    return {name: np.load(generation / name) for name in ("vectors.npy", "ids.npy", "sentences.npy",
                                                          "sentence_spans.npy", "sentence_offsets.npy")}


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf-sq8", "ivf-pqfs"])
def test_small_steps_give_the_same_index(tmp_path, sources, fake, monkeypatch, kind):
    whole = tmp_path / "whole"
    build_index(whole, [sources], embedder="fake", index_type=kind)
    monkeypatch.setattr(index_embedding, "EMBED_STEP", 3)
    monkeypatch.setattr(VectorBuilder, "STEP", 2)
    stepped = tmp_path / "stepped"
    build_index(stepped, [sources], embedder="fake", index_type=kind)
    a, b = _arrays(whole), _arrays(stepped)
    for name in a:
        assert np.array_equal(a[name], b[name]), name
    assert b["sentences.npy"].dtype == np.float16

    collection = Collection.open(stepped)
    assert collection.manifest.vector_store["type"] == kind
    assert len(collection) == len(b["ids.npy"])
    # every passage finds itself first through the index that was built in the background
    store: FaissStore = collection.vectors
    _, found = store.search(b["vectors.npy"], 1)
    assert (found[:, 0] == b["ids.npy"]).mean() >= 0.95
    hits = collection.search("Ceph block file object storage", 3)
    assert hits and "Ceph" in hits[0].passage.text


def test_update_mixes_reused_and_new_vectors_in_row_order(tmp_path, sources, fake, monkeypatch):
    monkeypatch.setattr(index_embedding, "EMBED_STEP", 2)
    monkeypatch.setattr(VectorBuilder, "STEP", 1)
    root = tmp_path / "index"
    build_index(root, [sources], embedder="fake", index_type="hnsw")
    (sources / "extra.md").write_text('# More\n\n"Rook turns Ceph into a Kubernetes operator," said Carol.\n',
                                      encoding="utf-8")
    report = build_index(root, [sources], embedder="fake", index_type="hnsw")
    assert report.passages_reused and report.passages_embedded
    fresh = tmp_path / "fresh"
    build_index(fresh, [sources], embedder="fake", index_type="hnsw")
    a, b = _arrays(root), _arrays(fresh)
    order_a, order_b = np.argsort(a["ids.npy"]), np.argsort(b["ids.npy"])
    assert np.array_equal(a["ids.npy"][order_a], b["ids.npy"][order_b])
    assert np.allclose(a["vectors.npy"][order_a], b["vectors.npy"][order_b], atol=1e-6)
    hits = Collection.open(root).search("Rook Ceph operator", 1)
    assert "Carol" == hits[0].passage.speaker


def test_a_failed_embedding_leaves_no_index_thread(tmp_path, sources, fake, monkeypatch):
    import threading

    def broken(*args, **kwargs):
        raise RuntimeError("model fell over")

    started = []  # every thread the build starts, so the check below cannot pass for want of one
    start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda thread: started.append(thread) or start(thread))
    monkeypatch.setattr(index_embedding, "encode_passages", broken)
    with pytest.raises(RuntimeError, match="fell over"):
        build_index(tmp_path / "index", [sources], embedder="fake", index_type="hnsw")
    builders = [thread for thread in started if thread.name == "podquote-vector-index"]
    assert len(builders) == 1
    builders[0].join(timeout=10)
    assert not builders[0].is_alive()
