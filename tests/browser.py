"""A real browser for the page tests: Debian's Chromium driven by playwright, and the app served by uvicorn.

Playwright's own browser download is not used (and not available here): the tests drive /usr/bin/chromium, which
CI installs with apt (see .ci/run). A missing Chromium fails the tests with the command that fixes it.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def launch_chromium(playwright):
    """Chromium from Debian's package; a clear failure (not a skip) when it is not installed."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. "
            "Install it with `apt-get update && apt-get install -y chromium` (CI does this in .ci/run).",
            pytrace=False,
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


class LiveServer:
    """An ASGI app served by uvicorn on 127.0.0.1 in a background thread, on a port the OS picked."""

    def __init__(self, app):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))  # bound here and handed to uvicorn: no race for the port
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def start(self, timeout: float = 60.0) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if json.load(response)["status"] == "ok":
                        return self
            except OSError:
                pass
            if not self.thread.is_alive():
                raise RuntimeError(f"the server on {self.url} stopped before answering /healthz")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server on {self.url} did not answer /healthz within {timeout:.0f} s")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout=10)
        self.socket.close()


class PageWatch:
    """What a page did that a test should know about: errors, console errors and every request it made."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.console_errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(msg.text))
        page.on("request", lambda request: self.requests.append(request.url))

        def dialog(d):
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)


# ---- what the page tests do with a page -----------------------------------------------------------------------
def api(server: LiveServer, path: str, **params) -> dict:
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{server.url}{path}?{query}", timeout=30) as response:
        return json.load(response)


def submit(page, query: str) -> None:
    """Type the query like a person and press Enter; wait until the page says how it went."""
    box = page.locator("#q")
    box.fill("")
    box.press_sequentially(query) if len(query) < 80 else box.fill(query)
    box.press("Enter")
    settled(page)


def settled(page) -> None:
    expect(page.locator("#status")).to_have_class(re.compile(r"status-(done|empty|error)"))


def assert_clean(page, server: LiveServer) -> None:
    """No script errors, no CSP complaints, no dialogs, and nothing requested from anywhere but the server."""
    watch = page.watch
    assert watch.errors == [] and watch.console_errors == [] and watch.dialogs == []
    assert watch.requests and all(url.startswith(server.url + "/") for url in watch.requests), watch.requests
