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
import sqlite3
import uuid
from pathlib import Path

import numpy as np

from .adjacency import ADJACENCY_FILE, Adjacency
from .errors import IndexCorrupt
from .generations import rebuild_hint
from .manifest import Manifest, sha256_file
from .metadata import DB_FILE, MetadataStore
from .vectors.faiss_store import IDS_FILE, VECTORS_FILE, FaissStore
from .vectors.second import SECOND_VECTORS_FILE, SecondVectors
from .vectors.sentences import OFFSETS_FILE, QUESTIONS_FILE, SENTENCES_FILE, SPANS_FILE, SentenceVectors

STAMP_FILE = "verified.json"
STAMP_VERSION = 1
# What Collection.open loads: each must be listed in the manifest (and so checked) before it is read.
INDEX_FILES = (DB_FILE, VECTORS_FILE, IDS_FILE, SENTENCES_FILE, SPANS_FILE, OFFSETS_FILE)


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


def load_checked(generation: Path, dimension: int, spec: dict | None = None
                 ) -> tuple[FaissStore, SentenceVectors, MetadataStore, Adjacency | None]:
    """Load the vectors, sentence vectors, metadata and neighbours (None in an index written before them) of a
    verified generation, and check that they fit together.

    Shapes, dtypes and counts are checked here so that a damaged or inconsistent file is an IndexCorrupt naming
    it, not an IndexError or a FAISS assertion in the middle of a search.
    """
    fix = f"rebuild the index with {rebuild_hint(generation.parent)}"

    def bad(name: str, why: str) -> IndexCorrupt:
        return IndexCorrupt(f"index file {generation / name} {why}; {fix}")

    def array(name: str, mmap: bool = True) -> np.ndarray:
        try:
            loaded = np.load(generation / name, mmap_mode="r" if mmap else None, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise bad(name, f"cannot be read as an array ({exc})") from None
        # A plain ndarray view of the mapped file: same pages, no copy, but none of np.memmap's per-slice Python
        # overhead (rescoring slices the sentence vectors tens of times per query).
        return loaded.view(np.ndarray) if isinstance(loaded, np.memmap) else loaded

    vectors, ids = array(VECTORS_FILE), array(IDS_FILE, mmap=False)
    if vectors.ndim != 2 or vectors.shape[1] != dimension or vectors.dtype != np.float32:
        raise bad(VECTORS_FILE, f"holds {vectors.dtype} {vectors.shape}, not float32 rows of {dimension}")
    if ids.shape != (len(vectors),) or ids.dtype != np.int64:
        raise bad(IDS_FILE, f"holds {ids.dtype} {ids.shape}, not {len(vectors)} int64 ids")
    questions = array(QUESTIONS_FILE) if (generation / QUESTIONS_FILE).exists() else None
    sentences = SentenceVectors(array(SENTENCES_FILE), array(SPANS_FILE), array(OFFSETS_FILE, mmap=False), questions)
    if questions is not None and (questions.dtype != bool or questions.shape != (len(sentences.vectors),)):
        raise bad(QUESTIONS_FILE, f"holds {questions.dtype} {questions.shape}, not one flag per sentence")
    if sentences.vectors.ndim != 2 or sentences.vectors.shape[1] != dimension:
        raise bad(SENTENCES_FILE, f"holds {sentences.vectors.shape}, not rows of {dimension}")
    if sentences.spans.shape != (len(sentences.vectors), 2):
        raise bad(SPANS_FILE, f"holds {sentences.spans.shape}, not one (start, end) per sentence")
    offsets = sentences.offsets
    if (offsets.shape != (len(vectors) + 1,) or offsets.dtype.kind != "i" or (len(offsets) and offsets[0] != 0)
            or (len(offsets) and offsets[-1] != len(sentences.vectors)) or np.any(np.diff(offsets) < 0)):
        raise bad(OFFSETS_FILE, "does not cut the sentences into one run per passage")
    store = None  # a server backend (spec["backend"] "milvus") is opened by Collection.open
    try:
        if (spec or {}).get("backend", "faiss") == "faiss":
            store = FaissStore.load(generation, dimension, spec)
    except (RuntimeError, ValueError, MemoryError, KeyError) as exc:
        raise bad(VECTORS_FILE, f"cannot be loaded into FAISS ({exc})") from None
    try:
        metadata = MetadataStore(generation / DB_FILE, readonly=True)
        count = metadata.count()
    except sqlite3.Error as exc:
        raise bad(DB_FILE, f"cannot be read by SQLite ({exc})") from None
    if count != len(vectors):
        metadata.close()
        raise bad(DB_FILE, f"holds {count} passages but {VECTORS_FILE} has {len(vectors)} vectors")
    try:
        adjacency = Adjacency.load(generation, len(vectors))
    except (OSError, ValueError, EOFError) as exc:
        metadata.close()
        raise bad(ADJACENCY_FILE, f"cannot be read as the passages' neighbours ({exc})") from None
    return store, sentences, metadata, adjacency


def checked_second(generation: Path, manifest: Manifest, embedder) -> SecondVectors:
    """The second embedder's vectors of a verified generation (search.vectors.second), checked to fit."""
    fix = f"rebuild the index with {rebuild_hint(generation.parent)}"
    if SECOND_VECTORS_FILE not in manifest.files:
        raise IndexCorrupt(f"the manifest of {generation} names a second embedder but lists no "
                           f"{SECOND_VECTORS_FILE}; {fix}")
    if embedder.dimension != manifest.second_embedder.get("dimension"):
        raise IndexCorrupt(f"{generation} was built with a {manifest.second_embedder.get('dimension')}-d second "
                           f"embedder, {embedder.name} is {embedder.dimension}-d; {fix}")
    try:
        ids = np.load(generation / IDS_FILE, allow_pickle=False)
        return SecondVectors.load(generation, embedder, ids)
    except (OSError, ValueError, EOFError) as exc:
        raise IndexCorrupt(f"index file {generation / SECOND_VECTORS_FILE} cannot be read ({exc}); {fix}") from None

