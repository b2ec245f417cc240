"""Changelog-style Markdown transcripts: labels, sparse timestamps, notes, breaks, and episode identity."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podquote.passage import Episode
from podquote.readers import choose_reader, decode_source, read_document
from podquote.readers.base import collapse_space
from podquote.readers.changelog import ChangelogReader, clean_line, episode_info, parse_turns, speaker_name
from podquote.segment import MAX_CHARS

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "changelog"
EPISODE = FIXTURES / "podcast" / "the-changelog-999.md"
NEWS = FIXTURES / "news" / "changelog-news-7.md"


@pytest.fixture(scope="module")
def episode():
    fmt, document = read_document(EPISODE, "fixtures/changelog/podcast/the-changelog-999.md")
    assert fmt == "changelog"
    return document


def by_text(document, words: str):
    return next(p for p in document.passages if words in p.text)


def test_episode_identity_comes_from_the_path(episode):
    ep = episode.episode
    assert (ep.episode, ep.show, ep.title) == ("changelog/podcast/999", "The Changelog", "The Changelog #999")
    assert ep.url == "https://changelog.com/podcast/999"


@pytest.mark.parametrize(
    "path, expected",
    [
        ("podcast/the-changelog-375.md", ("changelog/podcast/375", "The Changelog", "https://changelog.com/podcast/375")),
        ("corpus/thechangelog-transcripts/gotime/go-time-20.md", ("changelog/gotime/20", "Go Time", "https://changelog.com/gotime/20")),
        ("friends/changelog--friends-56.md", ("changelog/friends/56", "Changelog & Friends", "https://changelog.com/friends/56")),
        ("shipit/ship-it-31.md", ("changelog/shipit/31", "Ship It!", "https://changelog.com/shipit/31")),
        ("jsparty/js-party-48.md", ("changelog/jsparty/48", "JS Party", "https://changelog.com/jsparty/48")),
        ("practicalai/practical-ai-250.md", ("changelog/practicalai/250", "Practical AI", "https://changelog.com/practicalai/250")),
        ("news/changelog-news-181.md", ("changelog/news/181", "Changelog News", "https://changelog.com/news/181")),
        ("founderstalk/founders-talk-61.md", ("changelog/founderstalk/61", "Founders Talk", "https://changelog.com/founderstalk/61")),
        ("backstage/backstage-12.md", ("changelog/backstage/12", "Backstage", "https://changelog.com/backstage/12")),
        ("bigtent/big-tent-s2e5.md", ("changelog/bigtent/s2e5", "Big Tent", "https://bigtent.fm/s2/5")),
        ("friends/changelog--friends-plusplus-ato-1.md", ("changelog/friends/plusplus-ato-1", "Changelog & Friends", None)),
        ("the-changelog-568.md", ("changelog/podcast/568", "The Changelog", "https://changelog.com/podcast/568")),
        ("afterhours/after-hours-3.md", ("changelog/afterhours/3", "afterhours", "https://changelog.com/afterhours/3")),
    ],
)
def test_episode_info_for_every_show(path, expected):
    episode_id, show, _title, url = episode_info(PurePosixPath(path))
    assert (episode_id, show, url) == expected


def test_speakers_both_label_styles_and_glitches(episode):
    speakers = {p.speaker for p in episode.passages}
    assert speakers == {"Jerod Santo", "Jared Watts", "Adam Stacoviak"}
    assert by_text(episode, "Thanks for having me").speaker == "Jared Watts"  # **Name**: style
    assert by_text(episode, "compose cloud services").speaker == "Jared Watts"  # **NAME: Jared Watts:**
    assert speaker_name("NAME: Jerod Santo") == "Jerod Santo"
    assert speaker_name("Jerod Santo: ") == "Jerod Santo"


def test_unlabelled_paragraphs_continue_the_speaker(episode):
    assert by_text(episode, "long road to get there").speaker == "Jared Watts"
    assert by_text(episode, "platform team care").speaker == "Adam Stacoviak"


def test_two_labels_in_one_paragraph_are_two_turns(episode):
    assert by_text(episode, "5* rating").speaker == "Jerod Santo"
    assert by_text(episode, "one big VM").speaker == "Jared Watts"


def test_breaks_and_jingles_are_not_speech_but_their_times_count(episode):
    assert not any("Break" in (p.speaker or "") or "Jingle" in (p.speaker or "") for p in episode.passages)
    assert by_text(episode, "5* rating").start == 605  # **Break:** \[10:05\]
    after_jingle = by_text(episode, "after the jingle")
    assert (after_jingle.speaker, after_jingle.start) == ("Jared Watts", 7080)  # the last speaker goes on


def test_every_timestamp_form_and_place(episode):
    turns = parse_turns(EPISODE.read_text(encoding="utf-8"))
    marks = [m.start for t in turns for m in t.marks]
    # after a label, at a paragraph start, mid-paragraph, \[100:08\] alone on a line, frames, unescaped, stray "\\"
    assert marks == [195, 242, 400, 6008, 6030, 6300.5, 6600]
    crossplane = next(t for t in turns if "compose cloud services" in t.text)
    (mark,) = crossplane.marks
    assert crossplane.text[mark.offset:].startswith(" That was the idea")  # where \[06:40\] stood


def test_times_carry_forward_and_end_at_the_next_time(episode):
    first = episode.passages[0]
    assert (first.start, first.end) == (0.0, 195.0)  # before the first timestamp: the start of the episode
    adam = by_text(episode, "what does Crossplane add")
    assert (adam.start, adam.end) == (195.0, 242.0)
    assert by_text(episode, "compose cloud services").start == 242.0  # \[06:40\] is inside this passage
    assert by_text(episode, "disk fills up").start == 6008.0
    assert by_text(episode, "object storage support").start == 6600.0
    starts = [p.start for p in episode.passages]
    assert starts == sorted(starts)


def test_deep_links_point_at_the_passage_start(episode):
    assert by_text(episode, "what does Crossplane add").url == "https://changelog.com/podcast/999#t=195"
    assert episode.passages[0].url == "https://changelog.com/podcast/999#t=0"


def test_notes_are_removed_and_never_read_as_times(episode):
    text = " ".join(p.text for p in episode.passages)
    for gone in ("laughs", "cross-talk", "unintelligible", "\\[", "\\]", "\x1d", "05:13", "03:20"):
        assert gone not in text
    assert clean_line(r"Sure \[laughter\] \[unintelligible 01:53:19.20\] ok \[they\]")[0] == "Sure   ok [they]"
    assert clean_line(r"\[00: .25\] broken stamp")[1] == []


def test_inline_markdown_is_cleaned(episode):
    graduated = by_text(episode, "We graduated")
    assert "We graduated in the CNCF a while ago." in graduated.text
    assert "really the community" in graduated.text and "_" not in graduated.text
    assert "5* rating" in by_text(episode, "rating").text  # \* unescaped
    assert clean_line(r'"Ah, s\*\*t..." when the \*bleep\* hits') == ('"Ah, s**t..." when the *bleep* hits', [])


def test_filler_turns_are_dropped(episode):
    assert not any(p.text == "Yeah." for p in episode.passages)


def test_char_spans_point_into_the_file(episode):
    source = decode_source(EPISODE.read_bytes(), str(EPISODE))
    for passage in episode.passages:
        raw = source[passage.char_start:passage.char_end]
        assert raw.split()[0].strip("\\*") in passage.text
        assert raw.rstrip().endswith(passage.text[-5:])


def test_news_labels_alone_on_a_line_and_weekday_lists():
    fmt, document = read_document(NEWS, "changelog/news/changelog-news-7.md")
    assert fmt == "changelog"
    assert {p.speaker for p in document.passages} == {"Jerod Santo"}
    assert any("Monday: We talk to the Ceph team" in p.text for p in document.passages)
    assert any(p.text.startswith("That is the news for now") for p in document.passages)  # after a Break
    assert all(p.start is None for p in document.passages)  # no timestamp anywhere: times are unknown
    assert document.episode.url == "https://changelog.com/news/7"


def test_front_matter_is_not_speech():
    text = "---\ntitle: Storage\nguests: [Jared Watts]\n---\n\n" + EPISODE.read_text(encoding="utf-8")
    document = ChangelogReader().read(text, Episode(source="x.md"), PurePosixPath("podcast/the-changelog-999.md"))
    assert document.passages[0].text.startswith("Welcome to The Changelog")
    assert all(p.speaker for p in document.passages)


def test_out_sniffs_the_article_reader():
    text = EPISODE.read_text(encoding="utf-8")
    assert choose_reader(text, PurePosixPath("podcast/the-changelog-999.md")).name == "changelog"
    headed = "# Episode 999\n\n" + text  # even with a heading an article reader would love
    assert choose_reader(headed, PurePosixPath("podcast/the-changelog-999.md")).name == "changelog"


# Property: generated transcripts with random labels, timestamps and notes.
_WORDS = st.sampled_from(["storage", "Rook", "operators", "Kubernetes", "Ceph", "cluster", "we", "ship", "it"])
_SENTENCE = st.lists(_WORDS, min_size=3, max_size=25).map(lambda w: " ".join(w).capitalize() + ".")
_NOTE = st.sampled_from([r"\[laughs\]", r"\[cross-talk 00:12:34.56\]", r"\[unintelligible 01:53:19.20\]", ""])
_STAMP_FORMS = [
    lambda s: f"\\[{s // 60:02d}:{s % 60:02d}\\]",
    lambda s: f"\\[{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.25\\]",
    lambda s: f"\\[{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:12\\]",
    lambda s: f"[{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.50]",
]


@st.composite
def transcripts(draw):
    lines, clock = [], 0
    for _ in range(draw(st.integers(1, 25))):
        stamp = ""
        if draw(st.booleans()):
            clock += draw(st.integers(1, 900))
            stamp = draw(st.sampled_from(_STAMP_FORMS))(clock) + " "
        body = " ".join(draw(st.lists(_SENTENCE, min_size=1, max_size=8)))
        note = draw(_NOTE)
        kind = draw(st.sampled_from(["label", "label", "continue", "break", "alone"]))
        if kind == "label":
            name = draw(st.sampled_from(["Jerod Santo", "Adam Stacoviak", "Jared Watts"]))
            lines.append(f"**{name}:** {stamp}{body} {note}")
        elif kind == "continue":
            lines.append(f"{stamp}{body} {note}")
        elif kind == "break":
            lines.append(f"**Break:** {stamp}")
        else:
            lines.append(f"**Jerod Santo:**\n\n{stamp}{body}")
    return "\n\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None)
@given(transcripts())
def test_generated_transcripts_keep_times_order_faithful_text_and_bounds(text):
    document = ChangelogReader().read(text, Episode(source="p/the-changelog-1.md"), PurePosixPath("podcast/the-changelog-1.md"))
    turns = [collapse_space(t.text) for t in parse_turns(text)]
    starts = [p.start for p in document.passages if p.start is not None]
    assert starts == sorted(starts)
    cursor = 0
    for passage in document.passages:
        assert len(passage.text) <= MAX_CHARS
        assert "laughs" not in passage.text and "\\[" not in passage.text
        # a faithful slice of a cleaned turn, turns in file order
        while cursor < len(turns) and passage.text not in turns[cursor]:
            cursor += 1
        assert cursor < len(turns), passage.text
