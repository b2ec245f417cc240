"""Checking an index generation against its manifest, fast enough for every command.

Every file a generation holds is listed in its manifest with its size and sha256. Hashing ~1 GB (an index of
~200k passages) takes about a second, too long for each `podquote search`. So a full check records, in a sidecar
`verified.json` inside the generation, the stat of each file it hashed: (device, inode, size, mtime_ns,
ctime_ns) and the sha256 the manifest expects. A later check hashes again only the files whose stat or expected
checksum changed since; the others cost one `os.stat` each.

What the quick check catches: a missing, truncated, extended, replaced or rewritten file, a file copied from
elsewhere (new inode), a changed manifest. What only the full check catches: bytes changed under the file system
without any stat change (bit rot, a raw disk write). `podquote serve` start, the server's reload of a new
generation, `podquote info --verify` and the build itself (right before it publishes) always do the full check.

The build writes the sidecar as part of its own full check, so the first search after a build hashes nothing.
If the sidecar cannot be written (a read-only index), checks still work; they just hash every time.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from ..errors import IndexCorrupt
from .hints import rebuild_hint
from ..file_integrity import sha256_file
from .manifest import Manifest

STAMP_FILE = "verified.json"
STAMP_VERSION = 1


def _stat_key(stat: os.stat_result) -> list[int]:
    return [stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns]


def _read_stamps(generation: Path) -> dict:
    try:
        data = json.loads((generation / STAMP_FILE).read_text(encoding="utf-8"))
        if data.get("version") == STAMP_VERSION and isinstance(data.get("files"), dict):
            return data["files"]
    except (OSError, ValueError, AttributeError):
        pass  # no sidecar, or a damaged one: everything is hashed again
    return {}


def _write_stamps(generation: Path, stamps: dict) -> None:
    tmp = generation / f"{STAMP_FILE}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump({"version": STAMP_VERSION, "files": stamps}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, generation / STAMP_FILE)
    except OSError:  # read-only index, full disk, generation pruned meanwhile: the next check hashes again
        try:
            tmp.unlink()
        except OSError:
            pass


def verify_generation(generation: Path, manifest: Manifest, *, full: bool, required: tuple[str, ...] = ()) -> int:
    """Raise IndexCorrupt naming the first file that does not match the manifest; return how many were hashed.

    `full` hashes every file; otherwise only files whose stat changed since the last recorded full check.
    `required` names files that must be listed in the manifest (a manifest that drops one is itself damaged).
    """
    root = generation.parent
    fix = rebuild_hint(root)
    for name in required:
        if name not in manifest.files:
            raise IndexCorrupt(f"{generation / 'manifest.json'} does not list {name}; rebuild the index with {fix}")
    stamps = {} if full else _read_stamps(generation)
    fresh: dict[str, dict] = {}
    hashed = 0
    for name, expected in manifest.files.items():
        path = generation / name
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise IndexCorrupt(f"index file {path} is missing; rebuild the index with {fix}") from None
        except OSError as exc:
            raise IndexCorrupt(f"cannot read index file {path} ({exc.strerror}); rebuild the index with {fix}") from None
        if not path.is_file():
            raise IndexCorrupt(f"index file {path} is not a regular file; rebuild the index with {fix}")
        if stat.st_size != expected["bytes"]:
            raise IndexCorrupt(
                f"index file {path} has {stat.st_size} bytes, its manifest says {expected['bytes']} "
                f"(truncated or overwritten); rebuild the index with {fix}"
            )
        key = _stat_key(stat)
        stamp = stamps.get(name)
        if isinstance(stamp, dict) and stamp.get("stat") == key and stamp.get("sha256") == expected["sha256"]:
            fresh[name] = stamp
            continue
        try:
            digest = sha256_file(path)
        except OSError as exc:
            raise IndexCorrupt(f"cannot read index file {path} ({exc.strerror}); rebuild the index with {fix}") from None
        hashed += 1
        if digest != expected["sha256"]:
            raise IndexCorrupt(
                f"index file {path} does not match its checksum in the manifest (corrupted or changed since it "
                f"was built); rebuild the index with {fix}"
            )
        fresh[name] = {"stat": key, "sha256": digest}
    if hashed:
        _write_stamps(generation, fresh)
    return hashed
