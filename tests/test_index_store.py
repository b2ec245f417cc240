"""The index on disk: round trip, atomic generations, embedder checks, incremental updates."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from podquote import Collection, Filters, IndexMismatch, IndexNotFound, Passage, build_index
from podquote.adjacency import ADJACENCY_FILE
from podquote.fts_terms import DROP_LEXICON
from podquote.store import BUILDING_PREFIX, CURRENT, FORMAT_VERSION, MANIFEST_FILE, Manifest, current_generation
from podquote.metadata import MetadataStore


def test_round_trip_search_and_passage(fake_index):
    collection = Collection.open(fake_index)
    hits = collection.search("Ceph block file object storage", k=3)
    assert hits[0].passage.speaker == "Alice"
    assert hits[0].score >= hits[-1].score
    same = collection.passage(hits[0].passage.id)
    assert same == hits[0].passage
    assert len(collection) == collection.info()["passages"] > 20


def test_manifest_describes_the_index(fake_index):
    generation = current_generation(fake_index)
    manifest = json.loads((generation / MANIFEST_FILE).read_text())
    assert manifest["format"] == "podquote-index" and manifest["format_version"] == FORMAT_VERSION
    assert (manifest["embedder"], manifest["dimension"]) == ("fake", 256)
    assert manifest["counts"]["sources"] == 2 and manifest["counts"]["passages"] > 20
    assert set(manifest["files"]) >= {"passages.sqlite", "vectors.npy", "ids.npy"}
    assert all(len(f["sha256"]) == 64 and f["bytes"] > 0 for f in manifest["files"].values())
    assert manifest["built_at"] and manifest["podquote_version"]


def test_filters(fake_index):
    collection = Collection.open(fake_index)
    hits = collection.search("storage", k=10, filters=Filters(speaker="watts"))
    assert hits and {h.passage.speaker for h in hits} == {"Watts"}
    hits = collection.search("storage", k=10, filters=Filters(lang="en"))
    assert hits and {h.passage.lang for h in hits} == {"en"}
    source = hits[0].passage.source
    hits = collection.search("storage", k=10, filters=Filters(source=source))
    assert {h.passage.source for h in hits} == {source}
    assert collection.search("storage", k=5, filters=Filters(speaker="nobody")) == []


def test_ids_stable_across_reindex(tmp_path, sources, fake):
    first = tmp_path / "a"
    second = tmp_path / "b"
    build_index(first, [sources], embedder="fake")
    build_index(second, [sources], embedder="fake", fresh=True)
    ids = lambda root: sorted(h.passage.id for h in Collection.open(root).search("storage", k=50))
    assert ids(first) == ids(second)


def test_mismatched_embedder_is_refused_with_the_fix(fake_index):
    with pytest.raises(IndexMismatch) as error:
        Collection.open(fake_index, embedder="fake-32")
    message = str(error.value)
    assert "'fake'" in message and "'fake-32'" in message and "podquote index --fresh" in message


def test_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(IndexNotFound, match="podquote index"):
        Collection.open(tmp_path / "nothing")


def test_failed_build_leaves_served_index_untouched(fake_index, sources, monkeypatch):
    before = current_generation(fake_index)
    reader = Collection.open(fake_index)
    expected = [h.passage.id for h in reader.search("Rook storage", k=5)]
    (sources / "new.md").write_text("# New\n\n\"A brand new quote about storage appears here today,\" said Zed.\n")

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("podquote.store.writer.publish", broken)
    with pytest.raises(RuntimeError):
        build_index(fake_index, [sources], embedder="fake")
    assert current_generation(fake_index) == before
    assert not any(p.name.startswith(BUILDING_PREFIX) for p in fake_index.iterdir())
    assert [h.passage.id for h in Collection.open(fake_index).search("Rook storage", k=5)] == expected


def test_open_reader_keeps_working_across_a_swap(fake_index, sources):
    reader = Collection.open(fake_index)
    old = [h.passage.id for h in reader.search("Ceph storage", k=3)]
    (sources / "storage.md").unlink()
    build_index(fake_index, [sources], embedder="fake")
    build_index(fake_index, [sources], embedder="fake")  # two swaps: the reader's generation may be pruned
    assert [h.passage.id for h in reader.search("Ceph storage", k=3)] == old
    assert "Alice" not in {h.passage.speaker for h in Collection.open(fake_index).search("Ceph", k=10)}


def test_current_pointer_is_the_only_switch(fake_index):
    generations = sorted(p.name for p in fake_index.iterdir() if p.name.startswith("gen-"))
    assert (fake_index / CURRENT).read_text().strip() == generations[-1]


def test_unchanged_files_embed_nothing(fake_index, sources, fake):
    fake.calls.clear()
    served = current_generation(fake_index)
    report = build_index(fake_index, [sources], embedder="fake")
    assert report.passages_embedded == 0 and fake.embedded == 0
    assert report.files_unchanged == 2 and report.files_parsed == 0
    assert report.unchanged and report.generation == served == current_generation(fake_index)
    assert report.passages == Collection.open(fake_index).info()["passages"]


def test_an_index_without_language_counts_is_rewritten_from_its_parts(fake_index, sources, fake):
    """Written by an older podquote: `podquote index` writes it again, parsing and embedding nothing."""
    generation = current_generation(fake_index)
    manifest = Manifest.read(generation)
    languages = manifest.counts.pop("languages")
    manifest.write(generation)
    fake.calls.clear()
    report = build_index(fake_index, [sources], embedder="fake")
    assert not report.unchanged and report.files_parsed == 0 and fake.embedded == 0
    collection = Collection.open(fake_index)
    assert collection.manifest.counts["languages"] == languages == collection.metadata.counts_by("lang")


def test_an_index_without_lexicon_and_neighbours_searches_the_same_and_is_rewritten(fake_index, sources, fake):
    """Written before the lexicon (podquote.bm25) and adjacency.npy: it answers the same, reading both from
    SQLite, and `podquote index` writes them, parsing and embedding nothing."""
    queries = ["Ceph storage", "why Rook on bare metal", "who asked about snapshots?"]
    expected = [[(h.passage.id, round(h.score, 9)) for h in Collection.open(fake_index).search(q, k=10)]
                for q in queries]
    generation = current_generation(fake_index)
    manifest = Manifest.read(generation)
    common_terms = manifest.counts.pop("common_terms")
    (generation / ADJACENCY_FILE).unlink()
    with sqlite3.connect(generation / "passages.sqlite") as db:
        db.executescript(DROP_LEXICON)
    manifest.record_files(generation, [name for name in manifest.files if name != ADJACENCY_FILE])
    manifest.write(generation)
    old = Collection.open(fake_index)
    assert ADJACENCY_FILE not in old.manifest.files
    assert [[(h.passage.id, round(h.score, 9)) for h in old.search(q, k=10)] for q in queries] == expected
    fake.calls.clear()
    report = build_index(fake_index, [sources], embedder="fake")
    assert not report.unchanged and report.files_parsed == 0 and fake.embedded == 0
    new = Collection.open(fake_index)
    # the rewrite restores what the first build wrote: the neighbour table and the lexicon's token count
    assert ADJACENCY_FILE in new.manifest.files and (new.generation / ADJACENCY_FILE).exists()
    assert common_terms > 0 and new.manifest.counts["common_terms"] == common_terms
    assert np.array_equal(new.adjacency.table, old.adjacency.table)
    assert [[(h.passage.id, round(h.score, 9)) for h in new.search(q, k=10)] for q in queries] == expected


def test_a_new_index_type_is_a_change(fake_index, sources):
    report = build_index(fake_index, [sources], embedder="fake", index_type="hnsw")
    assert not report.unchanged and report.passages_embedded == 0
    assert Collection.open(fake_index).manifest.vector_store["type"] == "hnsw"


def test_changed_file_reembeds_only_new_text(fake_index, sources, fake):
    path = sources / "storage.md"
    path.write_text(path.read_text() + "\n\"Snapshots are cheap until you keep all of them forever,\" said Bob.\n")
    fake.calls.clear()
    report = build_index(fake_index, [sources], embedder="fake")
    assert report.files_parsed == 1 and report.files_unchanged == 1
    assert report.passages_embedded == 1
    hits = Collection.open(fake_index).search("snapshots cheap forever", k=1)
    assert hits[0].passage.speaker == "Bob"


def test_deleted_file_passages_are_removed(fake_index, sources):
    (sources / "storage.md").unlink()
    report = build_index(fake_index, [sources], embedder="fake")
    assert report.files_removed == 1
    collection = Collection.open(fake_index)
    assert not collection.search("Ceph", k=50, filters=Filters(speaker="Alice"))


def test_unreadable_file_is_reported_and_skipped(fake_index, sources):
    (sources / "binary.md").write_bytes(b"\x00\x01\x02 not text")
    (sources / "latin1.txt").write_bytes("caf\xe9 au lait, c'est bon".encode("latin-1"))
    (sources / "empty.md").write_text("")
    report = build_index(fake_index, [sources], embedder="fake")
    reasons = dict((path.rsplit("/", 1)[-1], reason) for path, reason in report.failed)
    assert "binary" in reasons["binary.md"]
    assert "empty" in reasons["empty.md"]
    assert "latin1.txt" not in reasons  # read as cp1252, with a warning (tests/test_messy_files.py)
    assert [(path.rsplit("/", 1)[-1], "cp1252" in w) for path, w in report.warnings] == [("latin1.txt", True)]
    assert report.files_unchanged == 2


def test_other_roots_are_kept_when_one_is_updated(fake_index, tmp_path, fake):
    other = tmp_path / "other"
    other.mkdir()
    (other / "talk.md").write_text("# Talk\n\n\"Gardening teaches patience better than any course,\" said Una.\n")
    build_index(fake_index, [other], embedder="fake")
    collection = Collection.open(fake_index)
    assert collection.search("gardening patience", k=1)[0].passage.speaker == "Una"
    assert collection.search("Ceph block storage", k=1)[0].passage.speaker == "Alice"


def test_vectors_are_normalised_float32(fake_index):
    generation = current_generation(fake_index)
    vectors = np.load(generation / "vectors.npy")
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


optional_text = st.one_of(st.none(), st.text(min_size=1, max_size=30))


@settings(max_examples=40, deadline=None)
@given(
    text=st.text(min_size=1, max_size=200),
    speaker=optional_text,
    start=st.one_of(st.none(), st.floats(min_value=0, max_value=1e5, allow_nan=False)),
    position=st.integers(min_value=0, max_value=10**6),
)
def test_passage_metadata_round_trip(tmp_path_factory, text, speaker, start, position):
    passage = Passage(source="s/x.md", position=position, text=text, kind="quote", speaker=speaker, start=start,
                      lang="en", char_start=1, char_end=2)
    store = MetadataStore(tmp_path_factory.mktemp("db") / "p.sqlite")
    store.add_passages([passage], ["h"])
    store.commit()
    assert store.by_id(passage.id) == passage
    store.close()


def test_new_readers_reread_unchanged_files_without_reembedding(fake_index, sources, fake, monkeypatch):
    from podquote import indexing

    monkeypatch.setattr(indexing, "READERS_VERSION", indexing.READERS_VERSION + 1)
    fake.calls.clear()
    report = build_index(fake_index, [sources], embedder="fake")
    assert report.files_parsed == 2 and report.files_unchanged == 0 and fake.embedded == 0
    assert Collection.open(fake_index).manifest.readers_version == indexing.READERS_VERSION


def test_a_file_emptied_of_passages_leaves_the_index(fake_index, sources):
    (sources / "storage.md").write_text("# Storage talk\n")
    report = build_index(fake_index, [sources], embedder="fake")
    assert report.files_removed == 1 and any("no passages" in reason for _, reason in report.failed)
    assert not Collection.open(fake_index).search("Ceph", k=50, filters=Filters(speaker="Alice"))
