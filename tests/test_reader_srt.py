"""SRT subtitles: no speakers, sometimes no punctuation; cut by sentences, else by pauses and length."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path, PurePosixPath

import pytest
import srt
from hypothesis import given, settings
from hypothesis import strategies as st

from podquote.errors import UnreadableSource
from podquote.passage import Episode
from podquote.readers import choose_reader, read_document
from podquote.readers.srt_reader import SrtReader
from podquote.segment import MAX_CHARS

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "srt"


def test_unpunctuated_chinese_is_cut_at_pauses():
    fmt, document = read_document(FIXTURES / "zh-asr.srt", "fixtures/srt/zh-asr.srt")
    assert fmt == "srt"
    first, second = document.passages
    # The 2-second silence after the second subtitle ends the first passage; CJK is joined without spaces.
    assert first.text == "大家好欢迎收听开源面对面今天我们聊云原生存储我们请到了一位在存储领域工作了很多年的嘉宾"
    assert (first.start, first.end) == (0.0, 5.0)
    assert second.text.endswith("负责分布式存储也是 Rook 社区的维护者之一")
    assert (second.start, second.end) == (7.0, 16.0)
    assert all(p.kind == "turn" and p.speaker is None and p.lang == "zh" for p in document.passages)


def test_punctuated_english_keeps_sentences_across_subtitles():
    fmt, document = read_document(FIXTURES / "en-punctuated.srt", "fixtures/srt/en-punctuated.srt")
    (passage,) = document.passages
    assert passage.text == (
        "Storage is the part of Kubernetes that everyone forgets. Operators changed that. "
        "An operator encodes what an administrator knows."
    )
    assert (passage.start, passage.end) == (1.0, 8.0)


def test_long_english_is_cut_between_sentences_with_the_times_of_their_subtitles():
    sentence = "Operators encode what an administrator knows about storage and upgrades."
    subs = [srt.Subtitle(i + 1, timedelta(seconds=2 * i), timedelta(seconds=2 * i + 1.9), sentence) for i in range(12)]
    document = SrtReader().read(srt.compose(subs), Episode(source="x.srt"), PurePosixPath("x.srt"))
    assert len(document.passages) > 1
    for passage in document.passages:
        assert passage.text.startswith("Operators") and passage.text.endswith("upgrades.")
        assert passage.start % 2 == 0 and passage.end == passage.start + 1.9 + 2 * (passage.text.count("Operators") - 1)


@pytest.mark.parametrize(
    "text, message",
    [
        ("1\n00:00:01,000 --> 00:00:0x,000\nbroken\n", "ends before it starts at line 2, and no valid subtitle"),
        ("1\n00:00:0", "invalid SRT"),
        ("1\n00:00:01,000 --> \n", "invalid SRT subtitle '00:00:01,000 -->' at line 2"),
        ("1\n00:00:03,000 --> 00:00:04,000\n", "truncated"),
        ("\n\n", "no subtitles"),
    ],
)
def test_broken_srt_is_unreadable(text, message):
    with pytest.raises(UnreadableSource, match=message):
        SrtReader().read(text, Episode(source="x.srt"), PurePosixPath("x.srt"))


_GOOD_SUBTITLES = ("1\n00:00:01,000 --> 00:00:04,000\nStorage is the part of Kubernetes everyone forgets.\n\n"
                   "2\n00:00:04,100 --> 00:00:08,000\nOperators changed that, and Rook is one of them.\n\n")


@pytest.mark.parametrize(
    "damage, line, reason",
    [
        ("3\n00:00:0", 10, "invalid SRT subtitle '00:00:0'"),  # cut off in a timing line
        ("3\n", 9, "invalid SRT subtitle '3'"),  # cut after the number: the srt library adds it to the text before
        ("3\n00:00:08,100 --> 00:00:09,000\n", 10, "truncated SRT: the last subtitle has no text"),
        ("3\n00:00:08,100 --> 00:00:0x,000\nbroken\n\n4\n00:00:10,000 --> 00:00:11,000\nlater\n", 10,
         "SRT subtitle '00:00:08,100 --> 00:00:0x,000' ends before it starts"),  # read as 0 by the srt library
        ("3\n00:00:0x,100 --> 00:00:09,000\nbroken\n\n4\n00:00:10,000 --> 00:00:11,000\nlater\n", 10,
         "invalid SRT subtitle"),
    ],
)
def test_damaged_srt_keeps_the_subtitles_before_the_damage(damage, line, reason):
    document = SrtReader().read(_GOOD_SUBTITLES + damage, Episode(source="x.srt"), PurePosixPath("x.srt"))
    assert " ".join(p.text for p in document.passages) == (
        "Storage is the part of Kubernetes everyone forgets. Operators changed that, and Rook is one of them.")
    [warning] = document.warnings
    assert f"reading stopped at line {line} ({reason}" in warning, warning
    assert warning.endswith("the 2 subtitles before it are read")


def test_sniffing():
    text = (FIXTURES / "zh-asr.srt").read_text(encoding="utf-8")
    assert choose_reader(text, PurePosixPath("a.srt")).name == "srt"
    assert choose_reader(text, PurePosixPath("a.txt")).name == "srt"  # content beats the extension


_PHRASE = st.text(alphabet="存储运维集群数据备份我们今天聊一下开源社区", min_size=4, max_size=30)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_PHRASE, st.floats(0.0, 2.5)), min_size=1, max_size=80))
def test_unpunctuated_runs_are_cut_only_between_subtitles(items):
    subs, clock = [], 0.0
    for index, (words, gap) in enumerate(items):
        clock += gap
        subs.append(srt.Subtitle(index + 1, timedelta(seconds=clock), timedelta(seconds=clock + 1.5), words))
        clock += 1.5
    document = SrtReader().read(srt.compose(subs), Episode(source="x.srt"), PurePosixPath("x.srt"))
    texts = [s.content for s in subs]
    joined = "".join(texts)
    assert "".join(p.text for p in document.passages) == joined  # nothing lost, nothing added
    boundaries = {sum(len(t) for t in texts[:i]) for i in range(len(texts) + 1)}
    position = 0
    for passage in document.passages:
        assert len(passage.text) <= MAX_CHARS
        assert position in boundaries  # every cut falls between two subtitles
        position += len(passage.text)
    starts = [p.start for p in document.passages]
    assert starts == sorted(starts)


def test_a_caption_is_placed_where_its_text_is_when_timing_lines_and_subtitles_disagree():
    # Found by the garbage test: the parser reads the first line (after a byte-order mark) as the timing and the
    # second timing line as the caption; the timing-line count alone put the caption past the end of the file.
    text = "\ufeff00:00:01.000 --> 00:00:02.000\n00:00:01,000 --> 00:00:02,000\n"
    [passage] = SrtReader().read(text, Episode(source="odd.srt"), PurePosixPath("odd.srt")).passages
    assert text[passage.char_start:passage.char_end] == "00:00:01,000 --> 00:00:02,000"
