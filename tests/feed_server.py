"""A podcast feed server for the feed tests: a real HTTP server on 127.0.0.1 serving feeds built from the shared
corpus's Talk Python transcripts (VTT, SRT, Podcasting 2.0 JSON and HTML), with a request log to count downloads;
and the CLI as those tests run it."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import threading
from datetime import timedelta
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import srt

from helpers import CORPUS

TALK_PYTHON = CORPUS / "talk-python-transcripts" / "transcripts"
CUES = 120  # cues kept of each transcript: realistic files, a quick test
PARTIAL = 3  # `refresh` exit code when some episodes failed and the rest were indexed (the test feed has two)
_TIMING = re.compile(r"(\d+):(\d\d):(\d\d)\.(\d{3}) --> (\d+):(\d\d):(\d\d)\.(\d{3})")
_VOICE = re.compile(r"^<v ([^>]+)>(.*)$", re.S)


class FeedServer:
    """Serves `files` (path -> (bytes, content type)) with ETag and Last-Modified; logs (path, status)."""

    def __init__(self):
        self.files: dict[str, tuple[bytes, str]] = {}
        self.routes: dict = {}  # path -> a function(handler) answering instead: a misbehaving server
        self.log: list[tuple[str, int]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.answer(self)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        if handler.path in self.routes:
            self.log.append((handler.path, 0))
            self.routes[handler.path](handler)
            return
        if handler.path not in self.files:
            self.log.append((handler.path, 404))
            handler.send_error(404)
            return
        body, kind = self.files[handler.path]
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        status = 304 if handler.headers.get("If-None-Match") == etag else 200
        self.log.append((handler.path, status))
        handler.send_response(status)
        handler.send_header("ETag", etag)
        handler.send_header("Last-Modified", formatdate(1_700_000_000, usegmt=True))
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", "0" if status == 304 else str(len(body)))
        handler.end_headers()
        if status == 200:
            handler.wfile.write(body)

    def downloads(self, prefix: str = "/t/") -> int:
        return sum(1 for path, status in self.log if path.startswith(prefix) and status == 200)


def vtt_cues(name: str) -> list[tuple[float, float, str | None, str]]:
    """(start, end, speaker, text) of the first CUES cues of a shared-corpus WebVTT file."""
    cues = []
    for block in TALK_PYTHON.joinpath(name).read_text(encoding="utf-8").split("\n\n"):
        lines = block.strip().splitlines()
        timing = next((i for i, line in enumerate(lines) if _TIMING.search(line)), None)
        if timing is None:
            continue
        h1, m1, s1, f1, h2, m2, s2, f2 = map(int, _TIMING.search(lines[timing]).groups())
        text = " ".join(lines[timing + 1:])
        voice = _VOICE.match(text)
        speaker, text = (voice.group(1), voice.group(2)) if voice else (None, text)
        cues.append((h1 * 3600 + m1 * 60 + s1 + f1 / 1000, h2 * 3600 + m2 * 60 + s2 + f2 / 1000, speaker, text))
    return cues[:CUES]


def as_vtt(cues, labels: dict[str, str] | None = None) -> bytes:
    def stamp(t: float) -> str:
        return f"{int(t // 3600):02}:{int(t % 3600 // 60):02}:{t % 60:06.3f}"

    blocks = [f"{stamp(a)} --> {stamp(b)}\n" + (f"<v {(labels or {}).get(who, who)}>" if who else "") + text
              for a, b, who, text in cues]
    return ("WEBVTT\n\n" + "\n\n".join(blocks) + "\n").encode("utf-8")


def as_srt(cues) -> bytes:
    subtitles = [srt.Subtitle(i, timedelta(seconds=a), timedelta(seconds=b), text)
                 for i, (a, b, _, text) in enumerate(cues, 1)]
    return srt.compose(subtitles).encode("utf-8")


def as_podcast_json(cues) -> bytes:
    """Word-level segments, as speech recognisers publish them."""
    segments = []
    for a, b, who, text in cues:
        words = text.split()
        step = (b - a) / max(len(words), 1)
        segments += [{"speaker": who, "startTime": round(a + i * step, 3), "endTime": round(a + (i + 1) * step, 3),
                      "body": word} for i, word in enumerate(words)]
    return json.dumps({"version": "1.0.0", "segments": segments}).encode("utf-8")


def as_html(cues) -> bytes:
    parts = [f"<cite>{escape(who or 'Unknown')}:</cite>\n<time>{int(a // 60)}:{int(a % 60):02}</time>\n"
             f"<p>{escape(text)}</p>" for a, _, who, text in cues]
    return ("<html><body>\n" + "\n".join(parts) + "\n</body></html>").encode("utf-8")


def person(name: str, role: str = "guest") -> str:
    return f'<podcast:person role="{role}" href="https://example.org/{name.split()[0].lower()}">{name}</podcast:person>'


def item(base: str, guid: str, title: str, day: int, transcripts: list[tuple[str, str]], extra: str = "") -> str:
    tags = "".join(f'<podcast:transcript url="{base}{path}" type="{kind}" language="en"/>'
                   for path, kind in transcripts)
    return (f"<item><title>{title}</title><guid isPermaLink=\"false\">{guid}</guid>"
            f"<pubDate>Mon, {day:02} Sep 2025 08:00:00 GMT</pubDate><link>https://talkpython.fm/episodes/{guid}</link>"
            f'<enclosure url="https://audio.example.org/{guid}.mp3" type="audio/mpeg" length="1000"/>'
            f"{tags}{extra}</item>")


def rss(title: str, channel: str) -> tuple[bytes, str]:
    """A Podcasting 2.0 feed as served: its bytes and content type."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:podcast="https://podcastindex.org/'
            f'namespace/1.0"><channel><title>{title}</title>{channel}</channel></rss>').encode(), "application/rss+xml"


def podquote(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from podquote.cli import main; main()", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def embedded(output: str) -> int:
    """Passages embedded, as the refresh summary says (podquote.cli.reports)."""
    if "nothing embedded" in output:
        return 0
    return int(re.search(r"passages: (\d+) embedded", output).group(1))


def search(index, query: str, *extra) -> list[dict]:
    result = podquote("search", query, "--index", index, "--json", "-k", "5", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["hits"]
