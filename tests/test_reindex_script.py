"""scripts/reindex.py as a user runs it: a real subprocess, the fake embedder loaded as a plugin."""

from __future__ import annotations

import subprocess
import sys

from podquote import Collection

from helpers import PROJECT

SCRIPT = PROJECT / "scripts" / "reindex.py"


def reindex(*args):
    return subprocess.run([sys.executable, SCRIPT, *map(str, args)], capture_output=True, text=True, timeout=120)


def test_reindex_builds_then_reports_changes(tmp_path, sources):
    index = tmp_path / "idx"
    first = reindex(sources, "--index", index, "--embedder", "fake")
    assert first.returncode == 0, first.stderr
    assert "2 new or changed" in first.stdout and "article 2" in first.stdout
    (sources / "storage.md").unlink()
    second = reindex(sources, "--index", index)
    assert second.returncode == 0, second.stderr
    assert "1 removed" in second.stdout and "0 embedded" in second.stdout
    assert Collection.open(index).manifest.embedder == "fake"


def test_reindex_error_is_one_line(tmp_path):
    result = reindex("/no/such/dir", "--index", tmp_path / "idx", "--embedder", "fake")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["reindex: error: /no/such/dir: no such file or folder"]


def test_reindex_help():
    result = reindex("--help")
    assert result.returncode == 0 and "atomically" in result.stdout
