"""The learned ranking and what it reads: the ranker file, names in questions, keyword queries, translations.

Small real excerpts come from ../shared/corpus at test time (The Podlets, Apache-2.0), cut into a temporary folder;
nothing of the corpus is copied into the project.
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from podquote import Collection, build_index
from podquote.expansion import EXPANSION_WEIGHT
from podquote.vocabulary import Vocabulary
from podquote.features import FEATURES, best_sentences, extract
from podquote.store import Manifest, current_generation
from podquote.people import People, is_self_introduction
from podquote.question import analyse, is_keyword
from podquote.ranker import RANKER_FILE, RankerError, load_ranker
from podquote.ranking import DEFAULT_RANKING

from helpers import BUILTIN, CORPUS

JOE_BEDA = CORPUS / "thepodlets" / "site" / "_episodes" / "006-joe-beda.md"


def joe_beda_excerpt(folder):
    """The episode's front matter and its first turns up to the etcd answer (lines 1-190 of the file)."""
    folder.mkdir(exist_ok=True)
    lines = JOE_BEDA.read_text(encoding="utf-8").splitlines()[:190]
    (folder / "006-joe-beda.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_the_shipped_ranker_loads_and_scores_every_feature():
    ranker = load_ranker()
    assert ranker.features == FEATURES
    scores = ranker.score(np.zeros((3, len(FEATURES)), dtype=np.float32))
    assert scores.shape == (3,) and np.all(np.isfinite(scores))
    about = json.loads(RANKER_FILE.read_text(encoding="utf-8"))["about"]
    assert about["command"].startswith("scripts/train_ranker.py") and about["questions"] >= 250


@pytest.mark.parametrize("change, message", [
    ({"version": 99}, "version 99"),
    ({"format": "something-else"}, "not a podquote ranker"),
    ({"features": list(FEATURES[:-1])}, "other features"),
    ({"weights": [1.0]}, "damaged"),
])
def test_a_ranker_file_that_does_not_fit_is_refused_with_the_fix(tmp_path, change, message):
    data = {**json.loads(RANKER_FILE.read_text(encoding="utf-8")), **change}
    path = tmp_path / "ranker.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(RankerError, match=message) as caught:
        load_ranker(path)
    assert "scripts/train_ranker.py" in str(caught.value) or "damaged" in message or "not a" in message


def test_the_manifest_records_the_ranker_it_was_built_with(fake_index):
    manifest = Manifest.read(current_generation(fake_index))
    assert manifest.ranker["file"] == "ranker.json" and manifest.ranker["version"] == 1
    assert len(manifest.ranker["sha256"]) == 64


def test_names_in_questions_favour_the_person_not_their_self_introduction(tmp_path, fake):
    build_index(tmp_path / "idx", [joe_beda_excerpt(tmp_path / "s")], embedder="fake")
    collection = Collection.open(tmp_path / "idx")
    query = "would Joe Beda choose etcd again for Kubernetes"
    retrieved = collection.retrieve(query, None, DEFAULT_RANKING)
    assert {"joe", "beda"} <= retrieved.context.named
    matrix = extract(retrieved.context, retrieved.candidates,
                     best_sentences(retrieved.candidates, collection.sentences, retrieved.vector))
    rows = {c.passage.text[:40]: row for c, row in zip(retrieved.candidates, matrix)}
    intro = next(row for text, row in rows.items() if text.startswith("Yeah, sure. I'm Joe Beda"))
    answer = next(row for text, row in rows.items() if text.startswith("I think etcd is a good fit"))
    named, introduced = FEATURES.index("speaker_named"), FEATURES.index("intro_named")
    assert (intro[named], intro[introduced]) == (0.0, 1.0)
    assert (answer[named], answer[introduced]) == (1.0, 0.0)
    texts = [h.passage.text for h in collection.search(query, k=30, collapse_duplicates=False)]
    answer = next(i for i, t in enumerate(texts) if t.startswith("I think etcd is a good fit"))
    intro = next((i for i, t in enumerate(texts) if t.startswith("Yeah, sure. I'm Joe Beda")), len(texts))
    assert answer < intro


def test_a_keyword_query_returns_the_passages_that_hold_it_first(tmp_path, fake):
    build_index(tmp_path / "idx", [joe_beda_excerpt(tmp_path / "s")], embedder="fake")
    collection = Collection.open(tmp_path / "idx")
    holding = sum("etcd" in text.lower() for (text,) in collection.metadata.db.execute("SELECT text FROM passages"))
    assert holding >= 2
    held = ["etcd" in h.passage.text.lower() for h in collection.search("etcd", k=10)]
    # Every hit holding it comes before any that doesn't (hits of one moment are folded into one: fewer hits).
    assert sum(held) >= 2 and held == sorted(held, reverse=True)


def test_self_introductions_and_names():
    assert is_self_introduction("Yeah, sure. I'm Joe Beda. I was one of the founders of Kubernetes", "Joe Beda")
    assert not is_self_introduction("I think etcd is a good fit.", "Joe Beda")
    assert not is_self_introduction("I'm sure Joe would agree.", "Carlisia Thompson")
    people = People.of_names(["Joe Beda", "傅", "Jared Watts", "CC"])
    assert people.named("What did Fu say about VMware?", analyse("What did Fu say about VMware?").words) == {"fu"}
    question = analyse("傅为什么强调要把内部的创新转化出来？")
    assert people.named(question.text, question.words) == {"傅"}
    assert people.named("what does cc think", analyse("what does cc think").words) == frozenset()  # initials


@pytest.mark.parametrize("query, keyword", [
    ("etcd", True), ("Leslie Lamport", True), ("服务网格", True), ("why Rook on bare metal", False),
    ("What is Crossplane?", False), ("Joe Beda 怎么看 etcd", False),
])
def test_keyword_queries_are_told_from_questions(query, keyword):
    assert is_keyword(query, analyse(query).terms) is keyword


def _vocabulary(vectors: dict[str, list[float]]) -> Vocabulary:
    words = list(vectors)
    matrix = np.array([vectors[w] for w in words], dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return Vocabulary(words, np.array([any("\u4e00" <= ch <= "\u9fff" for ch in w) for w in words]),
                      np.ones(len(words), dtype=np.int64), matrix.astype(np.float16))


def test_translations_are_mutual_nearest_words():
    """存储 and "storage" are each other's nearest word across scripts: a translation. 而言 is "etcd"'s nearest
    Han word, but three English words are nearer to 而言 than "etcd" is: not a translation."""
    vocabulary = _vocabulary({
        "storage": [1, 0, 0, 0], "存储": [0.95, 0.05, 0, 0],
        "etcd": [0, 1, 0.5, 0], "而言": [0, 0.6, 1, 0],
        "regard": [0, 0.5, 1, 0], "terms": [0, 0.52, 1, 0.02], "respect": [0, 0.55, 1, 0.05],
    })
    targets, _ = vocabulary.targets()
    found = dict(zip(vocabulary.words, targets))
    assert [w for w, _ in found["storage"]] == ["存储"] and [w for w, _ in found["存储"]][0] == "storage"
    assert "而言" not in [w for w, _ in found["etcd"]]


@pytest.mark.model
def test_the_real_model_translates_the_index_s_words_both_ways(tmp_path):
    """English and Chinese excerpts (a Changelog talk on Prometheus storage and the built-in article) in one
    index with USE-m3: 存储 is a translation of "storage" and back, weighed below the word itself."""
    folder = tmp_path / "s"
    folder.mkdir()
    episode = CORPUS / "thechangelog-transcripts" / "podcast" / "the-changelog-375.md"
    lines = episode.read_text(encoding="utf-8").splitlines()[90:200]  # the Prometheus storage talk
    (folder / "the-changelog-375.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "kubecon.md").write_text(BUILTIN.read_text(encoding="utf-8"), encoding="utf-8")
    build_index(tmp_path / "idx", [folder])
    expander = Collection.open(tmp_path / "idx").expander
    english = expander.translations(["storage"], {})
    assert "存储" in english and all(w <= EXPANSION_WEIGHT for w, _ in english.values())
    assert "storage" in expander.translations(["存储"], {})


def test_count_words_counts_each_passage_once_and_pairs_neighbours():
    from podquote.vocabulary import count_words

    counts = count_words(["Cold start, cold start everywhere.", "A cold start is slow.", "存储和存储"])
    assert counts["cold"] == 2 and counts["cold start"] == 2 and counts["存储"] == 1
    assert isinstance(counts, Counter)
