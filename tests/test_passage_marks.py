"""A hit's moment: the time its best sentence is said, from the cue times kept inside a passage (Passage.marks).

A passage joins several cues of one speaker; its `start` is the first cue's. These tests put the phrase searched for
in a later cue and check the hit links to that cue's second, through the reader, the index (a real SQLite file and
FAISS index, the fake embedder) and the HTTP API.
"""

from __future__ import annotations

import sqlite3

from fastapi.testclient import TestClient

from feed_server import as_vtt

from podquote import Collection, build_index
from podquote.api.app import create_app
from podquote.mcp.answers import search_quotes
from podquote.metadata import DB_FILE, Filters, MetadataStore
from podquote.readers import read_document
from podquote.store import current_generation

CUES = [  # (start, text): one speaker, short cues, so they make one passage
    (61.0, "We planted tomatoes in the spring."),
    (65.5, "Then the rain came and the river rose over the fields."),
    (72.25, "Nobody expected the harvest to survive that week."),
    (80.0, "In the end the cellar was full of jars by October."),
]


def _vtt(cues) -> str:
    return as_vtt([(start, start + 4, "Ann Lee", text) for start, text in cues]).decode("utf-8")


def _episode(tmp_path):
    folder = tmp_path / "show"
    folder.mkdir()
    (folder / "harvest.vtt").write_text(_vtt(CUES), encoding="utf-8")
    return folder


def test_a_passage_keeps_the_times_of_the_cues_inside_it(tmp_path):
    path = _episode(tmp_path) / "harvest.vtt"
    _, document = read_document(path, "show/harvest.vtt")
    [passage] = document.passages
    assert passage.start == 61.0
    assert [seconds for _, seconds in passage.marks] == [65.5, 72.25, 80.0]
    for (at, seconds), (_, text) in zip(passage.marks, CUES[1:]):
        assert passage.text[at:].startswith(text)
        assert passage.time_at(at + 5) == seconds
    assert passage.time_at(0) == 61.0


def test_a_hit_links_to_the_moment_its_sentence_is_said(tmp_path, fake):
    index = tmp_path / "index"
    build_index(index, [_episode(tmp_path)], embedder="fake")
    with Collection.open(index) as collection:
        hit = collection.search("harvest survive that week", k=1)[0]
    lo, _ = hit.highlight
    assert hit.passage.text[lo:].startswith("Nobody expected the harvest")
    assert (hit.passage.start, hit.moment) == (61.0, 72.25)
    assert hit.passage.url is None and hit.moment_url is None  # a file with no episode link: nothing to link

    with TestClient(create_app(index)) as client:
        found = client.get("/search", params={"q": "harvest survive that week", "k": 1}).json()["hits"][0]
    assert (found["start"], found["moment"]) == (61.0, 72.25)


def test_the_moment_url_is_the_episode_link_at_that_second(tmp_path, fake):
    folder = tmp_path / "talk-python"  # Talk Python's `NNN-slug` files link to their episode page
    folder.mkdir()
    (folder / "123-harvest.vtt").write_text(_vtt(CUES), encoding="utf-8")
    index = tmp_path / "index"
    build_index(index, [folder], embedder="fake")
    with Collection.open(index) as collection:
        hit = collection.search("cellar full of jars by October", k=1)[0]
    assert hit.passage.url == "https://talkpython.fm/episodes/show/123/harvest#t=61"
    assert (hit.moment, hit.moment_url) == (80.0, "https://talkpython.fm/episodes/show/123/harvest#t=80")
    with Collection.open(index) as collection:  # what an assistant gets from search_quotes
        quote = search_quotes(collection, "cellar full of jars by October", k=1).hits[0]
    assert (quote.at, quote.highlight_at, quote.highlight_link) == ("1:01", "1:20", hit.moment_url)


def test_unchanged_files_keep_their_marks_when_an_index_is_updated(tmp_path, fake):
    index = tmp_path / "index"
    folder = _episode(tmp_path)
    build_index(index, [folder], embedder="fake")
    report = build_index(index, [folder], embedder="fake")
    assert report.files_unchanged == 1  # copied from the served generation, not read again
    with Collection.open(index) as collection:
        assert collection.search("river rose over the fields", k=1)[0].moment == 65.5


def test_an_index_written_before_marks_reads_on_without_them(tmp_path, fake):
    index = tmp_path / "index"
    build_index(index, [_episode(tmp_path)], embedder="fake")
    db = tmp_path / DB_FILE
    db.write_bytes((current_generation(index) / DB_FILE).read_bytes())
    with sqlite3.connect(db) as connection:
        connection.execute("DROP TABLE passage_marks")
    store = MetadataStore(db, readonly=True)
    try:
        [(vid, (passage, _, _))] = store.by_vids(store.vids_matching(Filters())).items()
        assert passage.marks == () and passage.time_at(100) == 61.0
        assert store.marks_of([vid]) == {}
    finally:
        store.close()
