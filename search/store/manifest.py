"""The manifest: an index that describes itself (format, embedder, counts, checksums of every file)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..errors import IndexCorrupt, IndexMismatch
from ..file_integrity import sha256_file
from . import faults
from .hints import rebuild_hint

MANIFEST_FILE = "manifest.json"
MAX_MANIFEST_BYTES = 16 << 20
SELF_CHECKSUM = "manifest_sha256"  # sha256 of the manifest's other fields, so a damaged manifest is noticed too
FORMAT = "podquote-index"
FORMAT_VERSION = 3  # 2: speaker keys and the FTS5 table in passages.sqlite; 3: passages.speaker_alias


def package_version() -> str:
    try:
        from importlib.metadata import version

        return version("podquote")
    except Exception:  # running from a source tree that was never installed
        return "0+unknown"


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
    readers_version: int = 0  # podquote.readers.READERS_VERSION of the readers that parsed the sources
    ranker: dict = field(default_factory=dict)  # the learned ranking shipped when it was built (podquote.ranker)
    second_embedder: dict = field(default_factory=dict)  # {"name", "dimension"}: podquote.vectors.second

    @property
    def embedder_spec(self) -> str:
        """What `--embedder` builds this index again: "use-m3", or "use-m3+e5-small" with a second embedder."""
        return self.embedder + (f"+{self.second_embedder['name']}" if self.second_embedder else "")
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def record_files(self, directory: Path, names: list[str]) -> None:
        self.files = {}
        for name in names:
            self.files[name] = {"sha256": sha256_file(directory / name), "bytes": (directory / name).stat().st_size}
            faults.point("build:hashed")

    def write(self, directory: Path) -> None:
        data = json.loads(json.dumps(asdict(self)))  # as it will read back (string keys, lists)
        data[SELF_CHECKSUM] = _self_checksum(data)
        path = directory / MANIFEST_FILE
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        faults.point("build:manifest-written")

    @classmethod
    def read(cls, directory: Path) -> "Manifest":
        """The manifest of a generation, checked for shape; IndexCorrupt or IndexMismatch names what is wrong."""
        path = directory / MANIFEST_FILE
        fix = f"rebuild the index with {rebuild_hint(directory.parent)}"
        try:
            if path.stat().st_size > MAX_MANIFEST_BYTES:
                raise IndexCorrupt(f"{path} is {path.stat().st_size} bytes, too large for a manifest; {fix}")
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise IndexCorrupt(f"{path} is missing; {fix}") from None
        except OSError as exc:
            raise IndexCorrupt(f"cannot read {path} ({exc.strerror}); {fix}") from None
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise IndexCorrupt(f"{path} is not valid JSON ({exc}); {fix}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise IndexCorrupt(f"{path} does not describe a podquote index; {fix}")
        if data.get("format_version") != FORMAT_VERSION:
            raise IndexMismatch(
                f"{directory} has index format version {data.get('format_version')}, this podquote reads "
                f"version {FORMAT_VERSION}; rebuild it with `podquote index --fresh`"
            )
        problem = _shape_problem(data) or _checksum_problem(data)
        if problem:
            raise IndexCorrupt(f"{path} is damaged ({problem}); {fix}")
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def check_embedder(self, name: str, dimension: int, directory: Path) -> None:
        if (self.embedder, self.dimension) != (name, dimension):
            raise IndexMismatch(
                f"the index at {directory} was built with embedder {self.embedder!r} ({self.dimension}-d), "
                f"not {name!r} ({dimension}-d); search it with --embedder {self.embedder}, or rebuild it with "
                f"`podquote index --fresh --embedder {name}`"
            )


_HEX = set("0123456789abcdef")


def _shape_problem(data: dict) -> str | None:
    """What is wrong with a manifest's fields, or None: a manifest is checked before anything is trusted."""
    if not isinstance(data.get("embedder"), str) or not data["embedder"]:
        return "no embedder name"
    dimension = data.get("dimension")
    if not isinstance(dimension, int) or isinstance(dimension, bool) or not 0 < dimension <= 65536:
        return f"dimension {dimension!r} is not a positive integer"
    for name in ("vector_store", "counts"):
        if not isinstance(data.get(name), dict):
            return f"{name} is missing or not an object"
    if not isinstance(data.get("roots", {}), dict):
        return "roots is not an object"
    files = data.get("files")
    if not isinstance(files, dict) or not files:
        return "no file list"
    for name, entry in files.items():
        if not name or "/" in name or "\\" in name or name.startswith("."):
            return f"file name {name!r} is not a plain file name"
        if not isinstance(entry, dict):
            return f"entry of {name} is not an object"
        digest, size = entry.get("sha256"), entry.get("bytes")
        if not isinstance(digest, str) or len(digest) != 64 or not set(digest) <= _HEX:
            return f"sha256 of {name} is not a hex digest"
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            return f"size of {name} is not a byte count"
    return None


def _self_checksum(data: dict) -> str:
    body = {k: v for k, v in data.items() if k != SELF_CHECKSUM}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _checksum_problem(data: dict) -> str | None:
    if SELF_CHECKSUM in data and data[SELF_CHECKSUM] != _self_checksum(data):
        return "its own checksum does not match its content"
    return None
