"""A running server and a reindex: the new generation is served without a restart and no request fails."""

from __future__ import annotations

import shutil
import socket
import threading
import time

import httpx
import uvicorn
from fastapi.testclient import TestClient

from podquote import Collection, build_index
from podquote.api.app import create_app
from podquote.store import CURRENT, current_generation

NEW_QUOTE = "# Garden\n\n\"Gardening teaches patience better than any course,\" said Una.\n"


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


class Server:
    """The app under uvicorn on 127.0.0.1, on a port the OS picked, in a background thread."""

    def __init__(self, app):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self):
        self.thread.start()
        assert wait_for(lambda: self.server.started, timeout=30), "uvicorn did not start"
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


def test_new_generation_is_served_without_restart(fake_index, sources):
    with TestClient(create_app(fake_index, reload_interval=0.05)) as client:
        first = client.get("/healthz").json()["generation"]
        assert client.get("/search", params={"q": "gardening patience", "k": 1}).json()["hits"][0]["speaker"] != "Una"
        (sources / "garden.md").write_text(NEW_QUOTE, encoding="utf-8")
        build_index(fake_index, [sources], embedder="fake")
        assert wait_for(lambda: client.get("/healthz").json()["generation"] != first)
        assert client.get("/healthz").json()["generation"] == current_generation(fake_index).name
        assert client.get("/search", params={"q": "gardening patience", "k": 1}).json()["hits"][0]["speaker"] == "Una"
        assert client.app.state.holder.reloads == 1


def test_no_failed_request_across_swaps(fake_index, sources):
    """Eight clients loop on /search and /healthz against a real server while the index is rebuilt three times."""
    statuses: list[int] = []
    generations: set[str] = set()
    stop = threading.Event()

    def client_loop(n):
        with httpx.Client(timeout=10) as http:
            i = 0
            while not stop.is_set():
                i += 1
                if i % 5 == 0:
                    response = http.get(f"{server.url}/healthz")
                    generations.add(response.json().get("generation"))
                else:
                    response = http.get(f"{server.url}/search", params={"q": f"storage backups {n} {i}", "k": 3})
                statuses.append(response.status_code)

    with Server(create_app(fake_index, reload_interval=0.05)) as server:
        threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        served = [current_generation(fake_index).name]
        try:
            for round_ in range(3):
                assert wait_for(lambda: served[-1] in generations)  # clients saw it before the next swap
                (sources / f"extra{round_}.md").write_text(
                    f"# Extra {round_}\n\n\"Round {round_} adds a quote about storage and backups,\" said Zed.\n")
                build_index(fake_index, [sources], embedder="fake")
                served.append(current_generation(fake_index).name)
            assert wait_for(lambda: served[-1] in generations)
            time.sleep(0.2)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
    assert len(statuses) > 100
    assert set(statuses) == {200}, {s: statuses.count(s) for s in set(statuses)}
    assert generations == set(served) and len(served) == 4  # the first and the three rebuilt ones, each served


def test_in_flight_collection_outlives_the_swap(fake_index, sources):
    app = create_app(fake_index, reload_interval=None)
    with TestClient(app):
        holder = app.state.holder
        held = holder.collection  # what a request that started before the swap holds
        before = [h.passage.id for h in held.search("Ceph storage", k=3)]
        (sources / "storage.md").unlink()
        for n in range(3):  # three swaps: the held generation is pruned from disk meanwhile
            (sources / f"extra{n}.md").write_text(f"# Extra {n}\n\n\"Quote number {n} about nothing,\" said Zed.\n")
            build_index(fake_index, [sources], embedder="fake")
            assert holder.check()
        assert not held.generation.exists()
        assert [h.passage.id for h in held.search("Ceph storage", k=3)] == before
        assert holder.collection is not held


def test_damaged_new_generation_keeps_the_old_one_serving(fake_index, sources, caplog):
    with TestClient(create_app(fake_index, reload_interval=None)) as client:
        holder = client.app.state.holder
        served = holder.collection.generation.name
        (sources / "garden.md").write_text(NEW_QUOTE, encoding="utf-8")
        build_index(fake_index, [sources], embedder="fake")
        new = current_generation(fake_index)
        vectors = new / "vectors.npy"
        vectors.write_bytes(vectors.read_bytes()[:-8])  # damaged after publishing
        assert holder.check() is False
        assert "vectors.npy" in holder.last_error and "still serving" in caplog.text
        assert client.get("/healthz").json()["generation"] == served
        assert client.get("/search", params={"q": "storage"}).status_code == 200
        shutil.rmtree(new)
        build_index(fake_index, [sources], embedder="fake")  # the repair is picked up at the next change
        assert holder.check() is True
        assert client.get("/search", params={"q": "gardening patience", "k": 1}).json()["hits"][0]["speaker"] == "Una"


def test_new_generation_with_another_embedder_is_loaded_with_it(fake_index, sources):
    with TestClient(create_app(fake_index, reload_interval=None)) as client:
        holder = client.app.state.holder
        build_index(fake_index, [sources], embedder="fake-32", fresh=True)
        assert holder.check() is True
        assert holder.collection.embedder.name == "fake-32"
        assert client.get("/healthz").json()["embedder"] == "fake-32"
        assert client.get("/search", params={"q": "Ceph block storage"}).status_code == 200


def test_watch_costs_one_stat_when_nothing_changed(fake_index, monkeypatch):
    app = create_app(fake_index, reload_interval=None)
    with TestClient(app):
        holder = app.state.holder
        opened = []
        monkeypatch.setattr(Collection, "open", classmethod(lambda cls, *a, **k: opened.append(a)))
        assert holder.check() is False and opened == []
        (fake_index / CURRENT).write_text((fake_index / CURRENT).read_text())  # same generation, new stat
        assert holder.check() is False and opened == []  # read, compared, not reopened
