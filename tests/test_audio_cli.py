"""`podquote transcribe` on real audio made with espeak-ng: the files it writes, a batch with bad files in it,
its usage errors, and the one message when the audio extra is missing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from audio_helpers import WITHOUT_FASTER_WHISPER, broken_audio, encode, make_speech, silent_audio, zero_byte_audio
from typer.testing import CliRunner

from podquote.cli import app
from podquote.errors import AUDIO_EXTRA_MESSAGE
from podquote.readers import read_document

runner = CliRunner()


def run(*args, env=None):
    return runner.invoke(app, ["transcribe", *map(str, args)], env=env)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """One speech clip (mp3) among an empty file, random bytes, ten minutes of silence and a missing path."""
    folder = tmp_path_factory.mktemp("batch")
    speech = make_speech(folder, sentences=(
        "Good coffee makes a long meeting feel much shorter than it really is.",
        "Every backup should be tested long before the day you need it.",
        "The weather was cold, but the people at the conference were very friendly."))
    mp3 = encode(speech.path, ".mp3")
    bad = [zero_byte_audio(folder), broken_audio(folder), silent_audio(folder), folder / "missing.mp3"]
    out = folder / "out"
    # The speech file last: a failure before it must not stop the batch.
    result = run(*bad, mp3, "-o", out)
    return speech, bad, out, result


def test_a_batch_reports_each_bad_file_on_its_own_line_and_goes_on(batch):
    speech, (empty, broken, silence, missing), out, result = batch
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    for path, reason in [(empty, "the file is empty (0 bytes)"), (broken, "not decodable as audio"),
                         (silence, "no speech found in 600 seconds of audio"),
                         (missing, "no such file or folder")]:
        assert sum(line.startswith(f"Failed: {path}: {reason}") for line in lines) == 1, (path, result.output)
    mp3 = speech.path.with_suffix(".mp3")
    assert f"{mp3} -> {out / 'speech.vtt'}, {out / 'speech.json'} (3 sentences" in result.output
    assert "Transcribed 1 of 5 audio files; 4 failed." in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == ["speech.json", "speech.vtt"]


def test_the_written_transcripts_read_back_as_the_speech(batch):
    speech, _, out, _ = batch
    _, document = read_document(out / "speech.vtt", "speech.vtt")
    text = " ".join(p.text for p in document.passages).lower()
    assert "should be tested long before the day" in text and "coffee" in text
    assert document.passages[0].start == pytest.approx(speech.starts[0], abs=1.0)
    data = json.loads((out / "speech.json").read_text(encoding="utf-8"))
    assert len(data["segments"]) == 3 and data["segments"][-1]["endTime"] <= speech.duration


def test_vtt_only_beside_the_audio_and_exit_zero_when_all_succeed(batch, tmp_path):
    speech = make_speech(tmp_path, sentences=(
        "The morning train was late again, so we walked to the office together.",
        "Our team moved the old computers into a new building last spring."), name="train.wav")
    result = run(speech.path, "--format", "vtt", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "Transcribed 1 of 1 audio files." in result.output
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".wav")) == ["train.vtt"]


def test_a_folder_is_walked_for_audio(tmp_path):
    (tmp_path / "notes.txt").write_text("not audio")
    zero_byte_audio(tmp_path, "a.mp3")
    broken_audio(tmp_path, "b.ogg")
    result = run(tmp_path)
    assert result.exit_code == 1
    assert "Transcribed 0 of 2 audio files; 2 failed." in result.output and "notes.txt" not in result.output


def test_an_unknown_language_is_a_usage_error(tmp_path):
    result = run(zero_byte_audio(tmp_path), "--lang", "xx")
    assert result.exit_code == 2
    assert "--lang: 'xx' is not a language the speech model knows" in result.output


def test_a_missing_model_folder_in_the_setting_is_one_clear_error(tmp_path):
    result = run(zero_byte_audio(tmp_path), env={"PODQUOTE_ASR_MODEL": str(tmp_path / "no-model")})
    assert result.exit_code == 1
    assert f"the speech model folder {tmp_path / 'no-model'} does not exist" in " ".join(result.output.split())


def test_help_says_how_to_install_and_what_the_exit_codes_mean():
    result = runner.invoke(app, ["transcribe", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "Example" in text and 'pip install "podquote[audio]"' in text
    assert "1 when any failed" in text and "--format" in text and "--asr-model" in text


def test_without_the_extra_an_audio_file_gets_the_one_install_message(batch, tmp_path):
    speech = batch[0]
    process = subprocess.run([sys.executable, "-c", WITHOUT_FASTER_WHISPER, "transcribe", str(speech.path),
                              "-o", str(tmp_path)],
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == 1
    assert process.stderr.count(AUDIO_EXTRA_MESSAGE) == 1, process.stderr
    assert "Traceback" not in process.stderr and not list(tmp_path.iterdir())
