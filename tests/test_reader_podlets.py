"""The Podlets transcripts: front matter, section markers, `[time] XX:` turns and initials resolved to names."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from podquote.errors import UnreadableSource
from podquote.passage import Episode
from podquote.readers import choose_reader, decode_source, read_document
from podquote.readers.podlets import PodletsReader, parse_turns, resolve_speakers
from podquote.readers.turns import Turn
from podquote.timecode import media_fragment

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "podlets" / "_episodes" / "023-fixture-storage.md"
CORPUS_EPISODES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "thepodlets" / "site" / "_episodes"


@pytest.fixture(scope="module")
def document():
    fmt, doc = read_document(FIXTURE, "fixtures/podlets/_episodes/023-fixture-storage.md")
    assert fmt == "podlets"
    return doc


def by_text(document, words: str):
    return next(p for p in document.passages if words in p.text)


def test_front_matter_gives_the_episode(document):
    ep = document.episode
    assert (ep.episode, ep.show, ep.title) == ("podlets/23", "The Podlets", "Storage, State and the Network")
    assert ep.url == "https://www.youtube.com/watch?v=abcDEF12345"  # the embed URL as its watch page


def test_initials_resolve_to_full_names_by_safe_rules(document):
    speakers = document.episode.speakers
    assert speakers["CC"] == "Carlisia Thompson"  # "I am Carlisia Thompson": initials alone would say CT
    assert speakers["KH"] == "Kelsey Hightower"  # initials of a guest
    assert speakers["NL"] == "Nicholas Lane"  # initials of a host
    assert speakers["D"] == "Duffie Cooley"  # the only person whose name starts with D
    assert speakers["DC"] == "Duffie Cooley"
    assert speakers["DCC"] == "Duffie Cooley"  # a key pressed twice
    assert speakers["MICHAEL"] == "Michael Gasch"  # a first name as label
    assert speakers["ANNOUNCER"] == "Announcer"
    assert speakers["ZZ"] == "ZZ"  # no safe rule: the label is kept


def test_section_markers_and_episode_line_are_not_text(document):
    text = " ".join(p.text for p in document.passages)
    for marker in ("EPISODE 023", "[INTRODUCTION]", "[INTERVIEW]", "[END", "[ANNOUNCER]"):
        assert marker not in text


def test_every_passage_has_a_start_time_and_a_deep_link(document):
    assert all(p.start is not None for p in document.passages)
    intro = by_text(document, "Welcome to The Podlets Podcast")
    assert (intro.speaker, intro.start) == ("Announcer", 0.0)  # an [ANNOUNCER] section without a timestamp
    kelsey = by_text(document, "stops being stateless")
    assert (kelsey.start, kelsey.end) == (50.5, 70.0)
    assert kelsey.url == media_fragment("https://www.youtube.com/watch?v=abcDEF12345", 50.5)
    assert by_text(document, "remember sessions").start == 115.0  # [00:01:55] style
    starts = [p.start for p in document.passages]
    assert starts == sorted(starts)


def test_label_less_paragraphs_continue_and_notes_are_removed(document):
    kelsey = by_text(document, "move databases into a cluster")
    assert kelsey.speaker == "Kelsey Hightower"
    assert "inaudible" not in kelsey.text and "0:01:02" not in kelsey.text


def test_slipped_turn_lines_are_still_turns(document):
    assert by_text(document, "reconciling toward").speaker == "Nicholas Lane"  # "NL Yeah" without colon
    assert by_text(document, "network side matters").speaker == "Duffie Cooley"  # "[0:01:45.3 DC:"
    assert by_text(document, "network side matters").start == 105.3


def test_filler_and_markdown(document):
    assert not any(p.text == "Right." for p in document.passages)
    assert "Rook is a good example" in by_text(document, "codified system administrators").text


def test_char_spans_point_into_the_file(document):
    source = decode_source(FIXTURE.read_bytes(), str(FIXTURE))
    for passage in document.passages:
        assert source[passage.char_start:passage.char_end].startswith(passage.text[:20])


def test_introductions_answered_by_a_new_label():
    turns = [
        Turn("D", text="Good afternoon, my name is Duffy. We also have Josh and Carlisia and Patrick Barker."),
        Turn("PB", text="Hey, I am an upstream contributor."),
        Turn("CC", text="Glad to be here."),
        Turn("BL", text="And joining us for the first time, we have John Harris."),
        Turn("JH", text="Hey everyone."),
    ]
    people = ["Carlisia Thompson", "Josh Rosso", "Duffie Cooley", "Patrick Barker"]
    names = resolve_speakers(turns, people)
    assert names["CC"] == "Carlisia Thompson"
    assert names["JH"] == "John Harris"  # not in the front matter, but introduced with matching initials
    assert names["PB"] == "Patrick Barker"
    assert "BL" not in names  # nobody with those initials, nobody introduced


def test_ambiguous_labels_stay_unresolved():
    turns = [Turn("HOST", text="We have Carlisia and Carl with us."), Turn("CA", text="Hi.")]
    assert "CA" not in resolve_speakers(turns, ["Carlisia Thompson", "Carl Adams"] + ["Carol Ames"])
    turns = [Turn("J", text="Hello.")]
    assert "J" not in resolve_speakers(turns, ["Josh Rosso", "Joe Beda"])  # two people start with J


def test_parse_turns_carries_time_to_unlabelled_lines():
    text = "[0:00:10.0] CC: First.\n\nStill Carlisia.\n\n[0:00:20.0] I am a timestamped continuation.\n"
    (turn,) = parse_turns(text)
    assert turn.carry == 10.0
    assert [(m.start, turn.text[m.offset:][:4]) for m in turn.marks] == [(20.0, "I am")]


def test_invalid_front_matter_is_unreadable():
    text = "---\ntitle: [unclosed\n---\n[0:00:08.7] ANNOUNCER: Welcome.\n[0:00:09.7] CC: Hi.\n"
    with pytest.raises(UnreadableSource, match="invalid YAML front matter"):
        PodletsReader().read(text, Episode(source="x.md"), PurePosixPath("x.md"))


def test_out_sniffs_article_and_show_notes():
    text = FIXTURE.read_text(encoding="utf-8")
    assert choose_reader(text, PurePosixPath("_episodes/023.md")).name == "podlets"
    assert choose_reader("# Heading\n\n" + text.split("---", 2)[2], PurePosixPath("x.md")).name == "podlets"


@pytest.mark.parametrize("episode, filler", [
    ("016-cloud-native-apps.md", "Ahhhh."),
    ("009-stateful-and-stateless.md", "Yo!"),
    ("019-application-transformation.md", "Usually."),
])
def test_real_filler_turns_never_become_passages(episode, filler):
    """The turns issue 15 found at the top of `podquote search etcd` on The Podlets: read from the real files
    (../shared/corpus), they are not passages, and the turns around them still are."""
    path = CORPUS_EPISODES / episode
    text = path.read_text(encoding="utf-8")
    assert f": {filler}" in text
    _, doc = read_document(path, f"thepodlets/{episode}")
    assert doc.passages and not any(p.text.strip() == filler for p in doc.passages)
