"""Writing a new generation: a build directory, the files named in it, their manifest, then the atomic swap.

Both `podquote index` (podquote.indexing) and the synthetic indexes of scripts/scale.py write through this, so the
layout, the checksums and the publishing order (podquote.store.generations) are defined once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .generations import new_build_dir, publish
from .manifest import Manifest


class GenerationWriter:
    """Files written into `dir` and named with `add` become the next served generation on `publish`.

    Leaving a `with` block by an exception (or calling `abandon`) removes the build; the served index is untouched.
    """

    def __init__(self, root: Path):
        self.root = root
        self.dir = new_build_dir(root)
        self.names: list[str] = []
        self.published: Path | None = None

    def add(self, *names: str) -> None:
        self.names.extend(names)

    def publish(self, manifest: Manifest) -> Path:
        """Record every added file's size and sha256 in `manifest`, write it, verify and swap; the generation."""
        manifest.record_files(self.dir, self.names)
        manifest.write(self.dir)
        self.published = publish(self.root, self.dir)
        return self.published

    def abandon(self) -> None:
        if self.published is None:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "GenerationWriter":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            self.abandon()
