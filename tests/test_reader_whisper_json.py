"""Whisper JSON transcripts: segments with times and optional diarized speakers."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from podquote.errors import UnreadableSource
from podquote.passage import Episode
from podquote.readers import choose_reader, decode_source, read_document
from podquote.readers.whisper_json import WhisperJsonReader

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "whisper"


def test_segments_of_one_speaker_merge_into_quotes():
    fmt, document = read_document(FIXTURES / "interview.json", "fixtures/whisper/interview.json")
    assert fmt == "whisper-json"
    texts = [(p.speaker, p.text, p.start, p.end) for p in document.passages]
    assert texts == [
        ("SPEAKER_00", "Welcome back to the show. Today we talk about Rook and Ceph with its maintainer.", 0.0, 5.1),
        ("SPEAKER_01", "Thanks for having me. Rook runs Ceph inside the cluster, as an operator.", 5.6, 10.2),
        ("SPEAKER_01", "It watches the cluster and repairs what drifts, like an administrator would.", 11.0, 14.5),
    ]  # the "Yeah." between the two SPEAKER_01 turns is dropped, and does not join them
    assert all(p.kind == "quote" for p in document.passages)


def test_char_spans_point_at_the_segments_not_the_top_level_text():
    _, document = read_document(FIXTURES / "no-speakers.json", "fixtures/whisper/no-speakers.json")
    source = decode_source((FIXTURES / "no-speakers.json").read_bytes(), "no-speakers.json")
    first = document.passages[0]
    assert source.index('"segments"') < first.char_start
    assert source[first.char_start:first.char_end].startswith("存储是 Kubernetes")


def test_without_speakers_a_pause_ends_a_turn():
    _, document = read_document(FIXTURES / "no-speakers.json", "fixtures/whisper/no-speakers.json")
    assert [(p.kind, p.start, p.end) for p in document.passages] == [("turn", 0.0, 5.0), ("turn", 7.5, 9.0)]
    assert document.passages[0].lang == "zh"


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"segments": [{"start": 0, "end": 1, "text": "hi"}', "invalid JSON"),
        ('{"text": "hello"}', "no \"segments\" list"),
        ('{"segments": []}', "no segments"),
        ('{"segments": [{"end": 1, "text": "hi"}]}', "segment 0 has no numeric"),
        ('[1, 2, 3]', "no \"segments\" list"),
    ],
)
def test_broken_json_is_unreadable(text, message):
    with pytest.raises(UnreadableSource, match=message):
        WhisperJsonReader().read(text, Episode(source="x.json"), PurePosixPath("x.json"))


def test_sniffing():
    text = (FIXTURES / "interview.json").read_text(encoding="utf-8")
    assert choose_reader(text, PurePosixPath("a.json")).name == "whisper-json"
    assert choose_reader(text, PurePosixPath("a.txt")).name == "whisper-json"
    assert choose_reader('{"not": "a transcript"}', PurePosixPath("a.json")).name == "whisper-json"  # then refused
