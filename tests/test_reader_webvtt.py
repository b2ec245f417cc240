"""WebVTT with voice tags, its cue-text twin, and what happens to broken caption files."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podquote.errors import UnreadableSource
from podquote.passage import Episode
from podquote.readers import choose_reader, read_document
from podquote.readers.webvtt_reader import CueTextReader, WebVTTReader, episode_info, is_cue_twin, voice_segments

FOLDER = Path(__file__).resolve().parent / "fixtures" / "webvtt" / "talk-python-transcripts"
VTT = FOLDER / "123-storage-on-kubernetes.vtt"
TWIN = FOLDER / "123-storage-on-kubernetes.txt"
URL = "https://talkpython.fm/episodes/show/123/storage-on-kubernetes"


@pytest.fixture(scope="module")
def document():
    fmt, doc = read_document(VTT, "fixtures/webvtt/talk-python-transcripts/123-storage-on-kubernetes.vtt")
    assert fmt == "webvtt"
    return doc


def test_talk_python_identity(document):
    ep = document.episode
    assert (ep.episode, ep.show, ep.url) == ("talkpython/123", "Talk Python To Me", URL)
    assert episode_info(PurePosixPath("talk-python-transcripts/transcripts/549.vtt"))[3] == (
        "https://talkpython.fm/episodes/show/549"
    )
    # indexed from a folder with a plain name: the show names itself in the captions
    assert episode_info(PurePosixPath("transcripts/7-x.vtt"), "Welcome to Talk Python To Me")[0] == "talkpython/7"
    assert episode_info(PurePosixPath("captions/7-x.vtt"), "Some other show")[0] == "7-x"


def test_cues_of_one_speaker_merge_and_untagged_cues_continue(document):
    michael = document.passages[0]
    assert michael.speaker == "Michael Kennedy"
    assert michael.text == (
        "Welcome to Talk Python To Me. Today we talk about storage on Kubernetes with a Rook maintainer. "
        "A cue without a voice tag still belongs to Michael."
    )
    assert (michael.start, michael.end) == (0.02, 8.0)  # first cue's start, last cue's end
    assert michael.url == URL + "#t=0"


def test_tags_entities_and_wrapped_lines_are_cleaned(document):
    jared = document.passages[1]
    assert jared.text == "Thanks, Michael. Rook runs Ceph & friends inside the cluster, as operators."
    assert (jared.speaker, jared.start, jared.end) == ("Jared Watts", 8.5, 12.25)


def test_a_filler_turn_is_dropped_and_does_not_merge_its_neighbours(document):
    assert [p.speaker for p in document.passages] == ["Michael Kennedy", "Jared Watts", "Jared Watts"]
    assert document.passages[2].start == 13.2


def test_voice_segments_split_a_cue_with_two_voices():
    assert voice_segments("<v A>Hi there. <v.loud B>Hello</v>!", None) == [("A", "Hi there."), ("B", "Hello!")]
    assert voice_segments("no tag", "A") == [("A", "no tag")]


def test_the_cue_text_twin_reads_the_same_quotes():
    fmt, twin = read_document(TWIN, "fixtures/webvtt/talk-python-transcripts/123-storage-on-kubernetes.txt")
    assert fmt == "cue-text"
    _, vtt = read_document(VTT, "fixtures/webvtt/talk-python-transcripts/123-storage-on-kubernetes.vtt")
    assert [(p.speaker, p.text) for p in twin.passages] == [(p.speaker, p.text) for p in vtt.passages]
    assert [p.start for p in twin.passages] == [0.0, 8.0, 13.0]  # whole seconds in the .txt
    assert twin.passages[0].end == 8.0  # the next known time


def test_is_cue_twin(tmp_path):
    assert is_cue_twin(TWIN)
    assert not is_cue_twin(VTT)
    lone = tmp_path / "123-storage-on-kubernetes.txt"
    lone.write_text(TWIN.read_text(encoding="utf-8"), encoding="utf-8")
    assert not is_cue_twin(lone)
    fmt, document = read_document(lone, "lone/123-storage-on-kubernetes.txt")  # a lone .txt still reads
    assert fmt == "cue-text" and len(document.passages) == 3


@pytest.mark.parametrize(
    "text, message",
    [
        ("WEBVTT\n\n00:00:03.000 --> ", "invalid WebVTT cue timing '00:00:03.000 -->' at line 3, and no valid cue"),
        ("WEBVTT\n\n00:00:03.000 --> 00:00:04.000\n", "truncated WebVTT: the last cue has no text at line 3"),
        ("WEBVTT\n\n00:0x:01.000 --> 00:00:02.000\nHo.\n", "invalid WebVTT cue timing"),
        ("00:00:01.000 --> 00:00:02.000\nNo header.\n", "not a WebVTT file"),
        ("WEBVTT\n\nNOTE nothing else\n", "no cues"),
    ],
)
def test_broken_vtt_is_unreadable_with_a_reason(text, message):
    with pytest.raises(UnreadableSource, match=message):
        WebVTTReader().read(text, Episode(source="x.vtt"), PurePosixPath("x.vtt"))


_GOOD_CUES = ("WEBVTT\n\n"
              "00:00:01.000 --> 00:00:04.000\n<v Ann Lee>Storage is the part of Kubernetes everyone forgets.\n\n"
              "00:00:04.000 --> 00:00:08.000\n<v Ann Lee>Operators changed that, and Rook is one of them.\n\n")


@pytest.mark.parametrize(
    "damage, line, reason",
    [
        ("00:00:08.000 --> ", 9, "invalid WebVTT cue timing '00:00:08.000 -->'"),  # cut off in a timing line
        ("00:00:08", 9, "truncated WebVTT: the last lines are no cue '00:00:08'"),  # webvtt-py would ignore it
        ("00:00:08.000 --> 00:00:09.000\n", 9, "truncated WebVTT: the last cue has no text"),  # before its text
        ("00:0x:08.000 --> 00:00:09.000\nHo.\n\n00:00:10.000 --> 00:00:11.000\nHa.\n", 9, "invalid WebVTT cue timing"),
        ("this is not a cue\njunk --> nothing\n", 10, "invalid WebVTT cue timing 'junk"),  # garbage after the cues
    ],
)
def test_damaged_vtt_keeps_the_cues_before_the_damage(damage, line, reason):
    document = WebVTTReader().read(_GOOD_CUES + damage, Episode(source="x.vtt"), PurePosixPath("x.vtt"))
    assert " ".join(p.text for p in document.passages) == (
        "Storage is the part of Kubernetes everyone forgets. Operators changed that, and Rook is one of them.")
    [warning] = document.warnings
    assert f"reading stopped at line {line} ({reason}" in warning, warning
    assert warning.endswith("the 2 cues before it are read")


def test_cue_text_without_cue_lines_is_unreadable():
    with pytest.raises(UnreadableSource, match="no `HH:MM:SS text` cue lines"):
        CueTextReader().read("just prose\n", Episode(source="x.txt"), PurePosixPath("x.txt"))


def test_sniffing():
    text = VTT.read_text(encoding="utf-8")
    assert choose_reader(text, PurePosixPath("a.vtt")).name == "webvtt"
    assert choose_reader(TWIN.read_text(encoding="utf-8"), PurePosixPath("a.txt")).name == "cue-text"
    assert choose_reader("Just a note.\n\nAnother paragraph.\n", PurePosixPath("a.txt")).name == "text"


_SPEAKERS = st.sampled_from(["Michael Kennedy", "Jared Watts", None])
_CUE_WORDS = st.lists(st.sampled_from(["storage", "Rook", "operator", "cluster", "ships", "today"]), min_size=2, max_size=14)


@st.composite
def vtt_files(draw):
    cues, clock = [], 0.0
    for _ in range(draw(st.integers(1, 60))):
        clock += draw(st.floats(0.0, 3.0))
        length = draw(st.floats(0.3, 6.0))
        words = " ".join(draw(_CUE_WORDS)) + draw(st.sampled_from([".", ",", "", "?"]))
        speaker = draw(_SPEAKERS)
        tag = f"<v {speaker}>" if speaker else ""
        cues.append((clock, clock + length, tag + words))
        clock += length

    def stamp(seconds: float) -> str:
        ms = int(round(seconds * 1000))
        return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"

    return "WEBVTT\n\n" + "\n\n".join(f"{stamp(a)} --> {stamp(b)}\n{t}" for a, b, t in cues) + "\n"


@settings(max_examples=80, deadline=None)
@given(vtt_files())
def test_generated_vtt_times_are_monotonic_and_every_passage_is_timed(text):
    document = WebVTTReader().read(text, Episode(source="t/1-x.vtt"), PurePosixPath("talk-python/1-x.vtt"))
    spoken = " ".join(re.sub(r"<v [^>]*>", "", line) for line in text.split("\n")[2:] if line and "-->" not in line)
    assert all(p.text in spoken for p in document.passages)  # faithful slices of the cue text
    starts = [p.start for p in document.passages]
    assert all(s is not None for s in starts)
    assert starts == sorted(starts)
    assert all(p.end is not None and p.end >= p.start for p in document.passages)
    assert all(len(p.text) <= 600 for p in document.passages)
