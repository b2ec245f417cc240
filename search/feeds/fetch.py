"""Download a feed or a transcript over http(s), defensively: a feed is someone else's file, and so is every URL in it.

- timeouts, and a size limit per file enforced while streaming (a 50 MB body is never read into memory); an
  episode's audio, to be transcribed, streams to a file instead, under its own limit (`fetch(into=...)`);
- redirects followed by hand, so every target's scheme is checked (a feed cannot make podquote read file:///...)
  and the hops are capped;
- retries with exponential backoff on timeouts, connection errors and 5xx; never on 4xx, which will not change;
- conditional GET: given the ETag / Last-Modified of the last download, a 304 costs no body.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import BinaryIO
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import urljoin, urlsplit

import httpx

from ..errors import FetchFailed

ALLOWED_SCHEMES = ("http", "https")
REDIRECTS = {301, 302, 303, 307, 308}
# The whole response must arrive within this many `timeout`s: httpx's timeout is per read, so a server dripping
# one byte just under it would otherwise hold a refresh forever.
TOTAL_TIME_FACTOR = 3
# A body streamed to a file (an episode's audio, hundreds of MB) gets one more second per this many bytes of its
# limit: a slow link still finishes, a server dripping bytes is still cut off.
SLOWEST_FILE_RATE = 1 << 20


def user_agent() -> str:
    try:
        own = version("podquote")
    except PackageNotFoundError:  # running from a source tree that was never installed
        own = "unknown"
    return f"podquote/{own} (+https://github.com/podquote)"


@dataclass
class Fetched:
    url: str  # the final URL, after redirects
    status: int  # 200 (body in content) or 304 (not modified: content is b"")
    content: bytes
    etag: str | None
    last_modified: str | None


class _Retry(Exception):
    """A failure worth another try (timeout, connection, 5xx); its text is the reason if the tries run out."""


@dataclass
class _Redirect:
    location: str


@dataclass
class _Body:
    """Where a body goes (memory, or `into`), how large it may be and by when it must have arrived."""

    into: BinaryIO | None
    max_bytes: int
    seconds: float


class Fetcher:
    """One HTTP client for a refresh. `downloads` counts bodies received (200s), `requests` every request sent."""

    def __init__(
        self,
        *,
        timeout: float = 20,
        max_bytes: int = 20 << 20,
        max_redirects: int = 5,
        retries: int = 2,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ):
        self.timeout, self.max_bytes, self.max_redirects = timeout, max_bytes, max_redirects
        self.retries, self.backoff = max(0, retries), backoff
        self.downloads = 0
        self.requests = 0
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,  # by hand, below: each target's scheme is checked
            transport=transport,
            headers={"User-Agent": user_agent()},
        )

    def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None, *,
              into: BinaryIO | None = None, max_bytes: int | None = None) -> Fetched:
        """GET url; with etag/last_modified, a conditional GET that may return Fetched(status=304, content=b"").
        With `into` (a file open for writing) the body is written there, not returned, up to `max_bytes`."""
        limit = max_bytes or self.max_bytes
        seconds = self.timeout * TOTAL_TIME_FACTOR + (limit / SLOWEST_FILE_RATE if into else 0)
        body = _Body(into, limit, seconds)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        target = url
        for _ in range(self.max_redirects + 1):
            problem = scheme_problem(target)
            if problem:
                raise FetchFailed(url, problem if target == url else f"redirected to {target}: {problem}")
            answer = self._with_retries(url, target, headers, body)
            if not isinstance(answer, _Redirect):
                return _keep_validators(answer, etag, last_modified)
            target = urljoin(target, answer.location)
        raise FetchFailed(url, f"too many redirects (more than {self.max_redirects})")

    def _with_retries(self, url: str, target: str, headers: dict, body: _Body) -> Fetched | _Redirect:
        for attempt in range(self.retries + 1):
            try:
                return self._once(url, target, headers, body)
            except _Retry as problem:
                reason = str(problem)
                if attempt < self.retries:
                    time.sleep(self.backoff * 2**attempt)
        tries = self.retries + 1
        raise FetchFailed(url, reason + (f" ({tries} attempts)" if tries > 1 else ""))

    def _once(self, url: str, target: str, headers: dict, body: _Body) -> Fetched | _Redirect:
        """One request; raises _Retry for what another try may fix, FetchFailed for what it will not."""
        self.requests += 1
        deadline = time.monotonic() + body.seconds
        if body.into is not None:  # a retry starts the file over
            body.into.seek(0)
            body.into.truncate()
        try:
            with self.client.stream("GET", target, headers=headers) as response:
                return self._answer(url, response, deadline, body)
        except httpx.TimeoutException:
            raise _Retry("timed out") from None
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.InvalidURL) as error:
            raise FetchFailed(url, f"invalid URL ({error})") from None
        except httpx.TransportError as error:
            raise _Retry(f"connection failed ({error or type(error).__name__})") from None

    def _answer(self, url: str, response: httpx.Response, deadline: float, body: _Body) -> Fetched | _Redirect:
        status = response.status_code
        if status in REDIRECTS:
            location = response.headers.get("Location")
            if not location:
                raise FetchFailed(url, f"HTTP {status} redirect without a Location")
            return _Redirect(location)
        if status == 304:
            return Fetched(str(response.url), 304, b"", *_validators(response))
        if status >= 500:
            raise _Retry(f"HTTP {status} {response.reason_phrase}".strip())
        if not 200 <= status < 300:
            raise FetchFailed(url, f"HTTP {status} {response.reason_phrase}".strip())
        content = self._body(url, response, deadline, body)
        self.downloads += 1
        return Fetched(str(response.url), status, content, *_validators(response))

    def _body(self, url: str, response: httpx.Response, deadline: float, body: _Body) -> bytes:
        """The body, read in chunks and abandoned as soon as it passes max_bytes (or the declared size does);
        b"" when it went to `body.into`."""
        too_big = f"larger than {describe_size(body.max_bytes)}"
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > body.max_bytes:
            raise FetchFailed(url, f"{too_big} (it declares {describe_size(int(declared))})")
        chunks, size = [], 0
        for chunk in response.iter_bytes():  # decoded bytes: a gzip bomb is counted at its real size
            size += len(chunk)
            if size > body.max_bytes:
                raise FetchFailed(url, too_big)
            if time.monotonic() > deadline:
                raise _Retry("timed out")
            if body.into is not None:
                body.into.write(chunk)
            else:
                chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def scheme_problem(url: str) -> str | None:
    """Why podquote will not fetch url (not http or https), or None."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError as error:  # "https://[::1": a bracket never closed
        return f"invalid URL ({error})"
    if scheme in ALLOWED_SCHEMES:
        return None
    if not scheme:
        return "not a URL (http and https only)"
    return f"scheme '{scheme}' is not allowed (http and https only)"


def describe_size(size: int) -> str:
    """20 << 20 -> '20 MB', 1536 -> '1.5 KB', 100 -> '100 bytes'."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


def _validators(response: httpx.Response) -> tuple[str | None, str | None]:
    return response.headers.get("ETag"), response.headers.get("Last-Modified")


def _keep_validators(fetched: Fetched, etag: str | None, last_modified: str | None) -> Fetched:
    # A 304 need not repeat the validators; keep the caller's so the next conditional GET still has them.
    if fetched.status == 304:
        fetched.etag = fetched.etag or etag
        fetched.last_modified = fetched.last_modified or last_modified
    return fetched
