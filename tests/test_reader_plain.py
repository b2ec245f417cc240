"""Plain text stays the fallback; a long paragraph is cut between sentences like a long turn."""

from __future__ import annotations

from pathlib import PurePosixPath

from podquote.passage import Episode
from podquote.readers.plain import PlainTextReader
from podquote.segment import MAX_CHARS


def test_short_paragraphs_stay_whole_and_long_ones_are_cut_between_sentences():
    long_paragraph = "Operators encode what an administrator knows about storage. " * 30
    text = f"A short note.\n\n{long_paragraph}\n"
    document = PlainTextReader().read(text, Episode(source="n.txt"), PurePosixPath("n.txt"))
    assert document.passages[0].text == "A short note."
    rest = document.passages[1:]
    assert len(rest) > 1
    assert all(len(p.text) <= MAX_CHARS and p.text.endswith("storage.") for p in rest)
    assert all(text[p.char_start:p.char_end] == p.text for p in document.passages)


def test_lists_of_files_are_not_passages():
    from pathlib import PurePosixPath

    from podquote.passage import Episode
    from podquote.readers.plain import PlainTextReader

    text = "friends/changelog--friends-56.md\nshipit/ship-it-116.md\ngotime/go-time-326.md\n\nA real sentence here.\n"
    document = PlainTextReader().read(text, Episode(source="x/list.txt"), PurePosixPath("x/list.txt"))
    assert [p.text for p in document.passages] == ["A real sentence here."]
