"""`podquote refresh` when things go wrong, through the CLI: each failure named, the rest indexed, nothing lost.

The server and feed helpers are tests/feed_server.py's (a real HTTP server on 127.0.0.1, the shared corpus's
Talk Python transcripts, the fake embedder). The misbehaving answers are real: a server that does not answer in
time, a 50 MB transcript generated while it is streamed (no Content-Length, so only the client's limit stops it),
a redirect loop, and a feed whose XML is cut off.
"""

from __future__ import annotations

import json
import time

from feed_server import as_vtt, item, podquote, rss, search, vtt_cues

BIG = 50 << 20
EPISODES = {  # guid -> (title, what its transcript does at the second refresh, corpus file)
    "528": ("Python apps with LLM building blocks", "timed out", "528-python-apps-with-llm-building-blocks.vtt"),
    "531": ("Talk Python in production", "larger than 20 MB", "531-talk-python-in-prod.vtt"),
    "532": ("Python 2025 year in review", "too many redirects", "532-python-2025-year-in-review.vtt"),
    "533": ("Web frameworks in prod by their creators", None, "533-web-frameworks-in-prod-by-their-creators.vtt"),
}
ADDED = ("536", "Fly inside FastAPI Cloud", "536-fly-inside-fastapi-cloud.vtt")  # new at the second refresh


def slow(handler) -> None:
    time.sleep(2)  # longer than --timeout 0.3, and than its retries
    reply(handler, 200, b"WEBVTT\n")


def big(handler) -> None:
    """50 MB of WebVTT-looking text, made as it is sent, until the client hangs up."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/vtt")
    handler.end_headers()
    block, sent = b"00:00:01.000 --> 00:00:02.000\nstreamed text\n\n" * 1024, 0
    try:
        while sent < BIG:
            handler.wfile.write(block)
            sent += len(block)
    except (BrokenPipeError, ConnectionResetError):
        pass


def loop(handler) -> None:
    reply(handler, 302, headers={"Location": "/loop-b" if handler.path == "/loop-a" else "/loop-a"})


def reply(handler, status: int, body: bytes = b"", headers: dict | None = None) -> None:
    try:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up first: that was the point


def quote(cues) -> str:
    """A line only this episode says: its longest cue."""
    return max((text for *_, text in cues), key=len)


def serve(server, episodes: dict[str, tuple[str, str]]) -> dict[str, str]:
    """Serve each (title, corpus file) as /t/<guid>.vtt; the quote of each guid."""
    quotes = {}
    for guid, (_, name) in episodes.items():
        cues = vtt_cues(name)
        server.files[f"/t/{guid}.vtt"] = (as_vtt(cues), "text/vtt")
        quotes[guid] = quote(cues)
    return quotes


def items(server, episodes: dict[str, tuple[str, str]]) -> str:
    return "".join(item(server.base, guid, title, day, [(f"/t/{guid}.vtt", "text/vtt")])
                   for day, (guid, (title, _)) in enumerate(episodes.items(), 1))


def test_each_failure_is_named_the_rest_indexed_and_earlier_versions_stay(tmp_path, server):
    main = {guid: (title, name) for guid, (title, _, name) in EPISODES.items()}
    other = {"535": ("PyView: real-time Python web apps", "535-pyview-real-time-python-web-apps.vtt")}
    quotes = serve(server, main) | serve(server, other)
    server.files["/shows.xml"] = rss("Failing Show", items(server, main))
    server.files["/other.xml"] = rss("Other Show", items(server, other))
    index = tmp_path / "index"
    for feed in ("/shows.xml", "/other.xml"):
        assert podquote("follow", server.base + feed, "--index", index).returncode == 0
    first = podquote("refresh", "--index", index, "--embedder", "fake")
    assert first.returncode == 0, first.stdout + first.stderr  # every episode refreshed: 0
    assert "episodes 5 new, 0 changed, 0 unchanged, 0 failed" in first.stdout, first.stdout

    # Three transcripts go bad, the second feed's XML is cut off, and the first feed gains an episode.
    server.routes.update({"/t/528.vtt": slow, "/t/531.vtt": big, "/t/532.vtt": loop, "/loop-a": loop,
                          "/loop-b": loop})
    server.files["/t/531.vtt"] = server.files["/t/532.vtt"] = (b"changed", "text/vtt")  # else a 304
    main_now = main | {ADDED[0]: ADDED[1:]}
    quotes |= serve(server, {ADDED[0]: ADDED[1:]})
    server.files["/shows.xml"] = rss("Failing Show", items(server, main_now))
    server.files["/other.xml"] = (rss("Other Show", items(server, other))[0][:300], "application/rss+xml")
    started = time.monotonic()
    second = podquote("refresh", "--index", index, "--timeout", "0.3")
    out = second.stdout
    assert second.returncode == 3, out + second.stderr  # some failed, the rest indexed
    assert "Traceback" not in second.stderr and time.monotonic() - started < 60
    assert "episodes 1 new, 0 changed, 1 unchanged, 3 failed" in out, out
    failed = [line for line in out.splitlines() if line.strip().startswith("failed")]
    for guid, (title, why, _) in EPISODES.items():
        if why:
            [line] = [line for line in failed if f"Failing Show: {title}:" in line]
            assert why in line and "its indexed version is kept" in line, line
    [broken] = [line for line in failed if "feed Other Show" in line]
    assert "malformed XML" in broken and "kept as they were" in broken, broken
    # The 50 MB body was cut at the limit, not read: the refresh stays quick and small (see test_feed_fetch.py).

    # Every episode is searchable: the failed ones as indexed before, the new one, the broken feed's.
    titles = dict(main_now) | other
    for guid, text in quotes.items():
        found = [hit for hit in search(index, text) if hit["title"] == titles[guid][0]]
        assert found, guid  # among the top 5: intros repeat across episodes
    listed = {f["show"]: f for f in json.loads(podquote("feeds", "--index", index, "--json").stdout)}
    assert listed["Other Show"]["last_error"] and "malformed XML" in listed["Other Show"]["last_error"]
    assert listed["Failing Show"]["episodes"] == 5 and listed["Other Show"]["episodes"] == 1


def test_a_second_refresh_of_the_same_index_fails_at_once(tmp_path, server):
    from podquote.feeds.lock import feeds_lock

    server.files["/shows.xml"] = rss("Show", "")
    index = tmp_path / "index"
    assert podquote("follow", server.base + "/shows.xml", "--index", index).returncode == 0
    requests = len(server.log)
    with feeds_lock(index):  # as a refresh running in another process holds it
        second = podquote("refresh", "--index", index, "--embedder", "fake")
        follow = podquote("follow", server.base + "/shows.xml", "--index", index, "--lang", "en")
    for result in (second, follow):
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "another `podquote refresh`" in result.stderr
    assert len(server.log) == requests + 1  # the refresh fetched nothing; the follow only checked the feed
    [feed] = json.loads((index / "feeds.json").read_text())["feeds"]
    assert feed["lang"] is None  # the refused follow changed nothing


def test_the_fetch_timeout_comes_from_the_option_else_the_environment(monkeypatch):
    from podquote.feeds.follow import new_fetcher

    assert new_fetcher().timeout == 20
    monkeypatch.setenv("PODQUOTE_FETCH_TIMEOUT", "0.5")
    with new_fetcher() as env, new_fetcher(3) as given:
        assert (env.timeout, given.timeout) == (0.5, 3)
    bad = podquote("refresh", "--timeout", "0", "--index", "nowhere")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr  # typer's usage error for a timeout below 0.01
