"""Filters, highlights, context, near-duplicate collapsing and grouping, through the library, CLI and API."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from podquote import Collection, Filters, Passage, build_index
from podquote.api.app import create_app
from podquote.cli import app
from podquote.lexical import query_terms, words
from podquote.metadata import MetadataStore
from podquote.ranking import HAND_RANKING
from podquote.speakers import speaker_keys

REPEATS = (
    "# Repeats\n\n"
    "\"Erasure coding saves disk space compared with three full replicas of every object,\" said Ann Lee.\n\n"
    "\"Erasure coding saves disk space compared with three full replicas of every single object,\" said Ann Lee.\n\n"
    "\"Replication is simpler to operate when a disk fails at three in the morning,\" said Ben.\n"
)


@pytest.fixture
def repeats_index(tmp_path, sources, fake):
    (sources / "repeats.md").write_text(REPEATS, encoding="utf-8")
    root = tmp_path / "idx"
    build_index(root, [sources], embedder="fake")
    return root


def test_near_duplicates_collapse_into_one_hit(repeats_index):
    collection = Collection.open(repeats_index)
    hits = collection.search("erasure coding disk space replicas", k=5)
    ann = [h for h in hits if h.passage.speaker == "Ann Lee"]
    assert len(ann) == 1 and len(ann[0].collapsed) == 1
    assert ann[0].to_dict()["collapsed"] == [ann[0].collapsed[0].id]
    loose = collection.search("erasure coding disk space replicas", k=5, collapse_duplicates=False)
    assert sum(h.passage.speaker == "Ann Lee" for h in loose) == 2


def test_distinct_untimed_quotes_of_one_speaker_are_not_collapsed(repeats_index):
    hits = Collection.open(repeats_index).search("Watts storage Kubernetes hardware cluster", k=10)
    assert sum(h.passage.speaker == "Watts" for h in hits) >= 2


def test_highlight_is_the_matching_sentence(tmp_path, fake):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "a.md").write_text(
        "# A\n\n\"We moved our databases to bare metal last year. Latency dropped by half. The cloud bill "
        "went down too,\" said Cy.\n", encoding="utf-8")
    build_index(tmp_path / "idx", [folder], embedder="fake")
    hit = Collection.open(tmp_path / "idx").search("latency dropped half", k=1)[0]
    lo, hi = hit.highlight
    assert hit.passage.text[lo:hi] == "Latency dropped by half."


def test_speaker_filter_by_part_case_and_pinyin(tmp_path):
    store = MetadataStore(tmp_path / "p.sqlite")
    people = ["傅", "Jared Watts", "Alex Williams", None]
    passages = [Passage(source="s", position=i, text=f"t{i}", speaker=name, lang="en") for i, name in enumerate(people)]
    store.add_passages(passages, ["h"] * len(passages))
    store.commit()

    def speakers(value):
        rows = store.by_vids(store.vids_matching(Filters(speaker=value)))
        return sorted(p.speaker for p, _, _ in rows.values())

    assert speakers("watts") == ["Jared Watts"]
    assert speakers("JARED WATTS") == ["Jared Watts"]
    assert speakers("fu") == speakers("傅") == ["傅"]
    assert speakers("wat") == []  # a part of a name, not a substring of one
    assert speaker_keys("傅") == ("傅", "fu")


def test_date_and_show_filters(tmp_path):
    store = MetadataStore(tmp_path / "p.sqlite")
    passages = [
        Passage(source="a", position=0, text="x", date="2021-12-31", show="开源面对面", lang="zh"),
        Passage(source="b", position=0, text="y", date="2023-05-02", show="Ship It!", lang="en"),
        Passage(source="c", position=0, text="z", date=None, show="Ship It!", lang="en"),
    ]
    store.add_passages(passages, ["h1", "h2", "h3"])
    store.commit()

    def sources(**kwargs):
        return sorted(p.source for p, _, _ in store.by_vids(store.vids_matching(Filters(**kwargs))).values())

    assert sources(date_from="2022") == ["b"]
    assert sources(date_to="2021-12-31") == ["a"]
    assert sources(date_from="2021-12", date_to="2023-05") == ["a", "b"]
    assert sources(show="ship it!") == ["b", "c"]


def test_lexical_words_for_chinese_and_english():
    assert words("我认为 Rook 的亮点在于提供本地存储") == ["我", "认为", "rook", "的", "亮点", "在于", "提供", "本地", "存储"]
    assert query_terms("what is Crossplane") == ["crossplane"]
    assert "存储" in query_terms("Rook 怎么做存储")


def test_lexical_candidates_find_exact_names(fake_index):
    collection = Collection.open(fake_index)
    matches = collection.metadata.lexical('"lightwave"', 5)
    assert len(matches) == 1
    hits = collection.search("Lightwave", k=3)
    assert "Lightwave" in hits[0].passage.text


def test_api_filters_context_and_groups(repeats_index):
    with TestClient(create_app(repeats_index)) as client:
        data = client.get("/search", params={"q": "storage", "k": 10, "group": "episode", "context": 1}).json()
        assert data["groups"] and sum(len(g["hits"]) for g in data["groups"]) == len(data["hits"])
        assert all("context" in h and h["context"] is not None for h in data["hits"])
        episodes = [g["episode"] for g in data["groups"]]
        assert len(episodes) == len(set(episodes))
        only = client.get("/search", params={"q": "storage", "source": "sources/storage.md"}).json()["hits"]
        assert only and {h["source"] for h in only} == {"sources/storage.md"}
        assert client.get("/search", params={"q": "x", "date_from": "last week"}).status_code == 422
        assert client.get("/search", params={"q": "x", "group": "speaker"}).status_code == 422
        loose = client.get("/search", params={"q": "erasure coding disk", "collapse": "false"}).json()["hits"]
        assert sum(h["speaker"] == "Ann Lee" for h in loose) == 2


def test_cli_context_group_and_dates(repeats_index):
    runner = CliRunner()
    result = runner.invoke(app, ["search", "erasure coding", "--index", str(repeats_index), "--json", "--group",
                                 "--context", "1"])
    data = json.loads(result.stdout)
    assert data["groups"][0]["hits"][0]["context"]["after"] or data["groups"][0]["hits"][0]["context"]["before"]
    result = runner.invoke(app, ["search", "erasure coding", "--index", str(repeats_index), "--group", "--context", "1"])
    assert result.exit_code == 0 and "Repeats" in result.output and "more from the same moment" in result.output
    result = runner.invoke(app, ["search", "x", "--index", str(repeats_index), "--from", "yesterday"])
    assert result.exit_code == 2 and "not a date" in result.output


def _bilingual_archive(folder):
    """Sixty English turns that all talk about bare metal, and a dozen Chinese ones, one of them on Rook."""
    folder.mkdir()
    english = "\n\n".join(f"**Host {i}:** We ran our servers on bare metal in rack {i}, and metal racks "
                          f"need care." for i in range(60))
    (folder / "archive.md").write_text(f"# Bare metal stories\n\n{english}\n", encoding="utf-8")
    chinese = [f"第{i}期节目聊了开源社区的运营经验和活动组织。" for i in range(11)]
    chinese.insert(5, "我认为 Rook 的亮点在于 bare metal：提供本地存储，在自己的硬件上运行。")
    (folder / "zh.md").write_text("# 开源访谈\n\n" + "\n\n".join(chinese) + "\n", encoding="utf-8")


def test_a_small_language_is_not_buried_by_a_large_one(tmp_path, fake):
    """Hand-set ranking, point 7: the Chinese quote on Rook makes the top 10 over sixty English near misses,
    which bury it without the balance."""
    _bilingual_archive(tmp_path / "s")
    build_index(tmp_path / "idx", [tmp_path / "s"], embedder="fake")
    collection = Collection.open(tmp_path / "idx")
    query = "why Rook on bare metal"

    def rank_of_rook(hits):
        return next((i for i, h in enumerate(hits) if "Rook" in h.passage.text), None)

    balanced = collection.search(query, k=10, ranking=HAND_RANKING)
    unbalanced = collection.search(query, k=10, ranking=HAND_RANKING.with_(language_balance=0.0))
    assert rank_of_rook(balanced) is not None
    assert rank_of_rook(unbalanced) is None
    # Asked for English only, nothing else comes in.
    assert {h.passage.lang for h in collection.search(query, k=10, filters=Filters(lang="en"))} == {"en"}


def test_the_turn_answering_a_matching_question_ranks_above_it(tmp_path, fake):
    """Hand-set ranking, point 6: the host's "Why Crossplane?" matches by its first sentence; the guest's reply
    inherits that sentence's match (not the whole rambling turn's) and ranks above the question."""
    folder = tmp_path / "s"
    folder.mkdir()
    turns = [
        "**Ann Host:** Why Crossplane? I keep hearing the name at every conference, in every hallway and on every "
        "panel, so what is it, really?",
        "**Ben Guest:** It gives platform teams a single control plane for cloud resources, managed the way "
        "Kubernetes manages pods.",
        "**Ann Host:** Before we go on, a word about lunch near the venue: the noodle place on the corner is good.",
    ]
    (folder / "episode.md").write_text("# Episode 1\n\n" + "\n\n".join(turns) + "\n", encoding="utf-8")
    build_index(tmp_path / "idx", [folder], embedder="fake")
    collection = Collection.open(tmp_path / "idx")
    hits = collection.search("why crossplane", k=3, ranking=HAND_RANKING)
    assert [h.passage.speaker for h in hits[:2]] == ["Ben Guest", "Ann Host"]
    assert hits[0].passage.text.startswith("It gives platform teams")
    plain = collection.search("why crossplane", k=3, ranking=HAND_RANKING.with_(answer_weight=0.0))
    assert plain[0].passage.speaker == "Ann Host"
