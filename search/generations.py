"""Index directory layout: complete generations beside each other and a CURRENT pointer swapped atomically.

    DIR/CURRENT          name of the generation being served (replaced by rename, never edited in place)
    DIR/gen-<stamp>/     manifest.json, passages.sqlite, vectors.npy, ids.npy
    DIR/.building-<id>/  a build in progress; renamed to gen-<stamp> only when complete

A reader resolves CURRENT once and keeps using that generation, so it never sees half an index. The previous
generation is kept, so readers that opened it just before a swap can finish.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

from .errors import IndexCorrupt, IndexNotFound

CURRENT = "CURRENT"
BUILDING_PREFIX = ".building-"
GENERATION_PREFIX = "gen-"
KEEP_GENERATIONS = 2


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def current_generation(root: Path) -> Path:
    pointer = root / CURRENT
    if not pointer.exists():
        raise IndexNotFound(f"no index at {root}; build one with `podquote index`")
    name = pointer.read_text(encoding="utf-8").strip()
    generation = root / name
    if not name.startswith(GENERATION_PREFIX) or "/" in name or not generation.is_dir():
        raise IndexCorrupt(f"{pointer} points at {name!r}, which is not a generation; rebuild with `podquote index`")
    return generation


def has_index(root: Path) -> bool:
    return (root / CURRENT).exists()


def new_build_dir(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{BUILDING_PREFIX}{uuid.uuid4().hex[:12]}"
    path.mkdir()
    return path


def publish(root: Path, build: Path) -> Path:
    """Make a finished build the served generation: fsync it, rename it, then swap CURRENT atomically."""
    for child in build.iterdir():
        fsync_path(child)
    fsync_path(build)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    generation = root / f"{GENERATION_PREFIX}{stamp}"
    build.rename(generation)
    pointer_tmp = root / f"{CURRENT}.{uuid.uuid4().hex[:8]}.tmp"
    pointer_tmp.write_text(generation.name + "\n", encoding="utf-8")
    fsync_path(pointer_tmp)
    os.replace(pointer_tmp, root / CURRENT)
    fsync_path(root)
    prune(root)
    return generation


def prune(root: Path) -> None:
    """Remove generations older than the last KEEP_GENERATIONS, and stale temporary files."""
    try:
        served = current_generation(root).name
    except (IndexNotFound, IndexCorrupt):
        return
    generations = sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith(GENERATION_PREFIX))
    for old in generations[:-KEEP_GENERATIONS]:
        if old.name != served:
            shutil.rmtree(old, ignore_errors=True)


def clean_stale_builds(root: Path) -> list[Path]:
    """Builds left by a process that died before publishing. Call only when no other build is running."""
    if not root.is_dir():
        return []
    stale = [p for p in root.iterdir() if p.name.startswith(BUILDING_PREFIX) or p.name.endswith(".tmp")]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    return stale
