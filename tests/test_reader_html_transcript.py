"""Podcasting 2.0 HTML transcripts: `<cite>` the speaker, `<time>` the start, `<p>` the text, nested as publishers do.

The realistic inputs are made at test time from real Talk Python captions in ../shared/corpus, written out in the
HTML form (in the spec's flat layout and in a nested one); the reader must give back what the WebVTT reader
reads from the captions themselves.
"""

from __future__ import annotations

import html
from pathlib import PurePosixPath

import pytest
from helpers import CORPUS
from test_reader_podcast_json import SpokenCue, spoken_cues

from podquote.errors import UnreadableSource
from podquote.passage import Episode
from podquote.readers import choose_reader, read_document
from podquote.readers.html_transcript import HtmlTranscriptReader
from podquote.segment import MAX_CHARS

VTT = CORPUS / "talk-python-transcripts" / "transcripts" / "528-python-apps-with-llm-building-blocks.vtt"


def clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def flat(cues: list[SpokenCue]) -> str:
    """The spec's layout: `<cite>` when the speaker changes, then `<time>` and `<p>` for every cue."""
    lines = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'><title>Episode 528</title></head><body>"]
    speaker = None
    for cue in cues:
        if cue.speaker and cue.speaker != speaker:
            speaker = cue.speaker
            lines.append(f"<cite>{html.escape(speaker)}:</cite>")
        lines.append(f"<time>{clock(cue.start)}</time>\n<p>{html.escape(cue.text)}</p>")
    return "\n".join(lines + ["</body></html>"])


def nested(cues: list[SpokenCue]) -> str:
    """Another publisher's layout: each cue a `<div>`, the speaker and time inside the `<p>`, text in inline tags."""
    parts = ["<html><body><main><h1>Talk Python 528</h1>"]
    for cue in cues:
        who = f"<cite>{html.escape(cue.speaker)} :</cite> " if cue.speaker else ""
        first, _, rest = cue.text.partition(" ")
        parts.append(f'<div class="seg"><p>{who}<time datetime="PT{cue.start:.0f}S">{clock(cue.start)}</time> '
                     f"<span>{html.escape(first)}</span> {html.escape(rest)}</p></div>")
    return "".join(parts + ["</main></body></html>"])


def read(text: str, name: str = "x.html"):
    return HtmlTranscriptReader().read(text, Episode(source=name), PurePosixPath(name))


@pytest.fixture(scope="module")
def captions():
    return read_document(VTT, f"talk-python-transcripts/{VTT.name}")[1]


@pytest.mark.parametrize("layout", [flat, nested])
def test_real_episode_reads_back_the_captions(layout, captions, tmp_path):
    path = tmp_path / "528.html"
    path.write_text(layout(spoken_cues(VTT)), encoding="utf-8")
    fmt, document = read_document(path, "feeds/528.html")
    assert fmt == "html-transcript"
    mine, theirs = document.passages, captions.passages
    assert [p.text for p in mine] == [p.text for p in theirs]
    assert [p.speaker for p in mine] == [p.speaker for p in theirs]
    assert all(abs(a.start - b.start) < 1.0 for a, b in zip(mine, theirs))  # <time> holds whole seconds
    assert all(p.end is not None and p.end >= p.start for p in mine[:-1])
    assert max(len(p.text) for p in mine) <= MAX_CHARS and all(p.kind == "quote" for p in mine)
    assert set(document.episode.speakers) == set(captions.episode.speakers)
    source = path.read_text(encoding="utf-8")
    spans = [html.unescape(source[p.char_start:p.char_end]) for p in mine]
    assert sum(s.startswith(p.text.split()[0]) for s, p in zip(spans, mine)) >= 0.9 * len(mine)


def test_title_and_speaker_labels():
    doc = read("<html><head><title> Episode  7 </title></head><body>"
               "<cite>Alban :</cite><time>0:09</time><p>You're triggering Tom right now with a cool feature.</p>"
               "<cite>Kevin:</cite><time>1:02:03</time><p>We plan to let you upload artwork for videos.</p>"
               "</body></html>")
    assert doc.episode.title == "Episode 7"
    assert [(p.speaker, p.start, p.end) for p in doc.passages] == [("Alban", 9.0, 3723.0), ("Kevin", 3723.0, None)]


def test_a_fragment_without_html_or_body():
    doc = read("<cite>Kevin:</cite>\n<time>0:00</time>\n<p>We have an update planned for artwork files.</p>\n"
               "<time>0:05</time>\n<p>So every video gets its own picture &amp; title.</p>")
    assert [p.text for p in doc.passages] == [
        "We have an update planned for artwork files. So every video gets its own picture & title."
    ]
    assert doc.passages[0].speaker == "Kevin" and doc.passages[0].start == 0.0


def test_without_cite_or_time_text_is_still_read():
    doc = read("<p>Nobody is named here, and no time is given either.</p><p>Second paragraph here.</p>")
    assert [(p.kind, p.speaker, p.start) for p in doc.passages] == [
        ("turn", None, None)
    ]


def test_without_paragraphs_the_body_text_is_read():
    doc = read("<body><cite>Ann:</cite> <time>00:00:05</time> Storage was hard on Kubernetes.<br>"
               "It is routine now.<cite>Bo:</cite><time>00:00:09</time>Backups are what everyone forgets.</body>")
    assert [(p.speaker, p.start, p.text) for p in doc.passages] == [
        ("Ann", 5.0, "Storage was hard on Kubernetes. It is routine now."),
        ("Bo", 9.0, "Backups are what everyone forgets."),
    ]


def test_bad_times_keep_the_time_before_and_scripts_are_not_text():
    doc = read("<cite>Ann:</cite><time>0:05</time><p>Replication keeps data alive.</p><script>var x = 1;</script>"
               "<time>soon</time><p>Even when a disk dies.</p><!-- a comment --><style>p {}</style>")
    assert [(p.text, p.start) for p in doc.passages] == [("Replication keeps data alive. Even when a disk dies.", 5.0)]


@pytest.mark.parametrize(
    "text, message",
    [
        ("<html><body><cite>Ann:</cite><time>0:00</time></body></html>", "no transcript text"),
        ("<html><body><p>   </p></body></html>", "no transcript text"),
        ("<!-- -->", "unreadable HTML"),
    ],
)
def test_unreadable_html(text, message):
    with pytest.raises(UnreadableSource, match=message):
        read(text)


def test_sniffing():
    transcript = "<cite>Kevin:</cite>\n<time>0:00</time>\n<p>We have an update planned.</p>"
    assert choose_reader(transcript, PurePosixPath("t.html")).name == "html-transcript"
    assert choose_reader(transcript, PurePosixPath("t.txt")).name == "html-transcript"
    assert HtmlTranscriptReader().sniff("<html><body><p>An article</p></body></html>", PurePosixPath("a.html")) == 0
    # Markdown that mentions the tags is no HTML transcript.
    assert HtmlTranscriptReader().sniff("# Notes\n\nUse <cite> and <time> tags.", PurePosixPath("a.md")) == 0
    assert choose_reader("# Notes\n\nUse <cite> and <time> tags.", PurePosixPath("a.md")).name == "article"
