"""Podcasting 2.0 JSON transcripts: word-level segments merged into sentences and turns.

The realistic inputs are made at test time from real Talk Python captions in ../shared/corpus: every cue's words
become segments with times spread over the cue, as a speech recogniser writes them, and the reader must give
back what the WebVTT reader reads from the captions themselves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pytest
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st
from helpers import CORPUS

from podquote.errors import UnreadableSource
from podquote.passage import Episode
from podquote.readers import choose_reader, read_document
from podquote.readers.podcast_json import PAUSE_SECONDS, PodcastJsonReader
from podquote.readers.webvtt_reader import voice_segments
from podquote.readers.whisper_json import WhisperJsonReader
from podquote.segment import MAX_CHARS

TALK_PYTHON = CORPUS / "talk-python-transcripts" / "transcripts"
EPISODES = ["525-nicegui.vtt", "527-mcp-servers-for-python-devs.vtt"]
WHISPER = Path(__file__).resolve().parent / "fixtures" / "whisper"


@dataclass
class SpokenCue:
    speaker: str | None  # None where the cue has no voice tag: it continues the last speaker
    start: float
    end: float
    text: str


def spoken_cues(vtt: Path) -> list[SpokenCue]:
    """A real caption file's cues as (voice-tagged speaker, times, plain text), one per voice run."""
    cues = []
    for caption in webvtt.read(str(vtt)).captions:
        start, end = caption.start_time.in_milliseconds() / 1000, caption.end_time.in_milliseconds() / 1000
        for speaker, text in voice_segments(caption.raw_text, None):
            cues.append(SpokenCue(speaker, start, end, text))
    return cues


def word_segments(cues: list[SpokenCue]) -> list[dict]:
    """One segment a word, its time interpolated over the cue; the speaker only where the captions name one."""
    segments = []
    for cue in cues:
        words = cue.text.split()
        step = (cue.end - cue.start) / len(words)
        for index, word in enumerate(words):
            start = cue.start + index * step
            segment = {"startTime": round(start, 3), "endTime": round(start + step, 3), "body": word}
            segments.append({"speaker": cue.speaker, **segment} if cue.speaker else segment)
    return segments


def written_starts(document, segments: list[dict]) -> list[float]:
    """The time written for the first word of each passage, found by walking the words in order."""
    bodies = [s["body"] for s in segments]
    starts, at = [], 0
    for passage in document.passages:
        words = passage.text.split()
        while bodies[at:at + len(words)] != words:
            at += 1
        starts.append(segments[at]["startTime"])
        at += len(words)
    return starts


def turns(document) -> list[str | None]:
    """The speakers in order, one a turn (consecutive passages of one speaker counted once)."""
    speakers = [p.speaker for p in document.passages]
    return [s for i, s in enumerate(speakers) if i == 0 or speakers[i - 1] != s]


def read(text: str, name: str = "x.json"):
    return PodcastJsonReader().read(text, Episode(source=name), PurePosixPath(name))


def transcript(*segments: dict) -> str:
    return json.dumps({"version": "1.0.0", "segments": list(segments)})


@pytest.fixture(scope="module", params=EPISODES)
def episode(request, tmp_path_factory):
    """(the WebVTT reader's document, the word-level JSON's document, the words written) for one real episode."""
    vtt = TALK_PYTHON / request.param
    segments = word_segments(spoken_cues(vtt))
    path = tmp_path_factory.mktemp("json") / vtt.with_suffix(".json").name
    path.write_text(json.dumps({"version": "1.0.0", "segments": segments}, indent=2), encoding="utf-8")
    fmt, document = read_document(path, f"feeds/{path.name}")
    assert fmt == "podcast-json"
    return read_document(vtt, f"talk-python-transcripts/{vtt.name}")[1], document, segments


def test_real_episode_reads_back_the_captions_words_and_speakers(episode):
    captions, document, _ = episode
    assert " ".join(p.text for p in document.passages) == " ".join(p.text for p in captions.passages)
    assert [p.speaker for p in document.passages if p.speaker] and all(p.kind == "quote" for p in document.passages)
    assert turns(document) == turns(captions)
    assert set(document.episode.speakers) == set(captions.episode.speakers)


def test_real_episode_times_and_sizes(episode):
    captions, document, segments = episode
    starts = {p.text: p.start for p in captions.passages}
    same = [(p.start, starts[p.text]) for p in document.passages if p.text in starts]
    assert len(same) >= 0.8 * len(document.passages)  # most quotes are cut where the captions cut them
    # A caption passage that begins inside a cue starts with the cue; a word-timed one later, at its word.
    assert all(theirs - 1.0 <= mine for mine, theirs in same)
    assert [p.start for p in document.passages] == pytest.approx(written_starts(document, segments), abs=1.0)
    assert all(p.start is not None and p.end is not None and p.start < p.end for p in document.passages)
    assert [p.start for p in document.passages] == sorted(p.start for p in document.passages)
    assert max(len(p.text) for p in document.passages) <= MAX_CHARS
    assert sum(len(p.text) for p in document.passages) / len(document.passages) > 100  # quotes, not words


def test_a_passage_starts_with_its_first_word_and_ends_with_its_last():
    doc = read(transcript(
        {"speaker": "Ann", "startTime": 1.0, "endTime": 1.4, "body": "Storage"},
        {"speaker": "Ann", "startTime": 1.5, "endTime": 2.25, "body": "matters."},
    ))
    assert [(p.text, p.start, p.end) for p in doc.passages] == [("Storage matters.", 1.0, 2.25)]


def test_char_spans_point_into_the_file():
    text = transcript(
        {"speaker": "Ann", "startTime": 0, "endTime": 0.4, "body": "Kubernetes"},
        {"speaker": "Ann", "startTime": 0.5, "endTime": 0.9, "body": "schedules"},
        {"speaker": "Ann", "startTime": 1.0, "endTime": 1.4, "body": "containers."},
    )
    (passage,) = read(text).passages
    assert text[passage.char_start:passage.char_end].startswith("Kubernetes")
    assert text[passage.char_start:passage.char_end].endswith("containers.")


SENTENCES = [  # unpunctuated speech recogniser output, each sentence too long to share a passage with another
    "so the operator watches every pod in the cluster and restarts whatever fails and it keeps doing that all "
    "night long while the people who run the cluster sleep and nobody gets paged for a disk that died",
    "then the scheduler moves the storage along with the workload to another node when it must and the volume "
    "follows the pod so the database comes back with all its data on the new machine within a minute or two",
    "and that is really the whole promise of running stateful services on kubernetes today for most teams we "
    "talk to who were afraid of it a few years ago and now run their production databases there every day",
]


def unpunctuated(pause: float) -> list[dict]:
    segments, at = [], 0.0
    for sentence in SENTENCES:
        for word in sentence.split():
            segments.append({"speaker": "Ann", "startTime": round(at, 2), "endTime": round(at + 0.3, 2), "body": word})
            at += 0.4
        at += pause
    return segments


def test_a_pause_without_punctuation_ends_a_sentence():
    doc = read(transcript(*unpunctuated(pause=PAUSE_SECONDS + 0.5)))
    assert [p.text for p in doc.passages] == SENTENCES
    second = unpunctuated(PAUSE_SECONDS + 0.5)[len(SENTENCES[0].split())]
    assert doc.passages[1].start == second["startTime"] and doc.passages[0].end < second["startTime"]
    # Without the pauses the run is one over-long sentence, cut wherever the length says.
    assert [p.text for p in read(transcript(*unpunctuated(pause=0))).passages] != SENTENCES


def test_a_short_gap_does_not_end_a_sentence():
    words = [{"speaker": "Ann", "startTime": t, "endTime": t + 0.2, "body": w}
             for w, t in [("Rook", 0.0), ("runs", PAUSE_SECONDS - 0.5), ("Ceph", PAUSE_SECONDS)]]
    assert [p.text for p in read(transcript(*words)).passages] == ["Rook runs Ceph"]


def test_speaker_changes_end_turns_and_missing_speakers_continue():
    doc = read(transcript(
        {"speaker": "Ann Lee", "startTime": 0, "body": "Storage on Kubernetes was hard for years."},
        {"startTime": 3, "body": "Operators made it routine for databases."},
        {"speaker": " ", "startTime": 6, "body": "Now most teams run Postgres there."},
        {"speaker": "Bo", "startTime": 9, "body": "And backups are the part everyone forgets."},
    ))
    assert [(p.speaker, p.start, p.end) for p in doc.passages] == [("Ann Lee", 0.0, 9.0), ("Bo", 9.0, None)]
    assert doc.passages[0].text.endswith("Now most teams run Postgres there.")
    assert doc.episode.speakers == {"Ann Lee": "Ann Lee", "Bo": "Bo"}


def test_punctuation_only_segments_attach_to_their_word():
    doc = read(transcript(*[
        {"speaker": "Ann", "startTime": i * 0.3, "endTime": i * 0.3 + 0.2, "body": body}
        for i, body in enumerate(["Well", ",", "SQLite", "is", "everywhere", ".", "Phones", "(", "and", "browsers", ")",
                                  "ship", "it", "!"])
    ]))
    assert [p.text for p in doc.passages] == ["Well, SQLite is everywhere. Phones (and browsers) ship it!"]


def test_bodies_with_their_own_spacing_and_line_breaks():
    doc = read(transcript(
        {"speaker": "Ann", "startTime": 0, "endTime": 0.5, "body": " Tests"},
        {"speaker": "Ann", "startTime": 0.5, "endTime": 1, "body": " matter\n"},
        {"speaker": "Ann", "startTime": 1.1, "endTime": 1.5, "body": "Fast ones most"},
    ))
    assert [p.text for p in doc.passages] == ["Tests matter Fast ones most"]


def test_without_speakers_passages_are_turns_and_pauses_end_them():
    sentence = "the cluster keeps three copies of every block on different disks"
    words = [{"startTime": i * 0.3, "endTime": i * 0.3 + 0.2, "body": w} for i, w in enumerate(sentence.split())]
    later = [dict(w, startTime=w["startTime"] + 60, endTime=w["endTime"] + 60) for w in words]
    doc = read(transcript(*words, *later))
    assert [(p.kind, p.speaker, p.start) for p in doc.passages] == [("turn", None, 0.0), ("turn", None, 60.0)]


def test_missing_bodies_and_times_are_skipped_with_a_warning():
    doc = read(transcript(
        {"speaker": "Ann", "startTime": 0, "body": "Replication keeps"},
        {"speaker": "Ann", "startTime": 1},
        {"speaker": "Ann", "startTime": 2, "body": ""},
        {"speaker": "Ann", "startTime": "soon", "body": "your"},
        {"speaker": "Ann", "startTime": 10 ** 400, "body": "data"},
        {"speaker": "Ann", "startTime": "00:00:03.5", "body": "alive."},
    ))
    assert [(p.text, p.start) for p in doc.passages] == [("Replication keeps your data alive.", 0.0)]
    assert any("1 segment(s) without a \"body\"" in w for w in doc.warnings)
    assert any("2 segment(s) without a usable \"startTime\"" in w for w in doc.warnings)


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"version": "1.0.0", "segments": [{"startTime": 0, "body": "hi"}', "invalid JSON"),
        ('{"version": "1.0.0"}', 'no "segments" list'),
        ('{"version": "1.0.0", "segments": {"body": "hi"}}', 'no "segments" list'),
        ('["segments"]', 'no "segments" list'),
        ('{"version": "1.0.0", "segments": []}', "no segments"),
        ('{"segments": [{"startTime": 0, "body": "  "}, {"startTime": 1}]}', "no text"),
        ('{"segments": ["hello", "world"]}', "segment 0 is not an object"),
        ("[" * 100_000, "invalid JSON"),
        ('{"segments": [{"startTime": 1' + "0" * 5000 + ', "body": "hi"}]}', "invalid JSON"),
    ],
)
def test_broken_transcripts_are_unreadable_with_a_reason(text, message):
    with pytest.raises(UnreadableSource, match=message):
        read(text)


def test_sniffing_tells_podcast_json_from_whisper_json():
    podcast = transcript({"speaker": "Ann", "startTime": 0.5, "endTime": 0.9, "body": "Hello"})
    whisper = (WHISPER / "interview.json").read_text(encoding="utf-8")
    path = PurePosixPath("episode.json")
    assert PodcastJsonReader().sniff(whisper, path) == 0.0
    assert WhisperJsonReader().sniff(podcast, path) < PodcastJsonReader().sniff(podcast, path)
    assert choose_reader(podcast, path).name == "podcast-json"
    assert choose_reader(podcast, PurePosixPath("transcript.txt")).name == "podcast-json"
    assert choose_reader(whisper, path).name == "whisper-json"
    assert choose_reader('{"not": "a transcript"}', path).name == "whisper-json"  # as before: then refused


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
SEGMENT = st.fixed_dictionaries({}, optional={k: JSON_VALUES | st.text(max_size=12) | st.floats(0, 1e4)
                                              for k in ("speaker", "startTime", "endTime", "body")})


@settings(max_examples=200, deadline=None)
@given(st.lists(SEGMENT | JSON_VALUES, max_size=6))
def test_any_segment_shapes_read_or_are_refused_with_a_reason(segments):
    try:
        document = read(json.dumps({"version": "1.0.0", "segments": segments}))
    except UnreadableSource as exc:
        assert str(exc).startswith("x.json: ")
        return
    assert all(p.text.strip() and (p.start is None or p.start >= 0) for p in document.passages)
