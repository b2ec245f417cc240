"""The API's docs offline, HEAD on the page, unknown query parameters (issue 16, point 5),
through real HTTP (TestClient, and Chromium for the docs); and `podquote serve` on a busy port, as a subprocess.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from browser import LiveServer, launch_chromium
from helpers import write_example_sources
from podquote import build_index
from podquote.api.app import create_app

PODQUOTE = Path(sys.executable).parent / "podquote"  # the installed command, as a user runs it
# Any absolute or protocol-relative URL: the docs pages must name only paths on the server that served them.
OTHER_HOST = re.compile(r"(?:https?:)?//[a-z0-9.-]+", re.I)
ASSET = re.compile(r"""(?:src|href|spec-url)="([^"]+)"|url: ?['"]([^'"]+)['"]""")
JS_TYPES = ("text/javascript", "application/javascript")
EXPECTED_TYPES = {".js": JS_TYPES, ".css": ("text/css",), ".png": ("image/png",), ".json": ("application/json",)}


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """One small fake-embedder index for the module (read-only here)."""
    sources = write_example_sources(tmp_path_factory.mktemp("server-sources"))
    root = tmp_path_factory.mktemp("server-index") / "index"
    build_index(root, [sources], embedder="fake")
    return root


@pytest.fixture(scope="module")
def client(index):
    app = create_app(index, reload_interval=None)
    with TestClient(app) as client:
        yield client
    assert app.state.internal_errors == 0


# ---- 1. /docs (and /redoc) with their files from this server ---------------------------------------------------


def _assets(html: str) -> list[str]:
    return [src or url for src, url in ASSET.findall(html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_page_names_no_other_host(client, page):
    response = client.get(page)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "cdn.jsdelivr" not in html and "unpkg" not in html and "fonts.googleapis" not in html
    assert not OTHER_HOST.findall(html), OTHER_HOST.findall(html)
    assert any(a.endswith(".js") for a in _assets(html)) and "/openapi.json" in _assets(html)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_every_docs_asset_is_served_here_with_its_type(client, page):
    for asset in _assets(client.get(page).text):
        assert asset.startswith("/"), asset
        response = client.get(asset)
        assert response.status_code == 200, asset
        expected = EXPECTED_TYPES[Path(asset).suffix]
        assert response.headers["content-type"].startswith(expected), (asset, response.headers["content-type"])
        assert len(response.content) > 100, asset


def test_swagger_ui_renders_in_a_browser_with_every_other_host_cut_off(index):
    """The real proof of 'offline': Chromium renders /docs while any request off this server is aborted."""
    from playwright.sync_api import sync_playwright

    server = LiveServer(create_app(index, reload_interval=None)).start()
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            requested, errors = _render_docs(browser, server.url)
            browser.close()
    finally:
        server.stop()
    assert requested and all(url.startswith(server.url + "/") for url in requested), requested
    assert not errors, errors


def _render_docs(browser, base: str) -> tuple[list[str], list[str]]:
    page = browser.new_page()
    requested, errors = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
    page.goto(f"{base}/docs")
    page.wait_for_selector(".opblock-summary-path[data-path='/search']", timeout=30_000)
    return requested, errors


# ---- 2. HEAD on the page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/?q=rook", "/static/app.js", "/static/style.css"])
def test_head_answers_like_get_without_a_body(client, path):
    get, head = client.get(path), client.head(path)
    assert get.status_code == head.status_code == 200
    assert head.content == b"" and get.content
    assert _without_date(head.headers) == _without_date(get.headers)
    assert int(head.headers["content-length"]) == len(get.content)


def _without_date(headers) -> dict:
    return {name: value for name, value in headers.items() if name != "date"}  # the clock, not the answer


def test_head_on_a_missing_page_file_is_404(client):
    assert client.head("/static/nope.js").status_code == 404


# ---- 3. unknown query parameters: refused where they could change an answer, ignored by /healthz -------------------------------------


def _api_operations(client) -> list[tuple[str, dict]]:
    """Every GET in /openapi.json as (a URL that answers 200, its required parameters)."""
    hit = client.get("/search", params={"q": "storage", "k": 1}).json()["hits"][0]
    required = {"/search": {"q": "storage"}}
    paths = client.get("/openapi.json").json()["paths"]
    return [(path.replace("{passage_id}", hit["id"]), required.get(path, {})) for path in paths]


def test_api_operations_refuse_an_unknown_parameter_but_healthz_ignores_it(client):
    operations = _api_operations(client)
    assert {"/search", "/healthz", "/facets"} <= {path for path, _ in operations}
    for path, params in operations:
        assert client.get(path, params=params).status_code == 200, path
        response = client.get(path, params={**params, "verbose": "1"})
        if path == "/healthz":  # a probe's cache-buster changes nothing it answers
            assert response.status_code == 200 and response.json()["status"] == "ok"
            continue
        assert response.status_code == 422, path
        assert response.json()["detail"].startswith("verbose: Unknown query parameter 'verbose'"), path


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/docs", "/redoc", "/openapi.json"])
def test_what_is_not_in_the_api_schema_ignores_unknown_parameters(client, path):
    # The page reads its own parameters in the browser; the docs and the schema take none.
    assert client.get(path, params={"verbose": "1", "_": "1733220000"}).status_code == 200


# ---- 4. `podquote serve` on a busy port ----------------------------------------------------------------------------


def _serve(index: Path, port: int, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([str(PODQUOTE), "serve", "--index", str(index), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_serve_on_a_busy_port_is_one_line_and_a_failure(index):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = _serve(index, port)
        out, err = process.communicate(timeout=120)
    assert process.returncode != 0
    assert err.strip() == f"Error: port {port} on 127.0.0.1 is in use; pick another with --port", err
    assert "Serving" not in out + err and "Uvicorn" not in out + err


def test_serve_on_a_port_just_freed_starts(index):
    """The check must not refuse a free port (one a stopped listener left in TIME_WAIT included)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = _serve(index, port)
    try:
        assert _healthz_answers(port, process), process.stderr.read() if process.poll() is not None else ""
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert "Serving" in err and "in use" not in err


def _healthz_answers(port: int, process: subprocess.Popen, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            time.sleep(0.1)
    return False
