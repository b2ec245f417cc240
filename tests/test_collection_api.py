"""What Collection offers its callers instead of its stores (the API, the CLI and the scripts use these): passages,
health, facets, and the benchmark's settings (how rows are read, the vector store's search-time settings)."""

from __future__ import annotations

import pytest

from podquote import Collection, build_index
from podquote.vectors.rows import RowFile


def test_passages_come_in_vector_id_order_and_filter_by_language(fake_index):
    with Collection.open(fake_index, embedder="fake") as collection:
        every = list(collection.passages())
        assert len(every) == len(collection) > 0
        by_vid = collection.passages_by_vid(collection.row_vids().tolist())
        assert sorted(p.id for p in every) == sorted(p.id for p in by_vid.values())
        english = list(collection.passages(lang="en"))
        assert english and all(p.lang == "en" for p in english)
        assert len(english) < len(every)  # the seed article is Chinese
        assert [p.id for p in collection.passages(limit=2)] == [p.id for p in every[:2]]


def test_health_and_facets_describe_the_served_generation(fake_index):
    with Collection.open(fake_index, embedder="fake") as collection:
        health = collection.health()
        assert health["passages"] == len(collection)
        assert health["embedder"] == "fake" and health["generation"] == collection.generation.name
        facets = collection.facets()
        assert {"en", "zh"} <= {row["value"] for row in facets["languages"]}
        assert sum(row["count"] for row in facets["languages"]) == len(collection)


def test_rows_read_another_way_answer_the_same(fake_index):
    with Collection.open(fake_index, embedder="fake") as collection:
        before = [(h.passage.id, round(h.score, 5)) for h in collection.search("Ceph storage", k=5)]
        collection.read_rows("pread")
        assert isinstance(collection.passage_vectors, RowFile)
        assert [(h.passage.id, round(h.score, 5)) for h in collection.search("Ceph storage", k=5)] == before
        collection.read_rows("random")
        assert [(h.passage.id, round(h.score, 5)) for h in collection.search("Ceph storage", k=5)] == before
        with pytest.raises(ValueError, match="mmap, random, pread"):
            collection.read_rows("gzip")


def test_search_time_settings_are_the_stores_own(tmp_path, sources, fake):
    root = tmp_path / "index"
    build_index(root, [sources], embedder="fake", index_type="hnsw")
    with Collection.open(root, embedder="fake") as collection:
        kind, settings = collection.vector_settings()
        assert kind == "hnsw" and "ef_search" in settings
        collection.tune_vectors(ef_search=16)
        assert collection.vector_settings()[1]["ef_search"] == 16
        assert collection.search("Ceph storage", k=3)
        with pytest.raises(ValueError, match="no setting nprobe"):
            collection.tune_vectors(nprobe=8)


def test_speakers_within_filters(fake_index):
    from podquote.metadata import Filters

    with Collection.open(fake_index, embedder="fake") as collection:
        everyone = {row["value"]: row["count"] for row in collection.speakers()}
        english = {row["value"]: row["count"] for row in collection.speakers(Filters(lang="en"))}
        assert set(english) == {"Alice", "Bob"} and set(english) < set(everyone)
        assert all(english[name] == everyone[name] for name in english)  # their passages are all English
        assert everyone == {row["value"]: row["count"] for row in collection.facets()["speakers"]}
