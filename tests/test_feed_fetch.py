"""podquote.feeds.fetch against a real HTTP server on 127.0.0.1, started here (http.server in a thread)."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from podquote.errors import FetchFailed, PodquoteError
from podquote.feeds import Fetched, Fetcher, user_agent

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Test</title></channel></rss>\n'
ETAG = '"feed-v1"'
LAST_MODIFIED = "Tue, 03 Jun 2025 07:00:00 GMT"
BIG = 50 << 20  # the "50 MB file": generated while it is sent, never stored
CHUNK = 64 << 10


class Handler(BaseHTTPRequestHandler):
    """Routes for each case; the server object (`self.server`) records what happened, for the assertions."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep pytest's output clean
        pass

    def do_GET(self):
        self.server.seen.append((self.path, dict(self.headers)))
        route = getattr(self, "route_" + self.path.strip("/").split("?")[0].replace("-", "_").replace(".", "_"), None)
        if route is None:
            self.reply(404, b"not found")
        else:
            route()

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route_feed_xml(self):
        if self.headers.get("If-None-Match") == ETAG or self.headers.get("If-Modified-Since") == LAST_MODIFIED:
            self.reply(304, headers=[("ETag", ETAG)])
            return
        validators = [("ETag", ETAG), ("Last-Modified", LAST_MODIFIED)]
        self.reply(200, FEED, validators + [("Content-Type", "application/rss+xml")])

    def route_slow(self):
        time.sleep(1.0)
        self.reply(200, b"too late")

    def route_drip(self):
        # Each byte arrives well inside the per-read timeout; only the whole-response deadline ends it.
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        for _ in range(1000):
            if not self.send(b"x"):
                return
            time.sleep(0.05)

    def route_big(self):
        self.stream_big(declare_length=True)

    def route_big_undeclared(self):
        self.stream_big(declare_length=False)

    def stream_big(self, declare_length):
        self.send_response(200)
        if declare_length:
            self.send_header("Content-Length", str(BIG))
        else:
            self.send_header("Connection", "close")  # no length: the body ends when the connection does
            self.close_connection = True
        self.end_headers()
        block = b"WEBVTT podquote " * (CHUNK // 16)
        try:
            while self.server.sent < BIG and self.send(block):
                self.server.sent += len(block)
        finally:
            self.server.big_done.set()

    def send(self, data) -> bool:
        try:
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def route_loop_a(self):
        self.reply(302, headers=[("Location", "/loop-b")])

    def route_loop_b(self):
        self.reply(302, headers=[("Location", "loop-a")])  # relative, resolved against /loop-b

    def route_hop(self):
        self.reply(301, headers=[("Location", f"http://127.0.0.1:{self.server.server_port}/feed.xml")])

    def route_to_file(self):
        self.reply(302, headers=[("Location", "file:///etc/passwd")])

    def route_flaky(self):
        self.server.flaky += 1
        if self.server.flaky == 1:
            self.reply(503, b"busy", [("Retry-After", "0")])
        else:
            self.reply(200, b"second time lucky")

    def route_down(self):
        self.reply(503, b"always busy")

    def route_gone(self):
        self.reply(410, b"gone")


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.seen, httpd.sent, httpd.flaky, httpd.big_done = [], 0, 0, threading.Event()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    httpd.base = f"http://127.0.0.1:{httpd.server_port}"
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def fetcher():
    with Fetcher(timeout=2, retries=2, backoff=0.01) as client:
        yield client


def failure(fetcher, url, **kwargs) -> FetchFailed:
    with pytest.raises(FetchFailed) as caught:
        fetcher.fetch(url, **kwargs)
    assert isinstance(caught.value, PodquoteError) and url in str(caught.value)
    return caught.value


def test_200_then_conditional_get_returns_304_without_a_download(server, fetcher):
    first = fetcher.fetch(server.base + "/feed.xml")
    assert first == Fetched(server.base + "/feed.xml", 200, FEED, ETAG, LAST_MODIFIED)
    assert (fetcher.downloads, fetcher.requests) == (1, 1)

    again = fetcher.fetch(server.base + "/feed.xml", etag=first.etag, last_modified=first.last_modified)
    assert (again.status, again.content, again.etag, again.last_modified) == (304, b"", ETAG, LAST_MODIFIED)
    assert (fetcher.downloads, fetcher.requests) == (1, 2)  # a request, but no body
    headers = server.seen[-1][1]
    assert headers["If-None-Match"] == ETAG and headers["If-Modified-Since"] == LAST_MODIFIED

    only_date = fetcher.fetch(server.base + "/feed.xml", last_modified=LAST_MODIFIED)
    assert only_date.status == 304 and fetcher.downloads == 1


def test_user_agent_names_podquote_and_its_version(server, fetcher):
    from importlib.metadata import version

    fetcher.fetch(server.base + "/feed.xml")
    sent = server.seen[-1][1]["User-Agent"]
    assert sent == user_agent() and sent.startswith(f"podquote/{version('podquote')} ")


def test_404_fails_at_once_without_retries(server, fetcher):
    error = failure(fetcher, server.base + "/missing.vtt")
    assert "HTTP 404" in str(error) and error.reason == "HTTP 404 Not Found"
    assert fetcher.requests == 1 and fetcher.downloads == 0
    assert "HTTP 410" in str(failure(fetcher, server.base + "/gone"))


def test_slow_server_times_out_after_retries(server):
    with Fetcher(timeout=0.2, retries=1, backoff=0.01) as fetcher:
        started = time.monotonic()
        error = failure(fetcher, server.base + "/slow")
        assert "timed out" in str(error) and "2 attempts" in str(error)
        assert fetcher.requests == 2 and time.monotonic() - started < 1.5


def test_a_dripping_server_is_cut_by_the_whole_response_deadline(server):
    with Fetcher(timeout=0.3, retries=0) as fetcher:
        started = time.monotonic()
        assert "timed out" in str(failure(fetcher, server.base + "/drip"))
        assert time.monotonic() - started < 2  # 3 x timeout, not the 50 s the body would take


@pytest.mark.parametrize("route", ["/big", "/big-undeclared"])
def test_50_mb_body_is_refused_without_reading_it(server, route):
    with Fetcher(timeout=5, max_bytes=1 << 20, retries=2) as fetcher:
        started = time.monotonic()
        error = failure(fetcher, server.base + route)
        assert "larger than 1 MB" in str(error)
        assert fetcher.requests == 1 and fetcher.downloads == 0  # too big is not retried
    assert server.big_done.wait(5)
    # The server stopped because the client hung up: it sent a fraction (socket buffers' worth), not 50 MB.
    assert server.sent < BIG // 2, server.sent
    assert time.monotonic() - started < 5


def test_default_limit_is_20_mb(server, fetcher):
    assert "larger than 20 MB" in str(failure(fetcher, server.base + "/big"))


def test_redirect_loop_is_capped(server):
    with Fetcher(max_redirects=3, retries=0) as fetcher:
        error = failure(fetcher, server.base + "/loop-a")
        assert "too many redirects" in str(error)
        assert fetcher.requests == 4  # the first request and 3 redirects followed


def test_redirect_is_followed_and_the_final_url_reported(server, fetcher):
    fetched = fetcher.fetch(server.base + "/hop")
    assert (fetched.url, fetched.status, fetched.content) == (server.base + "/feed.xml", 200, FEED)
    assert fetcher.requests == 2


def test_redirect_to_a_local_file_is_refused(server, fetcher):
    error = failure(fetcher, server.base + "/to-file")
    assert "scheme 'file' is not allowed (http and https only)" in str(error)
    assert "redirected to file:///etc/passwd" in str(error) and "root:" not in str(error)
    assert fetcher.requests == 1


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/feed.xml", "/etc/passwd", "feed.xml"])
def test_only_http_and_https_urls_are_fetched(fetcher, url):
    error = failure(fetcher, url)
    assert "http and https only" in str(error) and fetcher.requests == 0


@pytest.mark.parametrize("url", ["http://", "https://[::1/feed.xml"])
def test_an_invalid_url_is_reported_not_raised(fetcher, url):
    assert "invalid URL" in str(failure(fetcher, url))


def test_503_then_200_is_retried(server, fetcher):
    fetched = fetcher.fetch(server.base + "/flaky")
    assert (fetched.status, fetched.content) == (200, b"second time lucky")
    assert fetcher.requests == 2 and fetcher.downloads == 1


def test_persistent_503_gives_up_after_the_retries(server, fetcher):
    error = failure(fetcher, server.base + "/down")
    assert "HTTP 503" in str(error) and "3 attempts" in str(error) and fetcher.requests == 3


def test_connection_refused_is_retried_then_reported(fetcher):
    with socket.socket() as probe:  # a port nobody listens on: bind, note it, close
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = failure(fetcher, f"http://127.0.0.1:{port}/feed.xml")
    assert "connection failed" in str(error) and fetcher.requests == 3
