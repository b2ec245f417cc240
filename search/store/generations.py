"""Index directory layout: complete generations beside each other and a CURRENT pointer swapped atomically.

    DIR/CURRENT          name of the generation being served (replaced by rename, never edited in place)
    DIR/gen-<stamp>/     manifest.json, passages.sqlite, vectors.npy, ids.npy, sentence files, verified.json
    DIR/.building-<id>/  a build in progress; renamed to gen-<stamp> only when complete and verified
    DIR/.lock            flock held by a build (and by the clean-up at `podquote serve` start)

Publishing a build, in order: check every file against the manifest (sha256), fsync every file and the build
directory, rename it to gen-<stamp>, write CURRENT.<id>.tmp and fsync it, rename it over CURRENT (the commit
point), fsync DIR. A process killed at any step leaves either the old generation served or the new one, never a
mix; what it leaves behind (.building-*, *.tmp, generations past the last two) is removed by the next build, or
at `podquote serve` start when no build holds the lock.

A reader resolves CURRENT once and keeps using that generation, so it never sees half an index. The previous
generation is kept, so readers that opened it just before a swap can finish.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import shutil
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from ..errors import IndexCorrupt, IndexNotFound, PodquoteError
from . import faults
from .checks import verify_generation
from .hints import build_hint, rebuild_hint
from .manifest import Manifest

CURRENT = "CURRENT"
BUILDING_PREFIX = ".building-"
GENERATION_PREFIX = "gen-"
LOCK_FILE = ".lock"
KEEP_GENERATIONS = 2
_GENERATION_NAME = re.compile(r"gen-[0-9A-Za-z]{1,64}")
_POINTER_MAX_BYTES = 256

log = logging.getLogger("podquote")


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def current_generation(root: Path) -> Path:
    """The served generation; IndexNotFound without CURRENT, IndexCorrupt if CURRENT names no generation."""
    pointer = root / CURRENT
    fix = f"rebuild the index with {rebuild_hint(root)}"
    try:
        with open(pointer, "rb") as handle:
            raw = handle.read(_POINTER_MAX_BYTES + 1)
    except FileNotFoundError:
        what = "it is not an index folder" if Path(root).is_dir() else "no such folder"
        raise IndexNotFound(f"no index at {root} ({what}); build one with {build_hint(root)}") from None
    except NotADirectoryError:
        raise IndexNotFound(f"no index at {root} (it is a file, not a folder); give --index a folder, or build one "
                            f"with {build_hint('DIR')}") from None
    except OSError as exc:
        raise IndexCorrupt(f"cannot read {pointer} ({exc.strerror}); {fix}") from None
    try:
        name = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        name = None
    if name is None or len(raw) > _POINTER_MAX_BYTES or not _GENERATION_NAME.fullmatch(name):
        shown = raw[:40].decode("ascii", "replace").strip()
        raise IndexCorrupt(f"{pointer} is damaged (it holds {shown!r}, not a generation name); {fix}")
    generation = root / name
    if not generation.is_dir():
        raise IndexCorrupt(f"{pointer} points at {name}, which does not exist in {root}; {fix}")
    return generation


@contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """One build at a time per index directory; a second one fails at once instead of racing."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK_FILE, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PodquoteError(f"another `podquote index` is already building {root}") from None
        yield


def has_index(root: Path) -> bool:
    return (root / CURRENT).exists()


def new_build_dir(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{BUILDING_PREFIX}{uuid.uuid4().hex[:12]}"
    path.mkdir()
    faults.point("build:dir-created")
    return path


def publish(root: Path, build: Path) -> Path:
    """Make a finished build the served generation: verify it, fsync it, rename it, then swap CURRENT atomically.

    Raises IndexCorrupt if the build does not match its own manifest; the served index is then untouched.
    """
    verify_generation(build, Manifest.read(build), full=True)  # also records the stamps for quick later checks
    faults.point("publish:verified")
    for child in sorted(build.iterdir()):
        fsync_path(child)
        faults.point("publish:fsync-file")
    fsync_path(build)
    faults.point("publish:fsync-dir")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    generation = root / f"{GENERATION_PREFIX}{stamp}"
    build.rename(generation)
    faults.point("publish:renamed")
    pointer_tmp = root / f"{CURRENT}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        fd = os.open(pointer_tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            faults.point("publish:pointer-opened")
            data = (generation.name + "\n").encode("ascii")
            if os.write(fd, data) != len(data):
                raise OSError(errno.EIO, "short write", str(pointer_tmp))
            faults.point("publish:pointer-written")
            os.fsync(fd)
        finally:
            os.close(fd)
        faults.point("publish:pointer-synced")
        os.replace(pointer_tmp, root / CURRENT)  # the commit point
    except BaseException:
        pointer_tmp.unlink(missing_ok=True)
        if _pointed_at(root) != generation.name:  # never served: nobody can have opened it
            shutil.rmtree(generation, ignore_errors=True)
        raise
    faults.point("publish:replaced")
    try:
        fsync_path(root)
    except OSError as exc:  # the swap happened; only its durability across a power cut is in doubt
        log.warning("could not fsync %s after the swap (%s)", root, exc)
    faults.point("publish:root-synced")
    prune(root)
    return generation


def _pointed_at(root: Path) -> str | None:
    try:
        return current_generation(root).name
    except (IndexNotFound, IndexCorrupt):
        return None


def _generations(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.name.startswith(GENERATION_PREFIX) and p.is_dir())


def prune(root: Path) -> None:
    """Remove generations older than the last KEEP_GENERATIONS (never the served one)."""
    try:
        served = current_generation(root).name
    except (IndexNotFound, IndexCorrupt):
        return
    for old in _generations(root)[:-KEEP_GENERATIONS]:
        if old.name != served:
            shutil.rmtree(old, ignore_errors=True)
            faults.point("prune:removed")


def clean_stale_builds(root: Path) -> list[Path]:
    """Remove what a killed build left: .building-*, *.tmp, generations past the last KEEP_GENERATIONS (never
    pruned). A complete generation that is not served is kept: it may be one an operator rolled back from.

    Call only while holding the build lock (build_index does; `podquote serve` start uses clean_if_idle).
    """
    if not root.is_dir():
        return []
    stale = [p for p in root.iterdir() if p.name.startswith(BUILDING_PREFIX) or p.name.endswith(".tmp")]
    for generation in _generations(root):
        stale.extend(p for p in generation.iterdir() if p.name.endswith(".tmp"))  # a reader's stamp sidecar
    for path in stale:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        faults.point("clean:removed")
    prune(root)  # a build killed after its swap never pruned; an update that changes nothing does not publish
    return stale


def clean_if_idle(root: Path) -> list[Path]:
    """clean_stale_builds, unless a build holds the lock (then its .building dir is alive: leave everything)."""
    if not (root / CURRENT).exists():
        return []
    try:
        handle = open(root / LOCK_FILE, "a")
    except OSError:  # read-only index directory: nothing can be cleaned anyway
        return []
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return []
        return clean_stale_builds(root)
