"""`podquote follow --transcribe` (issue 20, point 4): an episode whose feed offers no transcript is transcribed
from its enclosure on refresh, and indexed with links to the enclosure at `#t=`.

A real HTTP server on 127.0.0.1 (tests/feed_server.py) serves the feed and the audio: a spoken episode made by
espeak-ng at test time (tests/audio_helpers.py), an enclosure larger than PODQUOTE_AUDIO_MAX_BYTES and one that
is not audio at all.
The CLI runs in a subprocess as a user runs it, with the real packaged Whisper model and the fake text embedder.
Downloads are counted at the server (its request log: 200s per path), transcriptions by the refresh summary.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from audio_helpers import WITHOUT_FASTER_WHISPER, broken_audio, make_speech, silent_audio
from feed_server import PARTIAL, podquote, rss, search
from podquote.errors import AUDIO_EXTRA_MESSAGE, FetchFailed
from podquote.feeds import Fetcher

LIMIT = 1_500_000  # bytes: the 26-second episode (1.15 MB) fits, the 90 seconds of 16 kHz audio (2.9 MB) do not


def _item(guid: str, title: str, enclosure: str, extra: str = "") -> str:
    return (f"<item><title>{title}</title><guid isPermaLink=\"false\">{guid}</guid>"
            f"<pubDate>Mon, 01 Sep 2025 08:00:00 GMT</pubDate>"
            f'<enclosure url="{enclosure}" type="audio/wav" length="1000"/>{extra}</item>')


@pytest.fixture
def audio_feed(tmp_path, server, monkeypatch):
    """The feed on `server`, followed with --transcribe; the spoken episode (audio_helpers.Speech)."""
    speech = make_speech(tmp_path / "audio", name="speech.wav")
    big = silent_audio(tmp_path / "audio", "big.wav", seconds=90)
    server.files["/a/speech.wav"] = (speech.path.read_bytes(), "audio/wav")
    server.files["/a/big.wav"] = (big.read_bytes(), "audio/wav")
    server.files["/a/broken.mp3"] = (broken_audio(tmp_path / "audio").read_bytes(), "audio/mpeg")
    items = [_item("ep-1", "Mornings and backups", f"{server.base}/a/speech.wav"),
             _item("ep-2", "A very long episode", f"{server.base}/a/big.wav"),
             _item("ep-3", "A damaged upload", f"{server.base}/a/broken.mp3")]
    server.files["/feed.xml"] = rss("Everyday Talk", f"<language>en</language>{''.join(items)}")
    monkeypatch.setenv("PODQUOTE_AUDIO_MAX_BYTES", str(LIMIT))  # the CLI subprocesses inherit it
    index = tmp_path / "index"
    followed = podquote("follow", f"{server.base}/feed.xml", "--transcribe", "--index", index)
    assert followed.returncode == 0, followed.stderr
    assert "3 to transcribe from their audio" in followed.stdout
    return index, speech


def test_refresh_transcribes_an_episode_without_a_transcript_once(audio_feed, server):
    index, speech = audio_feed
    listed = json.loads(podquote("feeds", "--json", "--index", index).stdout)
    assert [row["transcribe"] for row in listed] == [True]

    first = podquote("refresh", "--index", index, "--embedder", "fake")
    out = " ".join(first.stdout.split())
    assert first.returncode == PARTIAL, first.stdout + first.stderr  # the big episode failed, the other indexed
    assert "episodes 1 new, 0 changed, 0 unchanged, 2 failed" in out, out
    assert "2 audio downloads, 1 transcribed" in out  # the damaged one downloaded, but no transcript
    assert re.search(r"failed Everyday Talk: A very long episode: \S+/a/big\.wav: larger than 1\.43 MB", out), out
    assert re.search(r"failed Everyday Talk: A damaged upload: \S+/a/broken\.mp3: not decodable as audio", out)
    assert server.downloads("/a/speech.wav") == server.downloads("/a/broken.mp3") == 1

    enclosure = f"{server.base}/a/speech.wav"
    [hit] = search(index, "Every backup should be tested long before the day you need it", "-k", "1")
    assert "backup" in hit["text"].lower() and hit["speaker"] is None
    assert hit["title"] == "Mornings and backups" and hit["show"] == "Everyday Talk"
    assert hit["url"] == f"{enclosure}#t={int(hit['start'])}"
    assert abs(hit["start"] - speech.starts[0]) <= 1.5  # the passage opens with the first sentence

    second = podquote("refresh", "--index", index, "--embedder", "fake")
    out = " ".join(second.stdout.split())
    assert second.returncode == PARTIAL, second.stdout + second.stderr
    assert "episodes 0 new, 0 changed, 1 unchanged, 2 failed" in out, out
    assert "audio downloads" not in out and "nothing embedded" in out
    assert server.downloads("/a/speech.wav") == 1  # not downloaded again, so not transcribed again
    assert "larger than 1.43 MB" in out  # the big one is still refused, and said
    # The damaged one was asked for conditionally (ETag): unchanged, so neither downloaded nor decoded again.
    assert server.downloads("/a/broken.mp3") == 1 and ("/a/broken.mp3", 304) in server.log
    assert re.search(r"A damaged upload: \S+/a/broken\.mp3: not decodable as audio .*\(unchanged since the last", out)


def test_without_transcribe_an_episode_without_a_transcript_is_left_alone(tmp_path, server):
    server.files["/feed.xml"] = rss("Everyday Talk", _item("ep-1", "Mornings", f"{server.base}/a/speech.wav"))
    index = tmp_path / "index"
    assert podquote("follow", f"{server.base}/feed.xml", "--index", index).returncode == 0
    result = podquote("refresh", "--index", index, "--embedder", "fake")
    assert result.returncode == 0, result.stderr
    assert "1 without a transcript" in result.stdout
    assert not any(path.startswith("/a/") for path, _ in server.log)


def test_audio_streams_to_a_file_and_a_cut_download_starts_over(tmp_path, server):
    """Fetcher.fetch(into=...): the body goes to the file, not to memory; a connection cut half-way is retried and
    the file holds exactly the second attempt's bytes, not the first one's half glued to them."""
    body = bytes(range(256)) * 4096  # 1 MB
    attempts = []

    def flaky(handler):
        attempts.append(1)
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body if len(attempts) > 1 else body[: len(body) // 2])  # the first one is cut short

    server.routes["/a/flaky.mp3"] = flaky
    target = tmp_path / "episode.part"
    with Fetcher(retries=2, backoff=0.01) as fetcher:
        with target.open("wb") as sink:
            fetched = fetcher.fetch(f"{server.base}/a/flaky.mp3", into=sink, max_bytes=2 << 20)
        assert len(attempts) == 2 and fetched.status == 200 and fetched.content == b""
        assert target.read_bytes() == body
        with (tmp_path / "small.part").open("wb") as sink, pytest.raises(FetchFailed, match="larger than 512 KB"):
            fetcher.fetch(f"{server.base}/a/flaky.mp3", into=sink, max_bytes=512 << 10)



def test_without_the_audio_extra_a_refresh_says_so_once(audio_feed, server):
    """faster-whisper made unimportable in the refresh's process, as when the extra is not installed: the three
    episodes without a transcript are not transcribed, nothing is downloaded, and the reason is said once."""
    index, _ = audio_feed
    done = subprocess.run([sys.executable, "-c", WITHOUT_FASTER_WHISPER, "refresh", "--index", str(index),
                           "--embedder", "fake"], capture_output=True, text=True, timeout=300)
    out = " ".join(done.stdout.split())
    assert "Traceback" not in done.stderr, done.stderr
    assert out.count(AUDIO_EXTRA_MESSAGE) == 1, out
    assert f"failed 3 episodes not transcribed: {AUDIO_EXTRA_MESSAGE}" in out
    assert not [path for path, _ in server.log if path.startswith("/a/")]  # no audio was downloaded
