"""Loading a verified generation into the components that search it, checking that its arrays fit together.

Every file is checked against the manifest first (podquote.store.checks); this checks what a checksum cannot: that
the shapes, dtypes and counts of the files agree, so a damaged index is an IndexCorrupt naming the file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from ..adjacency import ADJACENCY_FILE, Adjacency
from ..errors import IndexCorrupt
from ..metadata import DB_FILE, MetadataStore
from ..vectors.faiss_store import IDS_FILE, VECTORS_FILE, FaissStore
from ..vectors.second import SECOND_VECTORS_FILE, SecondVectors
from ..vectors.sentences import OFFSETS_FILE, QUESTIONS_FILE, SENTENCES_FILE, SPANS_FILE, SentenceVectors
from .hints import rebuild_hint
from .manifest import Manifest

# What Collection.open loads: each must be listed in the manifest (and so checked) before it is read.
INDEX_FILES = (DB_FILE, VECTORS_FILE, IDS_FILE, SENTENCES_FILE, SPANS_FILE, OFFSETS_FILE)


def load_checked(generation: Path, dimension: int, spec: dict | None = None
                 ) -> tuple[FaissStore, SentenceVectors, MetadataStore, Adjacency | None]:
    """Load the vectors, sentence vectors, metadata and neighbours (None in an index written before them) of a
    verified generation, and check that they fit together.

    Shapes, dtypes and counts are checked here so that a damaged or inconsistent file is an IndexCorrupt naming
    it, not an IndexError or a FAISS assertion in the middle of a search.
    """
    files = _Files(generation)
    count = _check_vectors(files, dimension)
    sentences = _checked_sentences(files, dimension, count)
    store = None  # a server backend (spec["backend"] "milvus") is opened by Collection.open
    try:
        if (spec or {}).get("backend", "faiss") == "faiss":
            store = FaissStore.load(generation, dimension, spec)
    except (RuntimeError, ValueError, MemoryError, KeyError) as exc:
        raise files.bad(VECTORS_FILE, f"cannot be loaded into FAISS ({exc})") from None
    metadata = _checked_metadata(files, count)
    try:
        adjacency = Adjacency.load(generation, count)
    except (OSError, ValueError, EOFError) as exc:
        metadata.close()
        raise files.bad(ADJACENCY_FILE, f"cannot be read as the passages' neighbours ({exc})") from None
    return store, sentences, metadata, adjacency


class _Files:
    """The files of one generation, read as arrays; `bad` is the error naming one of them and the fix."""

    def __init__(self, generation: Path):
        self.generation = generation
        self.fix = f"rebuild the index with {rebuild_hint(generation.parent)}"

    def bad(self, name: str, why: str) -> IndexCorrupt:
        return IndexCorrupt(f"index file {self.generation / name} {why}; {self.fix}")

    def array(self, name: str, mmap: bool = True) -> np.ndarray:
        try:
            loaded = np.load(self.generation / name, mmap_mode="r" if mmap else None, allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise self.bad(name, f"cannot be read as an array ({exc})") from None
        # A plain ndarray view of the mapped file: same pages, no copy, but none of np.memmap's per-slice Python
        # overhead (rescoring slices the sentence vectors tens of times per query).
        return loaded.view(np.ndarray) if isinstance(loaded, np.memmap) else loaded


def _check_vectors(files: _Files, dimension: int) -> int:
    """The passage vectors and their ids fit each other; how many passages there are."""
    vectors, ids = files.array(VECTORS_FILE), files.array(IDS_FILE, mmap=False)
    if vectors.ndim != 2 or vectors.shape[1] != dimension or vectors.dtype != np.float32:
        raise files.bad(VECTORS_FILE, f"holds {vectors.dtype} {vectors.shape}, not float32 rows of {dimension}")
    if ids.shape != (len(vectors),) or ids.dtype != np.int64:
        raise files.bad(IDS_FILE, f"holds {ids.dtype} {ids.shape}, not {len(vectors)} int64 ids")
    return len(vectors)


def _checked_sentences(files: _Files, dimension: int, count: int) -> SentenceVectors:
    """The sentence vectors, spans, question flags and the offsets cutting them into `count` passages."""
    questions = files.array(QUESTIONS_FILE) if (files.generation / QUESTIONS_FILE).exists() else None
    sentences = SentenceVectors(files.array(SENTENCES_FILE), files.array(SPANS_FILE),
                                files.array(OFFSETS_FILE, mmap=False), questions)
    if questions is not None and (questions.dtype != bool or questions.shape != (len(sentences.vectors),)):
        raise files.bad(QUESTIONS_FILE, f"holds {questions.dtype} {questions.shape}, not one flag per sentence")
    if sentences.vectors.ndim != 2 or sentences.vectors.shape[1] != dimension:
        raise files.bad(SENTENCES_FILE, f"holds {sentences.vectors.shape}, not rows of {dimension}")
    if sentences.spans.shape != (len(sentences.vectors), 2):
        raise files.bad(SPANS_FILE, f"holds {sentences.spans.shape}, not one (start, end) per sentence")
    offsets = sentences.offsets
    if (offsets.shape != (count + 1,) or offsets.dtype.kind != "i" or (len(offsets) and offsets[0] != 0)
            or (len(offsets) and offsets[-1] != len(sentences.vectors)) or np.any(np.diff(offsets) < 0)):
        raise files.bad(OFFSETS_FILE, "does not cut the sentences into one run per passage")
    return sentences


def _checked_metadata(files: _Files, count: int) -> MetadataStore:
    """passages.sqlite, opened read-only, holding one passage per vector."""
    try:
        metadata = MetadataStore(files.generation / DB_FILE, readonly=True)
        stored = metadata.count()
    except sqlite3.Error as exc:
        raise files.bad(DB_FILE, f"cannot be read by SQLite ({exc})") from None
    if stored != count:
        metadata.close()
        raise files.bad(DB_FILE, f"holds {stored} passages but {VECTORS_FILE} has {count} vectors")
    return metadata


def checked_second(generation: Path, manifest: Manifest, embedder) -> SecondVectors:
    """The second embedder's vectors of a verified generation (podquote.vectors.second), checked to fit."""
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

