"""The HTTP API through FastAPI's TestClient (real HTTP semantics, real index)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from podquote import Collection
from podquote.api.app import create_app
from podquote.api.deps import get_collection


@pytest.fixture
def client(fake_index):
    with TestClient(create_app(fake_index)) as client:
        yield client


def test_search_shape(client):
    response = client.get("/search", params={"q": "Ceph block file object storage", "k": 3})
    assert response.status_code == 200
    data = response.json()
    assert data["query"] == "Ceph block file object storage" and len(data["hits"]) == 3
    assert list(data["hits"][0])[:10] == [
        "id", "text", "speaker", "title", "source", "kind", "lang", "start", "url", "score"]
    assert {"highlight", "episode", "show", "end", "date"} <= set(data["hits"][0])
    assert data["hits"][0]["speaker"] == "Alice"


def test_search_filters(client):
    hits = client.get("/search", params={"q": "storage", "speaker": "watts"}).json()["hits"]
    assert hits and {h["speaker"] for h in hits} == {"Watts"}
    hits = client.get("/search", params={"q": "storage", "lang": "en"}).json()["hits"]
    assert hits and {h["lang"] for h in hits} == {"en"}


def test_passage_by_id(client):
    hit = client.get("/search", params={"q": "Backups forget", "k": 1}).json()["hits"][0]
    response = client.get(f"/passages/{hit['id']}")
    assert response.status_code == 200
    passage = response.json()
    assert passage["id"] == hit["id"] and passage["text"] == hit["text"] and passage["speaker"] == "Bob"
    assert passage["char_end"] > passage["char_start"]


def test_healthz(client):
    data = client.get("/healthz").json()
    assert data["status"] == "ok" and data["passages"] > 20 and data["embedder"] == "fake"


@pytest.mark.parametrize(
    "params, fragment",
    [
        ({"q": ""}, "at least 1 character"),
        ({"q": "   "}, "query is empty"),
        ({"q": "x" * 1001}, "at most 1000 characters"),
        ({"q": "x", "k": 0}, "greater than or equal to 1"),
        ({"q": "x", "k": 101}, "less than or equal to 100"),
        ({"q": "x", "k": "many"}, "valid integer"),
        ({"q": "x", "lang": "klingon"}, "'zh', 'en' or 'other'"),
        ({}, "Field required"),
    ],
)
def test_bad_search_is_422_with_reason(client, params, fragment):
    response = client.get("/search", params=params)
    assert response.status_code == 422
    assert fragment in response.text


def test_unknown_passage_is_404_with_reason(client):
    response = client.get("/passages/0000000000000000")
    assert response.status_code == 404
    assert "no passage with id" in response.json()["detail"]


def test_openapi_docs(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/search", "/passages/{passage_id}", "/healthz"} <= set(spec["paths"])


def test_collection_dependency_can_be_swapped(fake_index, tmp_path, sources):
    app = create_app(fake_index)
    other = Collection.open(fake_index)
    app.dependency_overrides[get_collection] = lambda: other
    with TestClient(app) as client:
        assert client.get("/healthz").json()["generation"] == other.generation.name


def test_context_adds_neighbours_of_the_same_source(client):
    hit = client.get("/search", params={"q": "Backups forget", "k": 1, "context": 2}).json()["hits"][0]
    before, after = hit["context"]["before"], hit["context"]["after"]
    assert [p["speaker"] for p in before] == ["Alice"] and after == []
    assert client.get("/search", params={"q": "x", "context": 11}).status_code == 422
