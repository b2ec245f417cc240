"""The Milvus backend wired into podquote: chosen by a setting, pushed incrementally by `podquote index`, opened by
`Collection.open` from the manifest, rebuilt from the index when the collection is lost. On milvus-lite, and the
incremental, reconcile and rebuild paths on the real server too (marked `milvus_server`)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from podquote import Collection, Filters, IndexCorrupt, PodquoteError, build_index
from podquote.cli import app
from podquote.store import MANIFEST_FILE, current_generation
from podquote.metadata import MetadataStore
from podquote.vectors import VectorTarget, choose_target, default_collection
from podquote.vectors.milvus_fields import filter_expression, milvus_literal
from podquote.vectors.milvus_store import CONSISTENCY_LEVEL, MilvusStore, milvus_uri
from podquote.vectors.sync import PENDING_FILE

QUERIES = ["Ceph block file object storage", "Rook storage bare metal", "backups forget"]


@pytest.fixture
def lite(tmp_path) -> str:
    return str(tmp_path / "vectors" / "podquote-milvus.db")


@pytest.fixture(params=["milvus-lite", pytest.param("milvus-server", marks=pytest.mark.milvus_server)])
def milvus(request, tmp_path) -> str:
    """PODQUOTE_VECTOR_STORE for a milvus-lite file, or for the real server (conftest's `milvus_server`)."""
    if request.param == "milvus-lite":
        return str(tmp_path / "vectors" / "podquote-milvus.db")
    return "milvus://" + request.getfixturevalue("milvus_server").uri.removeprefix("http://")


def manifest_of(root) -> dict:
    return json.loads((current_generation(root) / MANIFEST_FILE).read_text())


def top_ids(root, query, k=5, filters=None):
    collection = Collection.open(root)
    try:
        return [h.passage.id for h in collection.search(query, k=k, filters=filters)]
    finally:
        collection.close()


def test_milvus_index_answers_like_faiss(tmp_path, sources, fake, lite):
    faiss_root, milvus_root = tmp_path / "faiss", tmp_path / "milvus"
    build_index(faiss_root, [sources], embedder="fake")
    report = build_index(milvus_root, [sources], embedder="fake", vector_store=lite)
    info = manifest_of(milvus_root)["vector_store"]
    assert info["backend"] == "milvus" and info["uri"] == lite and info["consistency_level"] == CONSISTENCY_LEVEL
    assert info["collection"] == default_collection(milvus_root) and info["count"] == report.passages
    assert report.vector_sync.mode == "rebuild" and report.vector_sync.upserted == report.passages
    # the generation keeps what a rebuild needs, and no FAISS index of its own
    assert {"vectors.npy", "ids.npy", "passages.sqlite"} <= set(manifest_of(milvus_root)["files"])
    for query in QUERIES:
        assert top_ids(milvus_root, query)[:3] == top_ids(faiss_root, query)[:3]
    collection = Collection.open(milvus_root)
    try:
        assert isinstance(collection.vectors, MilvusStore) and len(collection) == report.passages
        hits = collection.search("storage", k=10, filters=Filters(speaker="watts"))
        assert hits and {h.passage.speaker for h in hits} == {"Watts"}
        hits = collection.search("storage", k=10, filters=Filters(lang="en"))
        assert hits and {h.passage.lang for h in hits} == {"en"}
        assert collection.search("storage", k=5, filters=Filters(speaker="nobody")) == []
        assert collection.info()["vector_store"]["backend"] == "milvus"
    finally:
        collection.close()


def test_reindex_pushes_only_what_changed(tmp_path, sources, fake, milvus):
    root = tmp_path / "index"
    first = build_index(root, [sources], embedder="fake", vector_store=milvus)
    again = build_index(root, embedder="fake")  # no setting: the index keeps its backend
    assert (again.vector_sync.mode, again.vector_sync.upserted, again.vector_sync.deleted) == ("incremental", 0, 0)
    storage = (sources / "storage.md").read_text()
    (sources / "storage.md").write_text(storage.replace("commodity disks", "commodity disks and NVMe"))
    (sources / "new.md").write_text("# New\n\n\"Vitess shards MySQL for you, and it is boring in a good way,\" "
                                    "said Zed.\n")
    (sources / "kubecon.md").unlink()
    report = build_index(root, embedder="fake")
    sync = report.vector_sync
    kubecon = first.passages - 2  # storage.md has two passages
    assert sync.mode == "incremental"
    assert sync.deleted == kubecon
    assert sync.upserted == 2  # the changed Ceph quote and Zed's new one; Bob's unchanged quote is left alone
    assert sync.count == report.passages == 3
    hits = top_ids(root, "Vitess shards MySQL", k=1)
    collection = Collection.open(root)
    try:
        assert collection.passage(hits[0]).speaker == "Zed"
        assert "NVMe" in collection.search("Ceph commodity disks NVMe", k=1)[0].passage.text
        assert all(h.passage.source != "kubecon.md" for h in collection.search("Rook storage", k=10))
        _, ids = collection.vectors.search(np.ones((1, 256), np.float32) / 16, 10)
        assert len([i for i in ids[0] if i >= 0]) == 3
    finally:
        collection.close()
    assert not (root / PENDING_FILE).exists()


def test_lost_collection_names_the_fix_and_index_rebuilds_it(tmp_path, sources, fake, milvus):
    root = tmp_path / "index"
    build_index(root, [sources], embedder="fake", vector_store=milvus)
    info = manifest_of(root)["vector_store"]
    store = MilvusStore.connect(milvus_uri(milvus), info["collection"], 256)
    store.drop()
    store.close()
    with pytest.raises(IndexCorrupt, match="--rebuild-vectors") as error:
        Collection.open(root)
    assert "does not exist" in str(error.value)
    fake.calls.clear()
    report = build_index(root, embedder="fake")
    assert report.vector_sync.mode == "rebuild" and fake.embedded == 0  # vectors come from the index, not the model
    assert top_ids(root, "Ceph block file object storage", k=1)


def test_rebuild_vectors_command(tmp_path, sources, fake, lite, monkeypatch):
    root = tmp_path / "index"
    build_index(root, [sources], embedder="fake", vector_store=lite)
    before = top_ids(root, "Rook storage bare metal")
    fake.calls.clear()
    monkeypatch.setenv("PODQUOTE_VECTOR_STORE", lite)
    result = CliRunner().invoke(app, ["index", "--index", str(root), "--rebuild-vectors"])
    assert result.exit_code == 0, result.output
    assert "vectors: milvus rebuild" in result.stdout and "--rebuild-vectors" in result.stdout
    assert fake.embedded == 0
    assert top_ids(root, "Rook storage bare metal") == before


def test_collection_ahead_of_the_index_is_reconciled(tmp_path, sources, fake, milvus):
    root = tmp_path / "index"
    first = build_index(root, [sources], embedder="fake", vector_store=milvus)
    info = manifest_of(root)["vector_store"]
    store = MilvusStore.connect(milvus_uri(milvus), info["collection"], 256)
    store.add(np.array([42, 43]), np.eye(2, 256, dtype=np.float32))  # e.g. a build that died before publishing
    store.close()
    report = build_index(root, embedder="fake")
    assert report.vector_sync.mode == "reconcile" and report.vector_sync.deleted == 2
    assert report.vector_sync.count == first.passages
    (root / PENDING_FILE).write_text("{}")  # a build stopped between writing to Milvus and publishing
    report = build_index(root, embedder="fake")
    assert report.vector_sync.mode == "reconcile" and "stopped before publishing" in report.vector_sync.reasons[0]
    assert not (root / PENDING_FILE).exists()


def test_an_existing_faiss_index_moves_to_milvus_without_embedding(tmp_path, sources, fake, lite):
    root = tmp_path / "index"
    build_index(root, [sources], embedder="fake")
    before = top_ids(root, "Ceph block file object storage")
    fake.calls.clear()
    report = build_index(root, embedder="fake", vector_store=lite)
    assert report.vector_sync.mode == "rebuild" and fake.embedded == 0
    assert manifest_of(root)["vector_store"]["backend"] == "milvus"
    assert top_ids(root, "Ceph block file object storage")[:3] == before[:3]
    report = build_index(root, embedder="fake", vector_store="faiss")  # and back
    assert report.vector_sync is None and manifest_of(root)["vector_store"]["backend"] == "faiss"
    assert top_ids(root, "Ceph block file object storage")[:3] == before[:3]


def test_a_collection_podquote_did_not_make_is_never_dropped(tmp_path, sources, fake, lite, monkeypatch):
    from pymilvus import MilvusClient

    Path(lite).parent.mkdir()
    client = MilvusClient(uri=lite)
    client.create_collection("theirs", dimension=8)
    client.insert("theirs", [{"id": 1, "vector": [0.5] * 8}])
    monkeypatch.setenv("PODQUOTE_VECTOR_COLLECTION", "theirs")
    with pytest.raises(PodquoteError, match="not made by podquote"):
        build_index(tmp_path / "index", [sources], embedder="fake", vector_store=lite, rebuild_vectors=True)
    assert client.query("theirs", filter="", output_fields=["count(*)"])[0]["count(*)"] == 1
    client.close()


def test_the_setting(tmp_path):
    root = tmp_path / "index"
    assert choose_target(root, None, None, None) == VectorTarget()
    assert choose_target(root, "faiss", None, None) == VectorTarget()
    server = choose_target(root, "milvus://milvus.internal:19530", None, None)
    assert server == VectorTarget("milvus", "http://milvus.internal:19530", default_collection(root))
    lite = choose_target(root, "pq.db", "my_vectors", None)
    assert lite.uri.endswith("/pq.db") and lite.uri.startswith("/") and lite.collection == "my_vectors"
    assert choose_target(root, None, None, {"backend": "milvus", "uri": "x.db", "collection": "c"}).collection == "c"
    with pytest.raises(PodquoteError, match=r"\.db"):
        choose_target(root, "milvus-vectors", None, None)
    with pytest.raises(PodquoteError, match="collection name"):
        choose_target(root, "pq.db", "1-bad name", None)


def test_filter_literals_escape_and_fall_back(tmp_path):
    assert milvus_literal('say "hi"') == '"say \\"hi\\""'
    assert milvus_literal("C:\\pods") == '"C:\\\\pods"'
    assert milvus_literal("a\nb\tc") == '"a\\nb\\tc"'
    assert milvus_literal("傅") == '"傅"'
    assert milvus_literal("bell\x07") is None
    assert filter_expression(Filters(speaker="Jared  Watts", show="The Changelog")) == (
        'array_contains(speaker_keys, "jared watts") and show == "the changelog"')
    assert filter_expression(Filters(source="x\x01y")) is None
    metadata = MetadataStore(tmp_path / "m.sqlite")
    store = MilvusStore(None, "x.db", "c", 4)
    # nothing matches: no query at all
    assert store.compile_filter(Filters(source="x\x01y"), metadata.vids_matching) == "id < 0"
    assert store.search(np.ones((1, 4), np.float32), 3, "id < 0")[1].tolist() == [[-1, -1, -1]]


def test_an_unreachable_server_is_one_clear_error(tmp_path, sources, fake):
    result = CliRunner().invoke(app, ["index", str(sources), "--index", str(tmp_path / "i"), "--embedder", "fake"],
                                env={"PODQUOTE_VECTOR_STORE": "milvus://127.0.0.1:9"})
    assert result.exit_code == 1
    assert "cannot open Milvus at http://127.0.0.1:9" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "i" / "CURRENT").exists()


@pytest.mark.model
def test_cli_json_answers_why_rook_on_bare_metal_with_milvus(tmp_path, monkeypatch):
    """The user's own question, the real default model, the vectors in milvus-lite: Watts's quote first."""
    monkeypatch.chdir(tmp_path)  # ./index, the one place a first search builds the built-in corpus on its own
    monkeypatch.delenv("PODQUOTE_INDEX", raising=False)
    env = {"PODQUOTE_VECTOR_STORE": "./podquote-milvus.db"}
    result = CliRunner().invoke(app, ["search", "why Rook on bare metal", "--json"], env=env)
    assert result.exit_code == 0, result.output
    first = json.loads(result.stdout)["hits"][0]
    assert first["speaker"] == "Watts" and "Rook 的亮点在于提供本地存储" in first["text"]
    info = manifest_of(tmp_path / "index")["vector_store"]
    assert info["backend"] == "milvus" and info["uri"] == str(tmp_path / "podquote-milvus.db")
