"""Crash safety of a reindex: SIGKILL at 20 named points and at random moments, a full disk, and the clean-up.

scripts/reindex.py runs as a real subprocess (the fake embedder loaded as a plugin) on a copy of a small index.
search/store/faults.py makes it SIGKILL itself at the n-th time it reaches a named point (PODQUOTE_CRASH_AT); the list
of points comes from one traced, uninterrupted run, and a seeded RNG picks 20 of them. More runs are killed from
outside after a seeded random delay, with every point slowed down so the kill lands inside the build.

After every kill: the index loads with the full checksum check and answers exactly as the old generation did
(killed before the CURRENT swap) or exactly as the new one does (after it), never anything else; then the next
build, or the next server start, removes every leftover (.building-*, *.tmp) and the build prunes to two
generations.
"""

from __future__ import annotations

import errno
import fcntl
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from podquote import Collection, PodquoteError, build_index
from podquote.store import generations
from podquote.api.app import create_app
from podquote.cli import app as cli
from podquote.store import BUILDING_PREFIX, CURRENT, GENERATION_PREFIX, LOCK_FILE, current_generation

from helpers import PROJECT

SCRIPT = PROJECT / "scripts" / "reindex.py"
SEED = 20261127
NAMED_KILLS = 20
TIMED_KILLS = 6
POINT_DELAY = 0.02
QUERIES = ["Ceph block file object storage", "Rook storage bare metal", "backups forget", "gardening patience"]
NEW_QUOTE = "# Garden\n\n\"Gardening teaches patience better than any course on storage,\" said Una.\n"


def answers(root: Path) -> list:
    """What the served index answers, to the last id and score; opened with the full checksum check."""
    collection = Collection.open(root, verify=True)
    try:
        return [[(h.passage.id, round(h.score, 5)) for h in collection.search(q, k=5)] for q in QUERIES]
    finally:
        collection.close()


def leftovers(root: Path) -> list[str]:
    found = [p.name for p in root.iterdir() if p.name.startswith(BUILDING_PREFIX) or p.name.endswith(".tmp")]
    for generation in root.glob(f"{GENERATION_PREFIX}*"):
        found += [f"{generation.name}/{p.name}" for p in generation.iterdir() if p.name.endswith(".tmp")]
    return sorted(found)


def reindex(index: Path, sources: Path, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), str(sources), "--index", str(index), "--quiet"],
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    """A base index with two generations and a dead build's leftovers, the sources of the next build, and the
    answers before and after it."""
    tmp = tmp_path_factory.mktemp("crash")
    sources = tmp / "sources"
    sources.mkdir()
    # English only and tiny: Chinese text would load jieba and pinyin tables in each of the 26 processes.
    (sources / "rook.md").write_text(
        "# Rook\n\n\"Rook shines when you run storage on your own bare metal hardware,\" said Watts.\n\n"
        "\"It abstracts storage down to the volume level for Kubernetes,\" said Watts.\n", encoding="utf-8")
    (sources / "storage.md").write_text(
        "# Storage talk\n\nAlice said, \"Ceph gives you block, file and object storage from one cluster.\"\n\n"
        "\"Backups are the part everyone forgets until the day they need them,\" said Bob.\n", encoding="utf-8")
    base = tmp / "base"
    build_index(base, [sources], embedder="fake")
    (sources / "storage.md").write_text((sources / "storage.md").read_text() + "\n\"Snapshots are cheap,\" said Bob.\n")
    build_index(base, [sources], embedder="fake")  # two generations: the next build prunes one
    (base / f"{BUILDING_PREFIX}deadbeef0000").mkdir()  # what an earlier killed build left
    (base / f"{BUILDING_PREFIX}deadbeef0000" / "vectors.npy").write_bytes(b"partial")
    (base / f"{CURRENT}.deadbeef.tmp").write_text("gen-x\n")
    before = answers(base)
    (sources / "garden.md").write_text(NEW_QUOTE, encoding="utf-8")

    traced = tmp / "traced"
    shutil.copytree(base, traced)
    trace = tmp / "trace.txt"
    run = reindex(traced, sources, PODQUOTE_CRASH_TRACE=str(trace))
    _, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    points = trace.read_text().split()
    after = answers(traced)
    assert after != before  # the new generation really answers differently
    return {"tmp": tmp, "sources": sources, "base": base, "points": points, "before": before, "after": after}


def test_the_trace_covers_every_step(scenario):
    names = {p.rsplit(":", 1)[0] for p in scenario["points"]}
    assert {"clean:removed", "build:dir-created", "build:hashed", "publish:verified", "publish:fsync-file",
            "publish:renamed", "publish:pointer-written", "publish:replaced", "prune:removed"} <= names
    assert len(scenario["points"]) >= NAMED_KILLS


def test_sigkill_at_20_points_and_at_random_moments(scenario):
    started = time.monotonic()
    points = scenario["points"]
    commit = points.index("publish:replaced:1")
    rng = random.Random(SEED)
    chosen = sorted(rng.sample(range(len(points)), NAMED_KILLS))
    delays = [rng.uniform(0, len(points) * POINT_DELAY) for _ in range(TIMED_KILLS)]
    cases = [(f"at-{points[i]}", i) for i in chosen] + [(f"after-{d:.3f}s", d) for d in delays]

    def run(case):
        label, spec = case
        index = scenario["tmp"] / f"kill-{label.replace(':', '-')}"
        shutil.copytree(scenario["base"], index)
        if isinstance(spec, int):
            process = reindex(index, scenario["sources"], PODQUOTE_CRASH_AT=points[spec])
            process.communicate(timeout=120)
            return label, spec, index, process.returncode
        trace = index.parent / f"{index.name}.trace"
        process = reindex(index, scenario["sources"], PODQUOTE_CRASH_TRACE=str(trace),
                          PODQUOTE_CRASH_DELAY=str(POINT_DELAY))
        deadline = time.monotonic() + 60
        while not (trace.exists() and trace.stat().st_size) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(spec)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=120)
        return label, spec, index, process.returncode

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, cases))

    left_something = 0
    for n, (label, spec, index, returncode) in enumerate(results):
        if isinstance(spec, int):
            assert returncode == -signal.SIGKILL, f"{label}: the process was not killed ({returncode})"
            expected = scenario["after"] if spec >= commit else scenario["before"]
            assert answers(index) == expected, f"{label}: the served index changed or broke"
        else:
            assert returncode in (-signal.SIGKILL, 0), label
            assert answers(index) in (scenario["before"], scenario["after"]), f"{label}: served a mixed index"
        left_something += bool(leftovers(index))
        # The next start cleans up: a server start (every other case) or the next build.
        if n % 2:
            with TestClient(create_app(index)) as client:
                assert client.get("/healthz").status_code == 200
            assert leftovers(index) == [], label
        build_index(index, [scenario["sources"]], embedder="fake")
        assert leftovers(index) == [], label
        assert answers(index) == scenario["after"], label
        assert len(list(index.glob(f"{GENERATION_PREFIX}*"))) <= 2, label
    assert left_something >= NAMED_KILLS // 2  # the kills really did leave debris for the clean-up to remove
    killed = sum(returncode == -signal.SIGKILL for _, _, _, returncode in results)
    print(f"{killed} of {len(results)} runs killed ({NAMED_KILLS} at named points), {left_something} left debris, "
          f"{time.monotonic() - started:.1f} s")
    assert killed >= NAMED_KILLS + TIMED_KILLS // 2  # most timed kills land inside the build, not after it
    assert time.monotonic() - started < 60


def test_serve_start_never_cleans_a_build_that_holds_the_lock(tmp_path, fake_index):
    live = fake_index / f"{BUILDING_PREFIX}alive0000000"
    live.mkdir()
    with open(fake_index / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running build holds it
        with TestClient(create_app(fake_index)) as client:
            assert client.get("/healthz").status_code == 200
        assert live.is_dir()
    with TestClient(create_app(fake_index)):
        pass
    assert not live.exists()


def test_second_build_while_one_runs_is_refused(fake_index, sources):
    with open(fake_index / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(PodquoteError, match="already building"):
            build_index(fake_index, [sources], embedder="fake")


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("target", ["vectors", "pointer"])
def test_full_disk_fails_cleanly_and_keeps_the_old_index(fake_index, sources, monkeypatch, target):
    """ENOSPC while writing the new vectors, or while writing the new CURRENT pointer (after the rename)."""
    before = answers(fake_index)
    served = current_generation(fake_index)
    (sources / "new.md").write_text(NEW_QUOTE, encoding="utf-8")
    if target == "vectors":
        monkeypatch.setattr(np, "save", _no_space)
    else:
        full_os = types.SimpleNamespace(**{name: getattr(os, name) for name in dir(os) if not name.startswith("__")})
        full_os.write = _no_space
        monkeypatch.setattr(generations, "os", full_os)
    with pytest.raises(PodquoteError) as error:
        build_index(fake_index, [sources], embedder="fake")
    message = str(error.value)
    assert "no space left" in message and "unchanged" in message and "podquote index" in message
    monkeypatch.undo()
    assert current_generation(fake_index) == served
    assert leftovers(fake_index) == []
    assert len(list(fake_index.glob(f"{GENERATION_PREFIX}*"))) == 1
    assert answers(fake_index) == before


def test_full_disk_in_the_cli_is_one_line(fake_index, sources, monkeypatch):
    (sources / "new.md").write_text(NEW_QUOTE, encoding="utf-8")
    monkeypatch.setattr(np, "save", _no_space)
    result = CliRunner().invoke(cli, ["index", str(sources), "--index", str(fake_index), "--embedder", "fake"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()  # progress lines ("Reading files: 1/3"), then the error
    assert lines[-1].startswith("Error: no space left"), result.output
    assert [line for line in lines if "rror" in line] == lines[-1:]
    assert "Traceback" not in result.output


def test_failed_write_in_the_script_is_one_line(tmp_path, fake_index, sources):
    """A real failed write in a real process, no monkeypatch: the script runs with a file-size limit (RLIMIT_FSIZE)
    smaller than the new index, so the kernel refuses its writes (EFBIG) part-way through the build."""
    (sources / "new.md").write_text(NEW_QUOTE * 50, encoding="utf-8")
    before = answers(fake_index)
    code = (
        "import resource, signal, sys, runpy\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"  # then a write past the limit fails with EFBIG
        "resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))\n"
        f"sys.argv = ['reindex.py', {str(sources)!r}, '--index', {str(fake_index)!r}, '--quiet']\n"
        f"runpy.run_path({str(SCRIPT)!r}, run_name='__main__')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("reindex: error: could not write the new index"), result.stderr
    assert "unchanged" in lines[0]
    assert leftovers(fake_index) == []
    assert answers(fake_index) == before


def test_clean_up_keeps_a_generation_an_operator_rolled_back_from(fake_index, sources):
    (sources / "new.md").write_text(NEW_QUOTE, encoding="utf-8")
    old = current_generation(fake_index)
    new = build_index(fake_index, [sources], embedder="fake").generation
    (fake_index / CURRENT).write_text(old.name + "\n")  # roll back by hand
    with TestClient(create_app(fake_index)) as client:  # server start runs the clean-up
        assert client.get("/healthz").json()["generation"] == old.name
    assert new.is_dir() and Collection.open(fake_index, verify=True).generation == old
