"""Lexical search scores common query terms with numpy from kept postings: the same results as one FTS5 query."""

import random

import pytest

import search.metadata as metadata
from search.lexical import document_terms, fts_match, query_terms
from search.metadata import Filters, MetadataStore

WORDS = ("one like use kubernetes rook crossplane kubeedge server storage cluster bare metal operator "
         "开源 项目 社区 存储 云原生 边缘 计算").split()


@pytest.fixture
def store(tmp_path):
    rng = random.Random(7)
    store = MetadataStore(tmp_path / "p.sqlite")
    bodies = []
    for i in range(600):
        # a skewed vocabulary: the first words are in most passages, the last in a few
        text = " ".join(WORDS[min(int(rng.expovariate(0.25)), len(WORDS) - 1)] for _ in range(rng.randint(3, 30)))
        bodies.append(document_terms(text))
    store.add_terms(range(1000, 1000 + 7 * len(bodies), 7), bodies)
    store.commit()
    yield store
    store.close()


QUERIES = ["one like use", "why Rook on bare metal", "Crossplane operator for one cluster", "KubeEdge 开源 边缘计算",
           "开源项目的社区", "one", "storage", "云原生 存储 one like"]


@pytest.mark.parametrize("query", QUERIES)
def test_common_terms_scored_as_fts5_would(store, monkeypatch, query):
    match = fts_match(query_terms(query))
    monkeypatch.setattr(metadata, "COMMON_TERM_MIN", 10**9)  # every term rare: one FTS5 query
    expected = store.lexical(match, 50)
    for share_min in (0, 30, 100):  # some terms common, then more
        for merge_max in (0, 10**9):  # summed in an array of every passage, merged by sorting
            monkeypatch.setattr(metadata, "COMMON_TERM_SHARE", 0.0)
            monkeypatch.setattr(metadata, "COMMON_TERM_MIN", share_min)
            monkeypatch.setattr(metadata, "COMMON_MERGE_MAX", merge_max)
            found = store.lexical(match, 50)
            assert [v for v, _ in found] == [v for v, _ in expected]
            assert [s for _, s in found] == pytest.approx([s for _, s in expected], rel=1e-12)
    assert expected, query


def test_common_split_and_other_expressions(store, monkeypatch):
    monkeypatch.setattr(metadata, "COMMON_TERM_SHARE", 0.0)
    counts = {t: store._term_count(t, 10**9) for t in ("one", "计算")}
    assert counts["计算"] < counts["one"]
    monkeypatch.setattr(metadata, "COMMON_TERM_MIN", counts["计算"])
    rare, common = store._common_split(fts_match(["计算", "one"]))
    assert rare == ["计算"] and common == ["one"]
    assert store._common_split('"one" AND "rook"') is None  # not an OR of quoted terms: FTS5 as written
    assert store.lexical('"one" AND "rook"', 5) == store.lexical('"rook" AND "one"', 5)
    assert store.lexical(fts_match(["nowhere"]), 5) == []
    # filters keep the single FTS5 query
    assert store.lexical(fts_match(["one"]), 5, Filters(lang="zh")) == []


def test_kept_postings_are_bounded_and_dropped_on_writes(store, monkeypatch):
    monkeypatch.setattr(metadata, "COMMON_TERM_SHARE", 0.0)
    monkeypatch.setattr(metadata, "COMMON_TERM_MIN", 0)
    monkeypatch.setattr(metadata, "COMMON_POSTINGS_KEPT", 1)
    store.lexical(fts_match(["one", "like", "use"]), 10)
    assert len(store._postings) == 1
    store.add_terms([5], [document_terms("one one rook")])
    assert not store._postings and not store._term_counts
    assert 5 in dict(store.lexical(fts_match(["rook", "one"]), 1000))


def test_too_common_terms_are_dropped_unless_nothing_else_is_left(store, monkeypatch):
    monkeypatch.setattr(metadata, "COMMON_TERM_SHARE", 0.0)
    monkeypatch.setattr(metadata, "COMMON_TERM_MIN", 0)  # every term common
    counts = {t: store._term_count(t, 10**9) for t in ("one", "storage", "计算")}
    assert counts["计算"] < counts["storage"] < counts["one"]
    monkeypatch.setattr(metadata, "TOO_COMMON_SHARE", 0.0)
    monkeypatch.setattr(metadata, "TOO_COMMON_MIN", counts["storage"])  # "one" is too common to read
    assert store._common_split(fts_match(["one", "storage"])) == ([], ["storage"])
    assert store._common_split(fts_match(["one"])) == ([], ["one"])  # alone, it still finds something
    with_one = {v for v, _ in store.lexical(fts_match(["one", "计算"]), 1000)}
    assert with_one == {v for v, _ in store.lexical(fts_match(["计算"]), 1000)}
