from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

import fake_embedder  # noqa: F401  (registers the "fake" embedder)
from browser import launch_chromium
from feed_server import FeedServer
from helpers import TESTS, write_example_sources
from podquote import build_index, get_embedder

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


# Per module: playwright's sync API runs one instance per thread, and the other browser tests
# (test_web_page_moments.py, test_api_server.py) start their own.
@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def server():
    """A podcast feed server on 127.0.0.1 (tests/feed_server.py), stopped after the test."""
    feed_server = FeedServer()
    feed_server.thread.start()
    yield feed_server
    feed_server.httpd.shutdown()
    feed_server.httpd.server_close()
