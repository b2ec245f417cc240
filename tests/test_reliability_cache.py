"""Answers to repeated searches come from memory, for one index generation only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from podquote import build_index
from podquote.api.app import create_app

NEW_QUOTE = "# Garden\n\n\"Gardening teaches patience better than any course,\" said Una.\n"


def test_repeated_search_is_answered_from_memory(fake_index):
    with TestClient(create_app(fake_index, reload_interval=None)) as client:
        params = {"q": "Ceph block storage", "k": 3}
        first = client.get("/search", params=params)
        second = client.get("/search", params=params)
        assert first.status_code == second.status_code == 200
        assert "x-podquote-cache" not in first.headers and second.headers["x-podquote-cache"] == "hit"
        assert second.json() == first.json()
        other = client.get("/search", params={"q": "Ceph block storage", "k": 4})
        assert "x-podquote-cache" not in other.headers and len(other.json()["hits"]) == 4
        for _ in range(2):  # refusals are never stored
            refused = client.get("/search", params={"q": "x", "k": 0})
            assert refused.status_code == 422 and "x-podquote-cache" not in refused.headers


def test_a_new_generation_drops_the_old_answers(fake_index, sources):
    with TestClient(create_app(fake_index, reload_interval=None)) as client:
        params = {"q": "gardening patience", "k": 1}
        client.get("/search", params=params)
        assert client.get("/search", params=params).headers["x-podquote-cache"] == "hit"
        (sources / "garden.md").write_text(NEW_QUOTE, encoding="utf-8")
        build_index(fake_index, [sources], embedder="fake")
        holder = client.app.state.holder
        cache, holder.cache = holder.cache, None  # a swap without the prefill
        assert holder.check()
        assert len(cache.entries) == 1  # still there, keyed by the old generation, until the first request
        fresh = client.get("/search", params=params)
        assert "x-podquote-cache" not in fresh.headers
        assert fresh.json()["hits"][0]["speaker"] == "Una"
        assert [key[0] for key in cache.entries] == [holder.collection.generation.name]


def test_cache_can_be_turned_off(fake_index):
    with TestClient(create_app(fake_index, reload_interval=None, cache_mb=0)) as client:
        for _ in range(2):
            response = client.get("/search", params={"q": "Ceph"})
            assert response.status_code == 200 and "x-podquote-cache" not in response.headers


def test_cache_stays_within_its_budget(fake_index):
    app = create_app(fake_index, reload_interval=None, cache_mb=0.05)  # about 50 KB
    with TestClient(app) as client:
        sizes = [len(client.get("/search", params={"q": f"storage {n}", "k": 20}).content) for n in range(40)]
        cache = app.middleware_stack.app  # RequestLimits -> ResponseCache
        while not hasattr(cache, "entries"):
            cache = cache.app
        assert cache.size <= 0.05 * (1 << 20) < sum(sizes)
        assert 0 < len(cache.entries) < 40
        assert client.get("/search", params={"q": "storage 39", "k": 20}).headers["x-podquote-cache"] == "hit"
        assert "x-podquote-cache" not in client.get("/search", params={"q": "storage 0", "k": 20}).headers


def test_popular_questions_are_answered_by_the_new_generation_before_the_swap(fake_index, sources):
    with TestClient(create_app(fake_index, reload_interval=None)) as client:
        holder = client.app.state.holder
        asked = [{"q": "gardening patience", "k": 1}, {"q": "Ceph block storage", "k": 2}]
        for params in asked * 2:  # asked twice: popular
            client.get("/search", params=params)
        once = {"q": "backups forget", "k": 1}
        client.get("/search", params=once)
        (sources / "garden.md").write_text(NEW_QUOTE, encoding="utf-8")
        build_index(fake_index, [sources], embedder="fake")
        assert holder.check()
        first = client.get("/search", params=asked[0])
        assert first.headers["x-podquote-cache"] == "hit"  # computed before the swap, from the new generation
        assert first.json()["hits"][0]["speaker"] == "Una"
        assert client.get("/search", params=asked[1]).headers["x-podquote-cache"] == "hit"
        assert "x-podquote-cache" not in client.get("/search", params=once).headers  # not worth delaying a swap
        assert holder.cache.generation == holder.collection.generation.name
        assert all(key[0] == holder.collection.generation.name for key in holder.cache.entries)
