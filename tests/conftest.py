from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import fake_embedder  # noqa: F401  (registers the "fake" embedder)
from search import build_index, get_embedder

TESTS = Path(__file__).resolve().parent
PROJECT = TESTS.parent
SHARED = PROJECT.parent / "shared"
SEED = SHARED / "seed" / "000_def44d76d116dcd7.txt"
BUILTIN = PROJECT / "search" / "data" / "kubecon-2018-open-source-benefits.zh.md"
CORPUS = SHARED / "corpus"

# Subprocesses (the reindex script, a server) load the fake embedder the way a user's plugin would be loaded.
os.environ["PODQUOTE_PLUGINS"] = "fake_embedder"
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))


@pytest.fixture
def fake():
    """The process-wide fake embedder, with its call counter reset."""
    embedder = get_embedder("fake")
    embedder.calls.clear()
    return embedder


@pytest.fixture
def sources(tmp_path) -> Path:
    """A folder with the seed article and a second small article, copied so tests can change them."""
    folder = tmp_path / "sources"
    folder.mkdir()
    return write_example_sources(folder)


def write_example_sources(folder: Path) -> Path:
    """The seed article and a small English one with two quotes, into `folder` (the tests' usual corpus)."""
    shutil.copy(BUILTIN, folder / "kubecon.md")
    (folder / "storage.md").write_text(
        "# Storage talk\n\n"
        "Alice said, \"Ceph gives you block, file and object storage from one cluster of commodity disks.\"\n\n"
        "\"Backups are the part everyone forgets until the day they need them,\" said Bob.\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def fake_index(tmp_path, sources, fake) -> Path:
    root = tmp_path / "index"
    build_index(root, [sources], embedder="fake")
    return root


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory):
    """A real Milvus 2.3 server on 127.0.0.1 for the whole session (tests/milvus_server.py), data in a tmp dir."""
    from milvus_server import MilvusServer

    server = MilvusServer(tmp_path_factory.mktemp("milvus-server"))
    server.start()
    yield server
    server.stop()
