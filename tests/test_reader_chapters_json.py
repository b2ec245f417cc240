"""Podcasting 2.0 JSON chapters: one `chapter` passage per titled chapter, the publisher's title kept as written.

The realistic input is made at test time from a real 开源面对面 show-notes timeline in ../shared/corpus, written
out as the JSON chapters file a feed would link with `<podcast:chapters>`.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

import pytest
from helpers import CORPUS

from podquote.errors import UnreadableSource
from podquote.passage import Episode
from podquote.readers import choose_reader, read_document
from podquote.readers.chapters_json import ChaptersJsonReader

NOTES = CORPUS / "opensource-f2f-episode" / "shownotes" / "01-开源许可证在国内等于格式合同.md"
AUDIO = "https://example.org/audio/01.m4a"


def read(text: str, url: str | None = None):
    return ChaptersJsonReader().read(text, Episode(source="c.json", url=url), PurePosixPath("c.json"))


def chapters(*items: dict, **top) -> str:
    return json.dumps({"version": "1.2.0", **top, "chapters": list(items)}, ensure_ascii=False)


@pytest.fixture(scope="module")
def timeline():
    """(start, title) of every timed chapter of a real episode's show notes."""
    _, notes = read_document(NOTES, f"opensource-f2f-episode/shownotes/{NOTES.name}")
    found = [(p.start, p.text) for p in notes.passages if p.kind == "chapter" and p.start is not None]
    assert len(found) > 10
    return found


def test_real_timeline_as_json_chapters(timeline, tmp_path):
    items = [{"startTime": start, "title": title, "url": "https://opensource-f2f.example/", "img": "https://x/i.png"}
             for start, title in timeline]
    items.insert(3, {"startTime": timeline[2][0] + 5, "img": "https://x/map.png", "toc": False})  # artwork only
    items[-1]["endTime"] = timeline[-1][0] + 300
    path = tmp_path / "01.chapters.json"
    path.write_text(chapters(*items, title="开源许可证在国内等于格式合同", podcastName="开源面对面"), encoding="utf-8")
    fmt, document = read_document(path, "feeds/f2f/01.chapters.json")
    assert fmt == "chapters-json"
    passages = document.passages
    assert [(p.start, p.text) for p in passages] == timeline
    assert {p.kind for p in passages} == {"chapter"}
    # Each chapter ends where the next titled one starts; an artwork-only marker ends nothing.
    assert [p.end for p in passages] == [start for start, _ in timeline[1:]] + [timeline[-1][0] + 300]
    assert (document.episode.title, document.episode.show) == ("开源许可证在国内等于格式合同", "开源面对面")
    assert all(p.lang == "zh" for p in passages if not p.text.isascii())
    source = path.read_text(encoding="utf-8")
    assert all(source[p.char_start:p.char_end] == p.text for p in passages)


def test_titles_are_kept_as_written_and_link_into_the_audio():
    doc = read(chapters(
        {"startTime": 0, "title": "  Intro:   <b>Q&A</b>  —\n“quotes” & #hashtags  "},
        {"startTime": 94.5, "title": "Donation Segment", "toc": False},
        {"startTime": 168, "title": "Yeah."},
    ), url=AUDIO)
    titles = ["Intro: <b>Q&A</b> — “quotes” & #hashtags", "Donation Segment", "Yeah."]  # not even "Yeah." is dropped
    assert [p.text for p in doc.passages] == titles
    assert [p.url for p in doc.passages] == [f"{AUDIO}#t=0", f"{AUDIO}#t=94", f"{AUDIO}#t=168"]  # whole seconds
    assert [p.end for p in doc.passages] == [94.5, 168.0, None]


def test_out_of_order_chapters_and_their_own_end_times():
    doc = read(chapters(
        {"startTime": 260, "title": "Progress Report"},
        {"startTime": 0, "title": "Intro", "endTime": 30},
        {"startTime": 168, "title": "Hearing Aids", "endTime": 100},  # an end before the start is ignored
        {"startTime": "410.5", "title": "Namespace"},
    ))
    assert [(p.text, p.start, p.end) for p in doc.passages] == [
        ("Intro", 0.0, 30.0), ("Hearing Aids", 168.0, 260.0), ("Progress Report", 260.0, 410.5),
        ("Namespace", 410.5, None),
    ]
    assert doc.episode.title == "c"  # no title in the file: the file's name


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"version": "1.2.0", "chapters": [', "invalid JSON"),
        ('{"version": "1.2.0"}', 'no "chapters" list'),
        ('[{"startTime": 0, "title": "Intro"}]', 'no "chapters" list'),
        ('{"chapters": [{"title": "Intro"}]}', 'chapter 0 has no numeric "startTime"'),
        ('{"chapters": [{"startTime": -3, "title": "Intro"}]}', 'chapter 0 has no numeric "startTime"'),
        ('{"chapters": ["Intro"]}', 'chapter 0 has no numeric "startTime"'),
        ('{"chapters": []}', "no chapter has a title"),
        ('{"chapters": [{"startTime": 0, "img": "a.png"}, {"startTime": 9, "title": "  "}]}', "no chapter has a title"),
    ],
)
def test_broken_chapters_are_unreadable_with_a_reason(text, message):
    with pytest.raises(UnreadableSource, match=message):
        read(text)


def test_sniffing():
    text = chapters({"startTime": 0, "title": "Intro"})
    assert choose_reader(text, PurePosixPath("c.json")).name == "chapters-json"
    assert choose_reader(text, PurePosixPath("c.txt")).name == "chapters-json"
    transcript = json.dumps({"segments": [{"startTime": 0, "body": "Hi"}]})
    assert ChaptersJsonReader().sniff(transcript, PurePosixPath("t.json")) == 0
    assert choose_reader(transcript, PurePosixPath("t.json")).name == "podcast-json"
