"""`podquote index` on audio files (issue 20, point 3): real speech made by espeak-ng at test time
(tests/audio_helpers.py), transcribed by the real packaged Whisper model (loaded once per process by
podquote.audio), indexed into a real FAISS/SQLite index. The fake text embedder stands in where ranking is not the
point; the phrase search runs with the real default embedder."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from audio_helpers import SCRIPT, broken_audio, make_speech, silent_audio, zero_byte_audio
from helpers import PROJECT
from podquote import Collection, build_index
from podquote.audio_sources import TRANSCRIPTS_FOLDER
from podquote.cli import app
from podquote.sources import walk_root

# Three more sentences make the transcript two passages (about 350 characters each, podquote.segment): the
# phrase searched for opens the second one, 26 seconds in, so its time is not the start of the audio.
MORE = (
    "My sister planted tomatoes and beans in the garden behind her house.",
    "After dinner we played cards until the candles burned down.",
    "A quiet library is the best place to read a long book.",
)
PHRASE = "tomatoes and beans in the garden"
PHRASE_SENTENCE = len(SCRIPT)  # MORE[0]
INSIDE = "we played cards until the candles burned down"  # MORE[1]: inside the second passage, not its start


@pytest.fixture(scope="module")
def episode(tmp_path_factory):
    """A 41-second spoken episode, alone in its folder."""
    return make_speech(tmp_path_factory.mktemp("episode"), SCRIPT + MORE, name="episode.wav")


@pytest.fixture(scope="module")
def short_speech(tmp_path_factory):
    """The helper's own 26-second script."""
    return make_speech(tmp_path_factory.mktemp("speech"), name="speech.wav")


def _cache_files(index):
    return sorted((index / TRANSCRIPTS_FOLDER).glob("*.vtt"))


@pytest.mark.model
def test_a_spoken_phrase_is_found_at_the_time_it_is_said(tmp_path, episode):
    index = tmp_path / "index"
    result = CliRunner().invoke(app, ["index", str(episode.path.parent), "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert "audio: 1 file transcribed, 0 from the transcript cache" in result.output
    seconds = int(episode.duration)  # the progress, on stderr: audio seconds done, up to the whole episode
    assert f"Transcribing episode.wav (audio seconds): {seconds}/{seconds}" in result.output
    result = CliRunner().invoke(app, ["search", PHRASE, "--json", "-k", "3", "--index", str(index)])
    assert result.exit_code == 0, result.output
    top = json.loads(result.stdout)["hits"][0]
    assert "tomatoes" in top["text"].lower() and "garden" in top["text"].lower()
    begins = episode.starts[PHRASE_SENTENCE]
    assert begins > 20 and abs(top["start"] - begins) <= 1.5, (top["start"], begins)
    assert top["url"] == f"{episode.path.resolve().as_uri()}#t={int(top['start'])}"
    assert top["speaker"] is None  # speech recognition does not say who speaks
    with Collection.open(index) as collection:  # the library gives the same hit
        hit = collection.search(PHRASE, k=1)[0]
        inside = collection.search(INSIDE, k=1)[0]
    assert hit.passage.start == top["start"] and hit.passage.url == top["url"]
    # A phrase inside a passage: the hit's moment is when its sentence is said (the cue times kept in the passage).
    said = episode.starts[PHRASE_SENTENCE + 1]
    assert "cards" in inside.passage.text and inside.passage.start < said - 1.5
    assert abs(inside.moment - said) <= 1.5, (inside.moment, said)
    assert inside.moment_url == f"{episode.path.resolve().as_uri()}#t={int(inside.moment)}"


def test_reindexing_the_same_audio_transcribes_nothing(tmp_path, short_speech, fake):
    """How this counts: IndexReport.audio_transcribed is raised only when podquote.audio.transcribe ran for a
    file (a miss in `<index>/transcripts/`), audio_from_cache when the cached transcript was read instead; and
    the cached file itself must not be written again (its mtime)."""
    index = tmp_path / "index"
    folder = short_speech.path.parent
    first = build_index(index, [folder], embedder="fake")
    assert (first.audio_transcribed, first.audio_from_cache, first.failed) == (1, 0, [])
    [cached] = _cache_files(index)
    written = cached.stat().st_mtime_ns

    # Unchanged file: the unchanged-file shortcut copies its passages; nothing is read.
    again = build_index(index, [folder], embedder="fake")
    assert (again.audio_transcribed, again.audio_from_cache, again.files_unchanged) == (0, 0, 1)

    # --fresh forgets every source and embedding: the file is read again, and only the cache saves it.
    fresh = build_index(index, [folder], embedder="fake", fresh=True)
    assert (fresh.audio_transcribed, fresh.audio_from_cache, fresh.files_parsed) == (0, 1, 1)
    assert _cache_files(index) == [cached] and cached.stat().st_mtime_ns == written
    with Collection.open(index, embedder="fake") as collection:
        [passage] = list(collection.passages())
    assert "backup should be tested" in passage.text.lower()
    assert passage.url.startswith(short_speech.path.resolve().as_uri() + "#t=")


def test_broken_empty_and_silent_audio_are_skipped_and_the_batch_goes_on(tmp_path, short_speech, fake):
    folder = tmp_path / "batch"
    folder.mkdir()
    broken, empty = broken_audio(folder), zero_byte_audio(folder)
    silence = silent_audio(folder)  # ten minutes
    (folder / "notes.vtt").write_text("WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Ana>Backups are only real once "
                                      "you have restored one.\n", encoding="utf-8")
    speech = folder / "speech.wav"
    speech.write_bytes(short_speech.path.read_bytes())
    index = tmp_path / "index"
    runner = CliRunner()
    result = runner.invoke(app, ["index", str(folder), "--index", str(index), "--embedder", "fake"])
    assert result.exit_code == 0, result.output  # some skipped, the rest indexed: as for any other failures
    out = " ".join(result.output.split())  # rich wraps long lines
    assert f"skipped {broken}: not decodable as audio" in out
    assert f"skipped {empty}: the file is empty" in out
    assert f"skipped {silence}: no speech found in 600 seconds of audio" in out
    assert "5 files (2 read, 3 skipped)" in out
    with Collection.open(index, embedder="fake") as collection:
        sources = {p.source.split("/", 1)[1] for p in collection.passages()}
    assert sources == {"notes.vtt", "speech.wav"}

    # A file that breaks after it was indexed keeps its indexed version, as any other source does.
    speech.write_bytes(broken.read_bytes())
    result = runner.invoke(app, ["index", str(folder), "--index", str(index), "--embedder", "fake"])
    out = " ".join(result.output.split())
    assert result.exit_code == 0 and f"skipped {speech}: not decodable as audio" in out, out
    assert "its indexed version is kept" in out
    # The ten minutes of silence are not decoded again: why they gave nothing is remembered, by content hash.
    assert f"skipped {silence}: no speech found in 600 seconds of audio (silence or music only); remembered" in out
    with Collection.open(index, embedder="fake") as collection:
        assert "speech.wav" in {p.source.split("/", 1)[1] for p in collection.passages()}


def test_without_the_audio_extra_audio_is_skipped_with_one_message(tmp_path, sources, short_speech, fake,
                                                                    monkeypatch):
    """faster-whisper made unimportable (as when the extra is not installed): every audio file is skipped with
    the one install message, said once, and the rest is indexed."""
    monkeypatch.setitem(sys.modules, "faster_whisper", None)
    for name in ("one.wav", "two.ogg"):
        (sources / name).write_bytes(short_speech.path.read_bytes())
    result = CliRunner().invoke(app, ["index", str(sources), "--index", str(tmp_path / "index"),
                                      "--embedder", "fake"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert out.count("pip install") == 1, out
    assert '2 audio files skipped: reading audio needs the audio extra: pip install "podquote[audio]"' in out
    assert "4 files (2 read, 2 skipped)" in out


def test_a_cached_transcript_needs_no_audio_extra(tmp_path, short_speech, fake, monkeypatch):
    """The cache is keyed by content: the audio, once transcribed, is indexed again (a new index root's
    `--fresh`, here) even where faster-whisper cannot be imported."""
    index = tmp_path / "index"
    assert build_index(index, [short_speech.path.parent], embedder="fake").audio_transcribed == 1
    monkeypatch.setitem(sys.modules, "faster_whisper", None)
    report = build_index(index, [short_speech.path.parent], embedder="fake", fresh=True)
    assert (report.audio_transcribed, report.audio_from_cache, report.failed) == (0, 1, [])


def test_audio_beside_captions_of_the_same_name_is_not_indexed_twice(tmp_path):
    for name in ("talk.mp3", "talk.vtt", "interview.m4a", "interview.srt", "solo.opus", "notes.flac"):
        (tmp_path / name).write_bytes(b"x")
    assert [f.path.name for f in walk_root("r", tmp_path)] == ["interview.srt", "notes.flac", "solo.opus",
                                                                "talk.vtt"]


def test_the_reindex_script_reports_audio_like_the_index_command(tmp_path, short_speech):
    """scripts/reindex.py (cron's entry point), a real subprocess: the audio counters, then the cache on --fresh."""
    script = PROJECT / "scripts" / "reindex.py"
    folder = short_speech.path.parent
    index = tmp_path / "index"

    def reindex(*extra):
        done = subprocess.run([sys.executable, script, folder, "--index", index, "--embedder", "fake", *extra],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "audio: 1 transcribed, 0 from the transcript cache" in reindex()
    assert "audio: 0 transcribed, 1 from the transcript cache" in reindex("--fresh")
