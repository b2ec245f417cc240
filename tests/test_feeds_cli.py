"""Following a podcast feed end to end: `podquote follow`, `refresh`, `feeds` and `search` as a user runs them.

A real HTTP server on 127.0.0.1 (started here) serves a feed built at test time from the shared corpus's own
Talk Python transcripts, in the forms feeds publish: VTT, SRT (converted with the `srt` library), Podcasting 2.0
JSON and HTML, JSON chapters, podcast:person and podcast:soundbite; one item's first transcript is a 404, one
item offers only a malformed file, one only a 404. The CLI runs in a subprocess with the fake embedder
(PODQUOTE_PLUGINS, tests/conftest.py). Downloads are counted at the server (its request log: 200s per path);
embeddings by the refresh summary ("passages: N embedded", or "nothing embedded").
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from feed_server import (PARTIAL, FeedServer, as_html, as_podcast_json, as_srt, as_vtt,
                         embedded, item, person, podquote, rss, search, vtt_cues)
from helpers import PROJECT


def publish(server: FeedServer) -> None:
    """The test feed, its transcripts and chapters, on `server`."""
    b = server.base
    nicegui = vtt_cues("525-nicegui.vtt")
    # Labels as publishers often write them: a first name, initials; podcast:person has the full names.
    labels = {"Michael Kennedy": "Michael", "Falko Schindler": "FS", "Rodja Trappe": "Rodja"}
    data_science = vtt_cues("526-building-data-science-with-foundation-llm-models.vtt")
    anywidget, diskcache = vtt_cues("530-anywidget.vtt"), vtt_cues("534-diskcache-your-secret-python-perf-weapon.vtt")
    server.files.update({
        "/t/525.vtt": (as_vtt(nicegui, labels), "text/vtt"),
        "/t/525.srt": (as_srt(nicegui), "application/x-subrip"),
        "/c/525.json": (json.dumps({"version": "1.2.0", "chapters": [
            {"startTime": 0, "title": "Introducing NiceGUI"}, {"startTime": 120, "title": "Why Vue and Quasar"}]}
        ).encode(), "application/json+chapters"),
        "/t/526.srt": (as_srt(data_science), "application/x-subrip"),
        "/t/527.vtt": (b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Speaker 1>cut off mid\x00\x01\x02", "text/vtt"),
        "/t/530.json": (as_podcast_json(anywidget), "application/json"),
        "/t/530.vtt": (as_vtt(anywidget), "text/vtt"),
        "/t/534.html": (as_html(diskcache), "text/html"),
    })
    hosts = person("Michael Kennedy", "host")
    soundbite = '<podcast:soundbite startTime="43.7" duration="5.1">This is Talk Python To Me</podcast:soundbite>'
    items = [
        item(b, "525", "NiceGUI Goes 3.0", 1, [("/t/525.srt", "application/srt"), ("/t/525.vtt", "text/vtt")],
             f'<podcast:chapters url="{b}/c/525.json" type="application/json+chapters"/>' + hosts
             + person("Rodja Trappe") + person("Falko Schindler") + soundbite),
        item(b, "526", "Building Data Science with Foundation LLM Models", 8,
             [("/t/526.vtt", "text/vtt"), ("/t/526.srt", "application/x-subrip")]),
        item(b, "527", "MCP Servers for Python Devs", 15, [("/t/527.vtt", "text/vtt")]),
        item(b, "530", "anywidget: Jupyter Widgets made easy", 22,
             [("/t/530.vtt", "text/vtt"), ("/t/530.json", "application/json")]),
        item(b, "534", "diskcache: Your secret Python perf weapon", 29, [("/t/534.html", "text/html")]),
        item(b, "999", "An episode whose transcript is gone", 30, [("/t/gone.vtt", "text/vtt")]),
    ]
    server.files["/feed.xml"] = rss("Talk Python To Me", "<link>https://talkpython.fm</link>"
                                    f"<language>en-us</language>{hosts}{''.join(items)}")


@pytest.fixture
def followed(tmp_path, server):
    publish(server)
    index = tmp_path / "index"
    result = podquote("follow", f"{server.base}/feed.xml", "--index", index)
    assert result.returncode == 0, result.stderr
    assert "Talk Python To Me" in result.stdout
    return index


def test_follow_refresh_search_and_a_second_refresh_that_does_nothing(followed, server):
    first = podquote("refresh", "--index", followed, "--embedder", "fake")
    assert first.returncode == PARTIAL, first.stderr
    out = first.stdout
    assert "episodes 4 new, 0 changed, 0 unchanged, 2 failed" in out, out
    # Every failure by the episode's name, and why.
    assert "MCP Servers for Python Devs" in out and "binary" in out
    assert "An episode whose transcript is gone" in out and "HTTP 404" in out
    # The fallback from a 404 is said, and the SRT after it indexed.
    assert "Building Data Science with Foundation LLM Models" in out and "fell back" in out
    assert embedded(out) > 0

    # A quote from the VTT labelled "Michael": the name from podcast:person, the time, the enclosure at that time.
    hits = search(followed, "keep up with the show and listen to over nine years of episodes",
                  "--show", "Talk Python To Me")
    top = hits[0]
    assert top["speaker"] == "Michael Kennedy" and top["title"] == "NiceGUI Goes 3.0"
    assert "nine years of episodes" in top["text"] and top["start"] <= 69.8 <= top["end"]  # the cue at 1:09.8
    assert top["url"] == f"https://audio.example.org/525.mp3#t={int(top['start'])}"
    assert top["date"] == "2025-09-01"
    # Initials resolved too ("FS" -> Falko Schindler), and the soundbite marked.
    fs = search(followed, "Falko Schindler", "--speaker", "Falko Schindler")
    assert fs and all(hit["speaker"] == "Falko Schindler" for hit in fs)
    bite = search(followed, "This is Talk Python To Me, episode 525, recorded September 25th")
    assert bite[0]["kind"] == "soundbite"

    listed = podquote("feeds", "--index", followed, "--json")
    assert listed.returncode == 0, listed.stderr
    [feed] = json.loads(listed.stdout)
    assert feed["show"] == "Talk Python To Me" and feed["episodes"] == 4 and feed["last_refresh"]

    downloads = server.downloads()
    second = podquote("refresh", "--index", followed)
    assert second.returncode == PARTIAL, second.stderr
    assert server.downloads() == downloads, "a second refresh downloaded a transcript again"
    assert embedded(second.stdout) == 0 and "0 new, 0 changed, 4 unchanged, 2 failed" in second.stdout


def test_a_changed_transcript_re_embeds_only_its_episode(followed, server):
    assert podquote("refresh", "--index", followed, "--embedder", "fake").returncode == PARTIAL
    body, kind = server.files["/t/525.vtt"]
    server.files["/t/525.vtt"] = (body + b"\n00:10:00.000 --> 00:10:05.000\n<v Michael>Kubernetes operators "
                                  b"written in Rust are the surprise of this season.\n", kind)
    downloads = server.downloads()
    result = podquote("refresh", "--index", followed)
    assert result.returncode == PARTIAL, result.stderr
    assert "0 new, 1 changed, 3 unchanged" in result.stdout, result.stdout
    assert server.downloads() == downloads + 1
    # Only the new cue's text is new: content hashes reuse every other embedding, of this episode and the others.
    assert 1 <= embedded(result.stdout) <= 2
    hits = search(followed, "Kubernetes operators written in Rust")
    assert hits[0]["speaker"] == "Michael Kennedy" and hits[0]["url"].endswith("525.mp3#t=600")


def test_an_episode_that_breaks_later_keeps_its_indexed_version(followed, server):
    assert podquote("refresh", "--index", followed, "--embedder", "fake").returncode == PARTIAL
    server.files["/t/526.srt"] = (b"\x00\x01 not subtitles", "application/x-subrip")
    result = podquote("refresh", "--index", followed)
    assert result.returncode == PARTIAL, result.stderr
    assert "Building Data Science" in result.stdout and "its indexed version is kept" in result.stdout
    assert search(followed, "foundation models data science")[0]["title"].startswith("Building Data Science")


def test_removed_items_are_dropped(followed, server):
    assert podquote("refresh", "--index", followed, "--embedder", "fake").returncode == PARTIAL
    body, kind = server.files["/feed.xml"]
    start = body.index(b"<item><title>anywidget")
    server.files["/feed.xml"] = (body[:start] + body[body.index(b"</item>", start) + 7:], kind)
    result = podquote("refresh", "--index", followed)
    assert result.returncode == PARTIAL, result.stderr
    assert "1 removed" in result.stdout
    titles = {hit["title"] for hit in search(followed, "Jupyter widgets")}
    assert "anywidget: Jupyter Widgets made easy" not in titles


def test_follow_refuses_what_is_not_a_feed(tmp_path, server):
    server.files["/page.html"] = (b"<html><body>Hello</body></html>", "text/html")
    result = podquote("follow", f"{server.base}/page.html", "--index", tmp_path / "index")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "page.html" in result.stderr
    missing = podquote("follow", f"{server.base}/nothing.xml", "--index", tmp_path / "index")
    assert missing.returncode == 1 and "HTTP 404" in missing.stderr
    scheme = podquote("follow", "ftp://example.org/feed.xml", "--index", tmp_path / "index")
    assert scheme.returncode == 1 and "ftp" in scheme.stderr
    assert not (tmp_path / "index" / "feeds.json").exists()


def test_refresh_without_feeds_and_help(tmp_path):
    result = podquote("refresh", "--index", tmp_path / "index")
    assert result.returncode == 1 and "podquote follow" in result.stderr
    for command in ("follow", "refresh", "feeds"):
        assert "Example" in podquote(command, "--help").stdout


def test_reindex_script_refreshes_a_local_feed_beside_other_sources(tmp_path, server, sources):
    publish(server)
    feed_file = tmp_path / "feed.xml"
    feed_file.write_bytes(server.files["/feed.xml"][0])
    index = tmp_path / "index"
    script = [sys.executable, str(PROJECT / "scripts" / "reindex.py"), "--index", str(index), "--embedder", "fake"]
    assert subprocess.run([*script, str(sources)], capture_output=True, text=True, timeout=300).returncode == 0
    assert podquote("follow", feed_file, "--index", index, "--name", "TP").returncode == 0
    first = subprocess.run(script, capture_output=True, text=True, timeout=300)
    assert first.returncode == PARTIAL, first.stderr  # built, and an episode failed: as `refresh` says it
    assert "episodes 4 new" in first.stdout and "failed TP: MCP Servers for Python Devs" in first.stdout
    assert search(index, "Ceph block file object storage")[0]["source"].startswith("sources/")
    assert search(index, "NiceGUI component based web apps", "--show", "TP")[0]["show"] == "TP"
    downloads = server.downloads()
    second = subprocess.run(script, capture_output=True, text=True, timeout=300)
    assert second.returncode == PARTIAL and "episodes 0 new, 0 changed, 4 unchanged" in second.stdout, second.stdout
    assert server.downloads() == downloads and "0 embedded" in second.stdout
    quiet = subprocess.run([*script, "--no-feeds"], capture_output=True, text=True, timeout=300)
    assert quiet.returncode == 0 and "feeds:" not in quiet.stdout and server.downloads() == downloads


def test_speaker_labels_resolve_only_when_one_person_fits():
    from podquote.feeds.episode_passages import resolve_speaker

    names = ["Jared Watts", "Michael Kennedy", "Michael Chow"]
    assert resolve_speaker("JW", names) == resolve_speaker("Jared", names) == "Jared Watts"
    assert resolve_speaker("watts", names) == "Jared Watts" and resolve_speaker("MK", names) == "Michael Kennedy"
    assert resolve_speaker("Kennedy", names) == "Michael Kennedy"
    assert resolve_speaker("Michael", names) == "Michael"  # two Michaels: left as written
    assert resolve_speaker("Speaker 1", names) == "Speaker 1"
