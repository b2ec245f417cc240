"""The manifest: an index that describes itself (format, embedder, counts, checksums of every file)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .errors import IndexCorrupt, IndexMismatch

MANIFEST_FILE = "manifest.json"
FORMAT = "podquote-index"
FORMAT_VERSION = 1


def package_version() -> str:
    try:
        from importlib.metadata import version

        return version("podquote")
    except Exception:  # running from a source tree that was never installed
        return "0+unknown"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Manifest:
    embedder: str
    dimension: int
    vector_store: dict
    counts: dict
    files: dict = field(default_factory=dict)  # name -> {"sha256", "bytes"}
    roots: dict = field(default_factory=dict)
    built_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    podquote_version: str = field(default_factory=package_version)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def record_files(self, directory: Path, names: list[str]) -> None:
        self.files = {
            name: {"sha256": sha256_file(directory / name), "bytes": (directory / name).stat().st_size}
            for name in names
        }

    def write(self, directory: Path) -> None:
        path = directory / MANIFEST_FILE
        path.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, directory: Path) -> "Manifest":
        path = directory / MANIFEST_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise IndexCorrupt(f"{path} is missing; rebuild the index with `podquote index`") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise IndexCorrupt(f"{path} is not valid JSON ({exc}); rebuild with `podquote index`") from None
        if data.get("format") != FORMAT:
            raise IndexCorrupt(f"{directory} is not a podquote index")
        if data.get("format_version") != FORMAT_VERSION:
            raise IndexMismatch(
                f"{directory} has index format version {data.get('format_version')}, this podquote reads "
                f"version {FORMAT_VERSION}; rebuild it with `podquote index --fresh`"
            )
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def verify_files(self, directory: Path, *, checksums: bool) -> None:
        """Sizes always; sha256 too when `checksums` (it reads every byte, so it is the slow check)."""
        for name, expected in self.files.items():
            path = directory / name
            if not path.exists():
                raise IndexCorrupt(f"{path} is missing; rebuild the index with `podquote index`")
            if path.stat().st_size != expected["bytes"]:
                raise IndexCorrupt(
                    f"{path} has {path.stat().st_size} bytes, the manifest says {expected['bytes']} "
                    "(truncated or replaced); rebuild the index with `podquote index`"
                )
            if checksums and sha256_file(path) != expected["sha256"]:
                raise IndexCorrupt(f"{path} fails its sha256 checksum; rebuild the index with `podquote index`")

    def check_embedder(self, name: str, dimension: int, directory: Path) -> None:
        if (self.embedder, self.dimension) != (name, dimension):
            raise IndexMismatch(
                f"the index at {directory} was built with embedder {self.embedder!r} ({self.dimension}-d), "
                f"not {name!r} ({dimension}-d); search it with --embedder {self.embedder}, or rebuild it with "
                f"`podquote index --fresh --embedder {name}`"
            )
