"""A damaged index is a clear error, everywhere: library, CLI and server start; and `podquote index` repairs it.

Every index file type is flipped (one byte), truncated and deleted; CURRENT and the manifest are damaged in the
ways a crash, a bad copy or a hand edit would. Each case must give IndexCorrupt (or IndexMismatch) naming the
file and the rebuild command: never a numpy, FAISS or SQLite error, a traceback or a crash.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from podquote import Collection, IndexCorrupt, IndexMismatch, build_index
from podquote.api.app import create_app
from podquote.cli import app as cli
from podquote.store import CURRENT, current_generation
from podquote.store import MANIFEST_FILE
from podquote.adjacency import ADJACENCY_FILE
from podquote.store import INDEX_FILES, STAMP_FILE, verify_generation
from podquote.store import Manifest

QUERY = "Ceph block file object storage"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """One small index (fake embedder), copied for each case."""
    from helpers import BUILTIN

    tmp = tmp_path_factory.mktemp("integrity")
    sources = tmp / "sources"
    sources.mkdir()
    shutil.copy(BUILTIN, sources / "kubecon.md")
    (sources / "storage.md").write_text(
        "# Storage talk\n\nAlice said, \"Ceph gives you block, file and object storage from one cluster.\"\n\n"
        "\"Backups are the part everyone forgets until the day they need them,\" said Bob.\n", encoding="utf-8")
    root = tmp / "index"
    build_index(root, [sources], embedder="fake")
    return root


@pytest.fixture
def index(pristine, tmp_path):
    root = tmp_path / "index"
    shutil.copytree(pristine, root)
    return root


def answers(root):
    return [h.passage.id for h in Collection.open(root).search(QUERY, k=5)]


def flip(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(path):
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size * 2 // 3)


def delete(path):
    path.unlink()


DAMAGE = {"flipped": flip, "truncated": truncate, "missing": delete}


def damage_cases():
    for name in (*INDEX_FILES, ADJACENCY_FILE):
        for kind in DAMAGE:
            yield pytest.param(name, kind, id=f"{kind}-{name}")


def assert_clear_error_everywhere(root, fragment, error=IndexCorrupt):
    """Library, CLI (search, info, serve) and API start: one clear message naming `fragment` and the fix."""
    with pytest.raises(error) as raised:
        Collection.open(root)
    message = str(raised.value)
    assert fragment in message and "podquote index" in message, message
    for args in (["search", QUERY], ["info"], ["info", "--verify"], ["serve", "--port", "1"]):
        result = CliRunner().invoke(cli, [*args, "--index", str(root)])
        assert result.exit_code == 1, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0], (args, result.output)
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
    with pytest.raises(error) as raised:
        with TestClient(create_app(root)):
            pass
    assert fragment in str(raised.value)
    return message


@pytest.mark.parametrize("name, kind", list(damage_cases()))
def test_damaged_index_file_is_a_clear_error(index, name, kind):
    DAMAGE[kind](current_generation(index) / name)
    message = assert_clear_error_everywhere(index, name)
    assert str(current_generation(index) / name) in message


@pytest.mark.parametrize("name, kind", [("vectors.npy", "flipped"), ("passages.sqlite", "truncated"),
                                        ("sentence_offsets.npy", "missing")])
def test_podquote_index_repairs_a_damaged_index(index, name, kind):
    expected = answers(index)
    DAMAGE[kind](current_generation(index) / name)
    result = CliRunner().invoke(cli, ["index", "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert answers(index) == expected
    Collection.open(index, verify=True)


@pytest.mark.parametrize("content", [b"", b"\x00\xff\xfe garbage", b"gen-doesnotexist\n", b"../../etc\n",
                                     b"gen-" + b"a" * 300 + b"\n"],
                         ids=["empty", "binary", "missing-generation", "escape", "huge"])
def test_garbage_current_is_a_clear_error_and_repairable(index, content):
    expected = answers(index)
    (index / CURRENT).write_bytes(content)
    assert_clear_error_everywhere(index, CURRENT)
    build_index(index)  # the roots and embedder come from the newest readable manifest
    assert answers(index) == expected


def test_current_that_is_a_folder_is_a_clear_error(index):
    (index / CURRENT).unlink()
    (index / CURRENT).mkdir()
    assert_clear_error_everywhere(index, CURRENT)


def _edit_manifest(root, change):
    path = current_generation(root) / MANIFEST_FILE
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


MANIFEST_DAMAGE = {
    "not-json": lambda p: p.write_text("{ not json"),
    "binary": lambda p: p.write_bytes(b"\xff\xfe\x00\x01"),
    "a-list": lambda p: p.write_text("[1, 2, 3]"),
    "flipped-byte": lambda p: p.write_text(p.read_text().replace('"fake"', '"fakf"', 1)),
    "missing": lambda p: p.unlink(),
}


@pytest.mark.parametrize("kind", list(MANIFEST_DAMAGE))
def test_damaged_manifest_is_a_clear_error(index, kind):
    MANIFEST_DAMAGE[kind](current_generation(index) / MANIFEST_FILE)
    assert_clear_error_everywhere(index, MANIFEST_FILE)


@pytest.mark.parametrize("change", [
    lambda d: d.pop("files"),
    lambda d: d["files"].pop("vectors.npy"),
    lambda d: d.update(dimension="256"),
    lambda d: d.update(files={"../../etc/passwd": {"sha256": "0" * 64, "bytes": 1}}),
    lambda d: d["files"]["ids.npy"].update(sha256="not-hex"),
    lambda d: d.pop("counts"),
], ids=["no-files", "file-dropped", "dimension-string", "path-escape", "bad-digest", "no-counts"])
def test_manifest_with_bad_fields_is_a_clear_error(index, change):
    """Edited by hand (no self-checksum any more): each field is checked before it is trusted."""
    def edit(data):
        change(data)
        data.pop("manifest_sha256")
    _edit_manifest(index, edit)
    assert_clear_error_everywhere(index, MANIFEST_FILE)


def test_format_version_and_embedder_are_checked(index):
    with pytest.raises(IndexMismatch, match="fake-32"):
        Collection.open(index, embedder="fake-32")
    _edit_manifest(index, lambda d: (d.update(format_version=99), d.pop("manifest_sha256")))
    with pytest.raises(IndexMismatch, match="format version 99"):
        Collection.open(index)
    result = CliRunner().invoke(cli, ["search", QUERY, "--index", str(index)])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "podquote index --fresh" in result.output


def test_quick_check_hashes_only_changed_files(pristine, index):
    built = current_generation(pristine)
    assert verify_generation(built, Manifest.read(built), full=False) == 0  # the build recorded its own check
    generation = current_generation(index)
    manifest = Manifest.read(generation)
    assert verify_generation(generation, manifest, full=False) == len(manifest.files)  # a copy: new inodes, once
    assert verify_generation(generation, manifest, full=False) == 0
    os.utime(generation / "ids.npy")  # same bytes, new mtime: hashed again, found intact
    assert verify_generation(generation, manifest, full=False) == 1
    assert verify_generation(generation, manifest, full=False) == 0
    assert verify_generation(generation, manifest, full=True) == len(manifest.files)


def test_flip_with_mtime_put_back_is_still_caught(index):
    path = current_generation(index) / "sentences.npy"
    stat = path.stat()
    flip(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # ctime still moves: the stamp no longer matches
    with pytest.raises(IndexCorrupt, match="sentences.npy"):
        Collection.open(index)


def test_what_only_the_full_check_catches(index):
    """The documented trade-off: bytes changed behind a stamp that still matches (as bit rot would, with no stat
    change) pass the quick check; `info --verify` and server start hash everything and catch them."""
    generation = current_generation(index)
    path = generation / "sentences.npy"
    stamps = json.loads((generation / STAMP_FILE).read_text())
    flip(path)
    stat = path.stat()
    stamps["files"]["sentences.npy"]["stat"] = [stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns,
                                                stat.st_ctime_ns]
    (generation / STAMP_FILE).write_text(json.dumps(stamps))
    Collection.open(index)  # quick check: trusts the stamp
    result = CliRunner().invoke(cli, ["info", "--verify", "--index", str(index)])
    assert result.exit_code == 1 and "sentences.npy" in result.output and "checksum" in result.output
    with pytest.raises(IndexCorrupt, match="sentences.npy"):
        with TestClient(create_app(index)):
            pass


def test_damaged_stamp_file_only_costs_a_rehash(index):
    generation = current_generation(index)
    (generation / STAMP_FILE).write_bytes(b"\x00garbage")
    manifest = Manifest.read(generation)
    assert verify_generation(generation, manifest, full=False) == len(manifest.files)
    assert json.loads((generation / STAMP_FILE).read_text())["version"] == 1


def test_read_only_index_still_opens(index):
    generation = current_generation(index)
    (generation / STAMP_FILE).unlink()
    os.chmod(generation, 0o555)
    try:
        assert answers(index)
    finally:
        os.chmod(generation, 0o755)


def test_info_verify_reports_a_full_check(index):
    result = CliRunner().invoke(cli, ["info", "--verify", "--index", str(index)])
    assert result.exit_code == 0 and "All files match" in result.output
