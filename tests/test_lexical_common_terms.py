"""Lexical search scores common query terms with numpy from kept postings: the same results as one FTS5 query,
whether the postings come from the lexicon written with the index or from FTS5 on first use."""

import random

import numpy as np
import pytest

import podquote.bm25 as bm25
from podquote.fts_terms import Tokenizer
from podquote.lexical import document_terms, fts_match, query_terms
from podquote.metadata import Filters, MetadataStore

WORDS = ("one like use kubernetes rook crossplane kubeedge server storage cluster bare metal operator "
         "deploying deploy deployed agree agreed 开源 项目 社区 存储 云原生 边缘 计算").split()


def make_store(path, with_lexicon: bool) -> MetadataStore:
    rng = random.Random(7)
    store = MetadataStore(path)
    bodies = []
    for i in range(600):
        # a skewed vocabulary: the first words are in most passages, the last in a few
        text = " ".join(WORDS[min(int(rng.expovariate(0.2)), len(WORDS) - 1)] for _ in range(rng.randint(3, 30)))
        bodies.append(document_terms(text))
    store.add_terms(range(1000, 1000 + 7 * len(bodies), 7), bodies)
    store.with_lexicon = with_lexicon
    store.commit()
    return store


@pytest.fixture(params=["lexicon", "first use"])
def store(tmp_path, request):
    store = make_store(tmp_path / "p.sqlite", request.param == "lexicon")
    yield store
    store.close()


def rewrite_lexicon(store):
    """The lexicon is written with the thresholds of the moment, as `podquote index` does."""
    if store.with_lexicon:
        store.db.execute("DELETE FROM passages")  # the fixture has terms only: count them as passages
        store.db.executemany("INSERT INTO passages (vid, id, row, source, position, text, kind, lang, char_start, "
                             "char_end, content_hash) VALUES (?, ?, 0, 's', 0, '', 'turn', 'en', 0, 0, '')",
                             [(v, str(v)) for (v,) in store.db.execute("SELECT id FROM passages_fts_docsize")])
        store.write_lexicon()


QUERIES = ["one like use", "why Rook on bare metal", "rook bare_metal", "Crossplane operator for one cluster", "KubeEdge 开源 边缘计算",
           "开源项目的社区", "one", "storage", "云原生 存储 one like", "deploying agreed", "deploy agree"]


@pytest.mark.parametrize("query", QUERIES)
def test_common_terms_scored_as_fts5_would(store, monkeypatch, query):
    match = fts_match(query_terms(query))
    rewrite_lexicon(store)
    expected = store.db.execute(  # one FTS5 query scores them all; equal scores in vid order
        "SELECT rowid, -bm25(passages_fts) FROM passages_fts WHERE passages_fts MATCH ? "
        "ORDER BY bm25(passages_fts), rowid LIMIT 50", (match,)).fetchall()
    for share_min in (0, 30, 100):  # some terms common, then more
        monkeypatch.setattr(bm25, "COMMON_TERM_SHARE", 0.0)
        monkeypatch.setattr(bm25, "COMMON_TERM_MIN", share_min)
        rewrite_lexicon(store)
        for merge_max in (0, 10**9):  # summed in an array of every passage, merged by sorting
            monkeypatch.setattr(bm25, "COMMON_MERGE_MAX", merge_max)
            found = store.lexical(match, 50)
            assert [v for v, _ in found] == [v for v, _ in expected]
            assert [s for _, s in found] == pytest.approx([s for _, s in expected], rel=1e-12)
    assert expected, query


def test_lexicon_holds_every_common_token_with_fts5_shares(tmp_path, monkeypatch):
    store = MetadataStore(tmp_path / "p.sqlite")
    store.add_terms(range(len(WORDS) * 3), [document_terms(" ".join(WORDS[i % len(WORDS):])) for i in
                                            range(len(WORDS) * 3)])
    store.with_lexicon = True
    monkeypatch.setattr(bm25, "COMMON_TERM_SHARE", 0.0)
    monkeypatch.setattr(bm25, "COMMON_TERM_MIN", 0)
    rewrite_lexicon(store)
    rows = store.db.execute("SELECT token, passages, slots FROM lexicon").fetchall()
    tokens = {token for token, _, _ in rows}
    assert {"deploi", "agre", "kubernet", "开源"} <= tokens  # stems that are not their own stem included
    assert all(slots is not None for _, _, slots in rows)  # a word that stems to each was found
    every = np.frombuffer(store.db.execute("SELECT vids FROM lexicon_vids").fetchone()[0], dtype=np.int64)
    for token, n, slots in rows:
        assert len(slots) == 4 * n
        vids = every[np.frombuffer(slots, dtype=np.int32)]
        assert vids.tolist() == [v for (v,) in store.db.execute(
            "SELECT rowid FROM passages_fts WHERE passages_fts MATCH ? ORDER BY rowid", (f'"{token}"',))] or \
            token in {"deploi", "agre"}  # a stem searched as itself finds other words: its word was searched
    assert store.lexical(fts_match(["deployed"]), 100) == [
        (vid, pytest.approx(share)) for vid, share in store.db.execute(
            "SELECT rowid, -bm25(passages_fts) FROM passages_fts WHERE passages_fts MATCH 'deployed' "
            "ORDER BY bm25(passages_fts), rowid")]
    store.add_terms([10**6], [document_terms("deployed")])  # the lexicon no longer holds every passage: gone
    assert store.db.execute("SELECT name FROM sqlite_master WHERE name LIKE 'lexicon%'").fetchall() == []
    store.close()


def test_tokenizer_is_fts5s():
    assert Tokenizer().tokens(["deploying", "We're", "Café", "容器", "k8s"]) == [
        ["deploi"], ["we", "re"], ["cafe"], ["容器"], ["k8"]]


def test_common_split_and_other_expressions(store, monkeypatch):
    monkeypatch.setattr(bm25, "COMMON_TERM_SHARE", 0.0)
    counts = {t: store._bm25._term_count(t, 10**9) for t in ("one", "计算")}
    assert counts["计算"] < counts["one"]
    monkeypatch.setattr(bm25, "COMMON_TERM_MIN", counts["计算"])
    rewrite_lexicon(store)
    store._bm25._term_counts.clear()
    rare, common = store._bm25._common_split(fts_match(["计算", "one", "nowhere", "we're"]))
    # "we're" is the phrase "we re" to FTS5, in no passage; with a lexicon every word's shares are there, and
    # FTS5 scores only what has none
    if store.with_lexicon:
        assert rare == ["nowhere", "we're"] and common == ["计算", "one"]
    else:
        assert rare == ["计算", "nowhere", "we're"] and common == ["one"]
    assert store._bm25._common_split('"one" AND "rook"') is None  # not an OR of quoted terms: FTS5 as written
    assert store.lexical('"one" AND "rook"', 5) == store.lexical('"rook" AND "one"', 5)
    assert store.lexical(fts_match(["nowhere"]), 5) == []
    # filters keep the single FTS5 query
    assert store.lexical(fts_match(["one"]), 5, Filters(lang="zh")) == []


def test_kept_postings_are_bounded_and_dropped_on_writes(store, monkeypatch):
    monkeypatch.setattr(bm25, "COMMON_TERM_SHARE", 0.0)
    monkeypatch.setattr(bm25, "COMMON_TERM_MIN", 0)
    monkeypatch.setattr(bm25, "COMMON_POSTINGS_KEPT", 1)
    rewrite_lexicon(store)
    store.lexical(fts_match(["one", "like", "use"]), 10)
    assert len(store._bm25._postings) == 1
    store.add_terms([5], [document_terms("one one rook")])
    assert not store._bm25._postings and not store._bm25._term_counts
    assert 5 in dict(store.lexical(fts_match(["rook", "one"]), 1000))


def test_too_common_terms_are_dropped_unless_nothing_else_is_left(store, monkeypatch):
    monkeypatch.setattr(bm25, "COMMON_TERM_SHARE", 0.0)
    monkeypatch.setattr(bm25, "COMMON_TERM_MIN", 0)  # every term common
    counts = {t: store._bm25._term_count(t, 10**9) for t in ("one", "storage", "计算")}
    assert counts["计算"] < counts["storage"] < counts["one"]
    monkeypatch.setattr(bm25, "TOO_COMMON_SHARE", 0.0)
    monkeypatch.setattr(bm25, "TOO_COMMON_MIN", counts["storage"])  # "one" is too common to read
    rewrite_lexicon(store)
    store._bm25._term_counts.clear()
    assert store._bm25._common_split(fts_match(["one", "storage"])) == ([], ["storage"])
    assert store._bm25._common_split(fts_match(["one"])) == ([], ["one"])  # alone, it still finds something
    with_one = {v for v, _ in store.lexical(fts_match(["one", "计算"]), 1000)}
    assert with_one == {v for v, _ in store.lexical(fts_match(["计算"]), 1000)}


@pytest.mark.parametrize("limit", [1, 3, 50])
def test_queries_in_a_row_share_one_cleared_sum_array(store, monkeypatch, limit):
    """The array of every passage that sums common terms is kept between queries: each query must leave it as it
    found it, all zeros, and get FTS5's top `limit` (with ties) whatever ran before it."""
    monkeypatch.setattr(bm25, "COMMON_MERGE_MAX", 0)
    rewrite_lexicon(store)
    for query in QUERIES * 2:
        match = fts_match(query_terms(query))
        expected = store.db.execute(
            "SELECT rowid, -bm25(passages_fts) FROM passages_fts WHERE passages_fts MATCH ? "
            "ORDER BY bm25(passages_fts), rowid", (match,)).fetchall()
        found = store.lexical(match, limit)
        cut = expected[min(limit, len(expected)) - 1][1]
        wanted = [(v, s) for v, s in expected if s >= cut - 1e-12 * abs(cut)][:limit]
        assert [v for v, _ in found] == [v for v, _ in wanted], query
        assert [s for _, s in found] == pytest.approx([s for _, s in wanted], rel=1e-12)
        sums = store._bm25._sums
        assert sums is not None and not sums.any()


def test_a_lexicon_written_before_slots_is_still_read(tmp_path, monkeypatch):
    """Indexes written before the lexicon held slots hold each word's vids: same results, slots found per query."""
    monkeypatch.setattr(bm25, "COMMON_MERGE_MAX", 0)
    store = make_store(tmp_path / "p.sqlite", with_lexicon=True)
    rewrite_lexicon(store)
    queries = [fts_match(query_terms(q)) for q in QUERIES]
    current = [store.lexical(q, 20) for q in queries]
    every = np.frombuffer(store.db.execute("SELECT vids FROM lexicon_vids").fetchone()[0], dtype=np.int64)
    old = [(token, n, None if slots is None else every[np.frombuffer(slots, dtype=np.int32)].tobytes(), shares)
           for token, n, slots, shares in store.db.execute("SELECT * FROM lexicon")]
    store.db.executescript("DROP TABLE lexicon; CREATE TABLE lexicon (token TEXT PRIMARY KEY, passages INTEGER "
                           "NOT NULL, vids BLOB, shares BLOB);")
    store.db.executemany("INSERT INTO lexicon VALUES (?, ?, ?, ?)", old)
    store._bm25 = bm25.LexicalIndex(store.db)
    assert [store.lexical(q, 20) for q in queries] == current
    assert store._bm25._postings_column == "vids"
    assert all(current), "every query found passages"
    store.close()
