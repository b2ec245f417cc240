"""One contract for every vector store (podquote.vectors.base.VectorStore), run against each backend:

- FAISS (embedded, exact while small);
- Milvus through milvus-lite (a local .db, in process);
- a real Milvus 2.3 server started on 127.0.0.1 by the `milvus_server` fixture (marked `milvus_server`).

On a generated set (2,000 random normalised 64-d vectors whose passages carry awkward metadata: quotes,
backslashes, a newline, a control character, Han names, mixed case), it checks that: search agrees with exact
search at recall@10 >= 0.9 with cosine scores; every filter, compiled by the backend from podquote's own `Filters`,
returns only passages SQLite (the source of truth) says match, and all of them when fewer than k do; an upsert or a
delete is visible to the very next search; data survives a restart; and a kill -9 after acknowledged writes loses
none of them. Milvus is approximate (HNSW), so results are compared by recall, never id for id.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
import uuid
import zlib
from pathlib import Path

import numpy as np
import pytest

from podquote.metadata import Filters, MetadataStore
from podquote.passage import Passage, content_hash, vector_id
from podquote.vectors.base import VectorAttributes
from podquote.vectors.faiss_store import FaissStore

DIM = 64
N = 2000
SPEAKERS = ["Jared Watts", "傅盛", 'Dr. "Quote" Smith', "O'Brien", "back\\slash Bob", None, "Ann\tMarie Lee"]
SOURCES = ['shows/a"b.md', "C:\\pods\\ep1.srt", "plain/one.vtt", "multi\nline.txt", "ctrl\x01char.md"]
EPISODES = ["ep-1", 'ep "2"', None, "ep\\3", "ep-5"]
SHOWS = ["The Changelog", "Kubernetes Podcast", None, "Ünïcode Show"]
LANGS = ["en", "zh", "other"]
DATES = ["2024-05-01", "2023-12-31T10:00:00", None, "2024-05-31", "2024"]

FILTERS = [
    Filters(speaker="watts"),
    Filters(speaker="Jared  WATTS"),
    Filters(speaker="fu"),  # pinyin of 傅
    Filters(speaker='Dr. "Quote" Smith'),
    Filters(speaker="o'brien"),
    Filters(speaker="back\\slash bob"),
    Filters(speaker="ann marie lee"),
    Filters(lang="en"),
    Filters(source='shows/a"b.md'),
    Filters(source="C:\\pods\\ep1.srt"),
    Filters(source="multi\nline.txt"),
    Filters(source="ctrl\x01char.md"),  # no literal every Milvus reads: compiled to ids from SQLite
    Filters(episode='ep "2"'),
    Filters(episode="ep\\3"),
    Filters(show="the CHANGELOG"),
    Filters(show="ÜNÏCODE SHOW"),  # NOCASE folds ASCII only, like SQLite: no match
    Filters(show="Ünïcode show"),
    Filters(date_from="2024-05"),
    Filters(date_to="2023"),
    Filters(date_from="2024-05-01", date_to="2024-05-31"),
    Filters(speaker="watts", lang="en", show="the changelog", date_from="2024"),
    Filters(speaker="nobody"),
]


def normalised(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def make_passages(n: int, offset: int = 0) -> list[Passage]:
    out = []
    for i in range(offset, offset + n):
        out.append(Passage(
            source=SOURCES[i % len(SOURCES)], position=i, text=f"passage {i}", kind="quote",
            speaker=SPEAKERS[i % len(SPEAKERS)], episode=EPISODES[(i // 3) % len(EPISODES)],
            show=SHOWS[(i // 2) % len(SHOWS)], lang=LANGS[(i // 5) % len(LANGS)], date=DATES[(i // 7) % len(DATES)],
        ))
    return out


class Dataset:
    def __init__(self, directory: Path, n: int = N, seed: int = 7):
        rng = np.random.default_rng(seed)
        self.passages = make_passages(n)
        self.ids = np.array([vector_id(p.id) for p in self.passages], dtype=np.int64)
        self.vectors = normalised(rng.normal(size=(n, DIM)))
        self.attributes = [VectorAttributes.of(p) for p in self.passages]
        self.metadata = MetadataStore(directory / "passages.sqlite")
        self.metadata.add_passages(self.passages, [content_hash(p.text) for p in self.passages])
        self.metadata.commit()
        self.row = {int(v): r for r, v in enumerate(self.ids)}

    def exact(self, queries: np.ndarray, k: int, allowed: set[int] | None = None) -> list[list[int]]:
        rows = np.arange(len(self.ids)) if allowed is None else np.array(sorted(self.row[v] for v in allowed))
        if not len(rows):
            return [[] for _ in queries]
        sims = queries @ self.vectors[rows].T
        top = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        return [[int(self.ids[rows[j]]) for j in row] for row in top]


def found(ids_row: np.ndarray) -> list[int]:
    return [int(v) for v in ids_row if v >= 0]


# the backends ---------------------------------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys, time
    import numpy as np
    from podquote.vectors.base import VectorAttributes
    backend, location, data = sys.argv[1], sys.argv[2], np.load(sys.argv[3])
    if backend == "faiss":
        from podquote.vectors.faiss_store import FaissStore
        store = FaissStore(int(data["dim"]))
    else:
        from podquote.vectors.milvus_store import MilvusStore
        store = MilvusStore.connect(location, str(data["collection"]), int(data["dim"]))
        store.create()
    attrs = [VectorAttributes(lang=str(l)) for l in data["langs"]]
    upsert_attrs = [VectorAttributes(lang="en")] * len(data["upsert_ids"])
    store.add(data["ids"], data["vectors"], attrs)
    store.upsert(data["upsert_ids"], data["upsert_vectors"], upsert_attrs)
    store.delete(data["delete_ids"])
    if backend == "faiss":  # FAISS's durability point: its files (a generation's vectors.npy and ids.npy)
        store.save(__import__("pathlib").Path(location))
    print("acked", flush=True)  # Milvus: every call above returned, nothing flushed
    time.sleep(600)
""")


class Backend:
    name = ""

    def __init__(self, tmp: Path):
        self.tmp = tmp

    def new_store(self, dimension: int = DIM):
        raise NotImplementedError

    def restart(self, store):
        """Make the store durable, stop whatever holds it, start it again; returns the reopened store."""
        raise NotImplementedError

    def crash_after_writes(self, data: dict, collection: str):
        """Run the writes of WRITER, kill -9 whatever holds the data once they are acknowledged, reopen."""
        raise NotImplementedError

    def _crash_writer_process(self, data: dict, location: str):
        npz = self.tmp / f"writes-{uuid.uuid4().hex[:8]}.npz"
        np.savez(npz, **data)
        process = subprocess.Popen([sys.executable, "-c", WRITER, self.name, location, str(npz)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = process.stdout.readline()
            assert line.strip() == "acked", process.stderr.read() if process.poll() is not None else line
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            assert process.returncode == -signal.SIGKILL
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


class Faiss(Backend):
    name = "faiss"

    def new_store(self, dimension: int = DIM):
        return FaissStore(dimension)

    def restart(self, store):
        directory = self.tmp / f"faiss-{uuid.uuid4().hex[:8]}"
        directory.mkdir()
        store.save(directory)
        return FaissStore.load(directory, store.dimension)

    def crash_after_writes(self, data, collection):
        directory = self.tmp / f"faiss-crash-{uuid.uuid4().hex[:8]}"
        directory.mkdir()
        self._crash_writer_process(data, str(directory))
        return FaissStore.load(directory, int(data["dim"]))


class MilvusBackend(Backend):
    uri = ""

    def new_store(self, dimension: int = DIM, collection: str | None = None):
        from podquote.vectors.milvus_store import MilvusStore

        store = MilvusStore.connect(self.uri, collection or f"contract_{uuid.uuid4().hex[:12]}", dimension)
        store.create()
        return store

    def reopen(self, store_or_name, dimension: int = DIM):
        from podquote.vectors.milvus_store import MilvusStore

        name = getattr(store_or_name, "collection", store_or_name)
        return MilvusStore.open(self.uri, name, dimension)


class MilvusLite(MilvusBackend):
    name = "milvus-lite"

    def __init__(self, tmp: Path):
        super().__init__(tmp)
        self.uri = str(tmp / "contract-milvus.db")

    def restart(self, store):
        from milvus_lite.server_manager import server_manager_instance

        store.save()
        store.close()
        server_manager_instance.release_server(self.uri)  # stops the in-process server, closes its files
        return self.reopen(store)

    def crash_after_writes(self, data, collection):
        uri = str(self.tmp / f"crash-{uuid.uuid4().hex[:8]}.db")  # the writer process holds it, then dies
        self._crash_writer_process({**data, "collection": collection}, uri)
        from podquote.vectors.milvus_store import MilvusStore

        return MilvusStore.open(uri, collection, int(data["dim"]))


class MilvusServerBackend(MilvusBackend):
    name = "milvus-server"

    def __init__(self, tmp: Path, server):
        super().__init__(tmp)
        self.server = server
        self.uri = server.uri

    def restart(self, store):
        store.save()
        store.close()
        self.server.restart()  # SIGTERM, SIGKILL after 20 s if still running; then start and wait until healthy
        return self.reopen(store)

    def crash_after_writes(self, data, collection):
        store = self.new_store(int(data["dim"]), collection)
        store.add(data["ids"], data["vectors"], [VectorAttributes(lang=str(l)) for l in data["langs"]])
        store.upsert(data["upsert_ids"], data["upsert_vectors"],
                     [VectorAttributes(lang="en")] * len(data["upsert_ids"]))
        store.delete(data["delete_ids"])  # acknowledged: every call returned; nothing flushed
        store.close()
        self.server.restart(crash=True)  # SIGKILL
        return self.reopen(collection, int(data["dim"]))


BACKENDS = ["faiss", "milvus-lite", pytest.param("milvus-server", marks=pytest.mark.milvus_server)]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "faiss":
        return Faiss(tmp)
    if request.param == "milvus-lite":
        return MilvusLite(tmp)
    return MilvusServerBackend(tmp, request.getfixturevalue("milvus_server"))


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return Dataset(tmp_path_factory.mktemp("dataset"))


@pytest.fixture(scope="module")
def loaded(backend, dataset):
    """The full generated set in a store of this backend (read-only tests share it)."""
    store = backend.new_store()
    started = time.perf_counter()
    store.add(dataset.ids, dataset.vectors, dataset.attributes)
    store.save(backend.tmp) if backend.name == "faiss" else store.save()
    print(f"\n{backend.name}: {N} vectors added and saved in {time.perf_counter() - started:.2f} s")
    yield store
    store.close()


# the contract ---------------------------------------------------------------------------------------------------

def test_search_agrees_with_exact_search(loaded, dataset):
    queries = normalised(np.random.default_rng(11).normal(size=(50, DIM)))
    scores, ids = loaded.search(queries, 10)
    exact = dataset.exact(queries, 10)
    recall = np.mean([len(set(found(row)) & set(truth)) / 10 for row, truth in zip(ids, exact)])
    assert recall >= 0.9, recall
    assert loaded.count() == N
    for q, score_row, id_row in zip(queries, scores, ids):
        kept = id_row >= 0
        assert kept.sum() == 10
        assert np.all(np.diff(score_row[kept]) <= 1e-6)  # best first
        exact_scores = dataset.vectors[[dataset.row[int(v)] for v in id_row[kept]]] @ q
        np.testing.assert_allclose(score_row[kept], exact_scores, atol=2e-3)  # cosine, same meaning everywhere


def test_a_stored_vector_finds_itself_first(loaded, dataset):
    rows = [0, 1, 2, 999, N - 1]
    scores, ids = loaded.search(dataset.vectors[rows], 3)
    assert [int(i) for i in ids[:, 0]] == [int(dataset.ids[r]) for r in rows]
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-3)


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: repr({k: v for k, v in vars(f).items() if v}))
def test_filters_return_only_and_all_matching_passages(loaded, dataset, filters):
    expected = set(dataset.metadata.vids_matching(filters))
    where = loaded.compile_filter(filters, dataset.metadata.vids_matching)
    queries = normalised(np.random.default_rng(zlib.crc32(repr(filters).encode())).normal(size=(5, DIM)))
    k = 100
    _, ids = loaded.search(queries, k, where)
    exact = dataset.exact(queries, 10, expected)
    for row, truth in zip(ids, exact):
        got = found(row)
        assert set(got) <= expected, (filters, set(got) - expected)
        assert len(got) == min(k, len(expected)), (filters, len(got), len(expected))
        if truth:
            assert len(set(got[:10]) & set(truth)) / len(truth) >= 0.9, filters


def test_the_filter_set_is_not_trivial(dataset):
    sizes = {repr(f): len(dataset.metadata.vids_matching(f)) for f in FILTERS}
    assert sizes[repr(Filters(speaker="nobody"))] == 0
    assert sizes[repr(Filters(show="ÜNÏCODE SHOW"))] == 0 < sizes[repr(Filters(show="Ünïcode show"))]
    assert sum(1 for n in sizes.values() if 0 < n < 100) >= 1 and sum(1 for n in sizes.values() if n > 100) >= 5


def test_upsert_and_delete_are_visible_to_the_next_search(backend, tmp_path):
    data = Dataset(tmp_path, n=300, seed=3)
    store = backend.new_store()
    try:
        store.add(data.ids, data.vectors, data.attributes)
        assert store.count() == 300
        rng = np.random.default_rng(5)
        for round_ in range(3):  # repeated: a stale read would show up on one of them
            target = int(data.ids[10 + round_])
            fresh = normalised(rng.normal(size=(1, DIM)))
            # a new vector and a new language for one passage; SQLite, the source of truth, is told too
            new_lang = "zh" if data.passages[10 + round_].lang != "zh" else "en"
            data.metadata.db.execute("UPDATE passages SET lang = ? WHERE vid = ?", (new_lang, target))
            old = data.attributes[10 + round_]
            store.upsert(np.array([target]), fresh, [VectorAttributes(old.speaker_keys, new_lang, old.source,
                                                                      old.episode, old.show, old.date)])
            scores, ids = store.search(fresh, 1)
            assert int(ids[0, 0]) == target and scores[0, 0] == pytest.approx(1.0, abs=1e-3)
            where = store.compile_filter(Filters(lang=new_lang), data.metadata.vids_matching)
            _, ids = store.search(fresh, 1, where)
            assert int(ids[0, 0]) == target
            assert store.count() == 300 - round_
            store.delete(np.array([target]))
            _, ids = store.search(fresh, 5)
            assert target not in found(ids[0])
            assert store.count() == 300 - round_ - 1
        store.upsert(np.array([12345]), data.vectors[:1], data.attributes[:1])  # upsert of a new id inserts it
        assert store.count() == 298
    finally:
        store.close()


def test_data_survives_a_restart(backend, tmp_path):
    data = Dataset(tmp_path, n=300, seed=4)
    store = backend.new_store()
    store.add(data.ids, data.vectors, data.attributes)
    store.delete(data.ids[:10])
    replaced = normalised(np.random.default_rng(6).normal(size=(10, DIM)))
    store.upsert(data.ids[10:20], replaced, data.attributes[10:20])
    queries = data.vectors[30:40]
    before = store.search(queries, 5)[1]
    store = backend.restart(store)
    try:
        assert store.count() == 290
        after = store.search(queries, 5)[1]
        assert [int(i) for i in after[:, 0]] == [int(i) for i in data.ids[30:40]]
        assert np.mean([len(set(found(a)) & set(found(b))) / 5 for a, b in zip(before, after)]) >= 0.9
        _, ids = store.search(data.vectors[:10], 5)
        assert not set(found(ids.ravel())) & {int(v) for v in data.ids[:10]}
        _, ids = store.search(replaced, 1)
        assert [int(i) for i in ids[:, 0]] == [int(i) for i in data.ids[10:20]]
        where = store.compile_filter(Filters(lang="en"), data.metadata.vids_matching)
        _, ids = store.search(queries, 50, where)
        assert set(found(ids.ravel())) <= set(data.metadata.vids_matching(Filters(lang="en")))
    finally:
        store.close()


def test_kill_9_after_acknowledged_writes_loses_none(backend):
    rng = np.random.default_rng(9)
    n = 400
    ids = np.arange(1, n + 1, dtype=np.int64) * 7919
    vectors = normalised(rng.normal(size=(n, DIM)))
    langs = np.array([LANGS[i % 3] for i in range(n)])
    upsert_ids = ids[:20]
    upsert_vectors = normalised(rng.normal(size=(20, DIM)))
    delete_ids = ids[20:40]
    data = {"dim": DIM, "ids": ids, "vectors": vectors, "langs": langs, "upsert_ids": upsert_ids,
            "upsert_vectors": upsert_vectors, "delete_ids": delete_ids}
    store = backend.crash_after_writes(data, f"crash_{uuid.uuid4().hex[:12]}")
    try:
        assert store.count() == n - 20
        kept = slice(40, n)
        _, found_ids = store.search(vectors[kept], 1)
        assert [int(i) for i in found_ids[:, 0]] == [int(i) for i in ids[kept]]
        scores, found_ids = store.search(upsert_vectors, 1)  # the upserted vectors, not the originals
        assert [int(i) for i in found_ids[:, 0]] == [int(i) for i in upsert_ids]
        np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-3)
        _, found_ids = store.search(vectors[20:40], 10)
        assert not set(found(found_ids.ravel())) & {int(v) for v in delete_ids}
    finally:
        store.close()
