"""Whole files that must never be seen half done: hashed without reading them whole, written by rename.

The index's manifest, the model caches, feed copies, sidecars and transcripts all go through these two.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

_CHUNK = 1 << 20  # an audio episode or a vector file is far larger than memory needs to hold at once


def sha256_digest(path: Path):
    """The sha256 object of the file's bytes, read in chunks; callers may update it further."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest


def sha256_file(path: Path) -> str:
    return sha256_digest(path).hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside and rename: a reader (or a build) never sees half a file. The temporary name is a dot name
    (never walked as a source) and unique, so two processes writing the same file do not collide."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, data: bytes) -> bool:
    """write_atomically unless the file already holds `data` (a refresh rewrites nothing unchanged); whether it
    wrote."""
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    write_atomically(path, data)
    return True
