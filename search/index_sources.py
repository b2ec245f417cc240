"""What a build will hold, gathered against the served generation: unchanged files are copied, changed ones parsed.

Unchanged files (same sha256, same readers) are neither parsed nor embedded: their passages and vectors are
copied from the served generation. A changed audio file is read through its transcript, cached by content hash
(podquote.audio_sources), so it is transcribed once. Within a changed file, a passage whose text was embedded
before by the same model reuses that vector (content hash). A file that cannot be read is reported and
skipped; if an earlier version of it is in the index, that version is kept rather than lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .audio import AudioUnavailable
from .audio_sources import read_source
from .passage_embedding import EncodedPassage
from .errors import IndexCorrupt, PodquoteError
from .feeds.sidecar import source_hashes
from .metadata import DB_FILE, MetadataStore, SourceRecord
from .passage import Passage, content_hash, vector_id
from .sources import SourceFile
from .store import GENERATION_PREFIX, MANIFEST_FILE, Manifest, current_generation, has_index, verify_generation
from .vectors.faiss_store import VECTORS_FILE
from .vectors.second import SECOND_VECTORS_FILE
from .vectors.sentences import SentenceVectors


@dataclass
class Previous:
    """The generation being served, as a cache for the next build."""

    metadata: MetadataStore
    manifest: Manifest
    vectors: np.ndarray
    sentences: SentenceVectors
    generation: Path

    def encoded(self, row: int) -> EncodedPassage:
        sentences, spans = self.sentences.of_row(row)
        return EncodedPassage(np.asarray(self.vectors[row]), np.asarray(sentences), np.asarray(spans))

    @cached_property
    def rows_by_hash(self) -> dict[str, int]:
        return self.metadata.rows_by_hash()

    def close(self) -> None:
        self.metadata.close()


@dataclass
class Pending:
    """The passages of the generation to write, and the vectors already known for them."""

    readers_version: int  # of the readers that parsed the changed files
    passages: list[Passage] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    encoded: dict[int, EncodedPassage] = field(default_factory=dict)  # vid -> vectors, for reused ones
    to_embed: list[tuple[int, str]] = field(default_factory=list)  # (vid, text)
    sources: list[SourceRecord] = field(default_factory=list)
    words: dict = field(default_factory=dict)  # word -> vector, the previous vocabulary's (podquote.vocabulary)
    second: object = None  # the second embedder (podquote.vectors.second), if any
    second_known: dict = field(default_factory=dict)  # content hash -> its second vector, the previous ones


def open_previous(root: Path) -> Previous | None:
    if not has_index(root):
        return None
    generation = current_generation(root)
    manifest = Manifest.read(generation)
    verify_generation(generation, manifest, full=False)
    try:
        vectors = np.load(generation / VECTORS_FILE, mmap_mode="r", allow_pickle=False)
        sentences = SentenceVectors.load(generation)
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"cannot read the vectors in {generation} ({exc}); rebuild with --fresh") from None
    metadata = MetadataStore(generation / DB_FILE, readonly=True)
    return Previous(metadata, manifest, vectors, sentences, generation)


def raw_manifest(root: Path) -> dict:
    """The served generation's manifest as plain JSON, or else the newest readable one (a damaged index)."""
    try:
        candidates = [current_generation(root)]
    except PodquoteError:
        candidates = []
    candidates += sorted((p for p in root.glob(f"{GENERATION_PREFIX}*") if p.is_dir()), reverse=True)
    for generation in candidates:
        try:
            data = json.loads((generation / MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            return data
    return {}


def second_known(cache: Previous | None, second) -> dict:
    """content hash -> second vector of the previous generation, if it was built with the same second embedder."""
    if cache is None or second is None or cache.manifest.second_embedder.get("name") != second.name:
        return {}
    try:
        vectors = np.load(cache.generation / SECOND_VECTORS_FILE, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return {}
    return {digest: vectors[row] for digest, row in cache.rows_by_hash.items() if row < len(vectors)}


def collect(files, scan, previous, cache, model_name, report, progress, readers_version: int) -> Pending:
    """Every passage of the new generation: from `files` (the rescanned roots `scan`) and, for roots not
    rescanned, copied from `previous`. `cache` is `previous` when its vectors are the same model's."""
    pending = Pending(readers_version)
    old_sources = previous.metadata.sources() if previous else {}
    seen: set[str] = set()
    for done, source_file in enumerate(files, 1):
        report.files_seen += 1
        seen.add(source_file.source)
        _collect_file(source_file, old_sources.get(source_file.source), previous, cache, model_name, pending, report,
                      progress)
        if progress:
            progress("read", done, len(files))
    for name, record in old_sources.items():
        if name in seen:
            continue
        if record.root in scan:
            report.files_removed += 1
            report.passages_removed += record.passages
        else:
            report.files_kept += 1
            _copy_source(record, previous, cache, pending, report)
    return pending


_EMPTY = "no passages found in it"


def _collect_file(source_file: SourceFile, old: SourceRecord | None, previous, cache, model_name, pending, report,
                  progress=None):
    try:
        sha, file_sha = source_hashes(source_file.path)  # with a feed episode's metadata, when it has a sidecar
    except OSError as exc:
        sha = None
        failure = f"cannot read ({exc.strerror})"
    if (sha and old and cache and old.sha256 == sha
            and previous.manifest.readers_version == pending.readers_version):
        report.files_unchanged += 1
        _copy_source(old, previous, cache, pending, report)
        return
    if sha:
        try:
            fmt, document = read_source(source_file, report, progress, file_sha)  # audio: its cached transcript
            failure = None if document.passages else _EMPTY
        except AudioUnavailable as exc:  # skipped like any failure; the report says why once for all of them
            failure = str(exc)
            report.audio_unavailable.append(str(source_file.path))
        except PodquoteError as exc:
            failure = _reason(exc, source_file)
        except Exception as exc:  # a reader bug must cost one file, not the whole batch
            failure = f"could not be parsed ({type(exc).__name__}: {exc})"
    if failure:
        # A file that cannot be read keeps its indexed version; one that reads fine but holds nothing loses it.
        keep = old and previous and not (sha and failure == _EMPTY)
        # Said, since the summary's passages then include this skipped file's.
        report.failed.append((str(source_file.path), failure + ("; its indexed version is kept" if keep else "")))
        if keep:
            _copy_source(old, previous, cache, pending, report)
        elif old:
            report.files_removed += 1
            report.passages_removed += old.passages
        return
    report.files_parsed += 1
    report.formats[fmt] += 1
    report.warnings += [(str(source_file.path), warning) for warning in document.warnings]
    _add_document(source_file, sha, fmt, document.passages, cache, model_name, pending, report, old)


def _reason(exc: PodquoteError, source_file: SourceFile) -> str:
    """The error without the file's name, which the report prints once: the decoder names the file by its path,
    readers by its source id (`root/relative path`; for a file given on its own, `name/name`)."""
    reason = str(exc)
    for name in (str(source_file.path), source_file.source):
        reason = reason.removeprefix(f"{name}: ")
    return reason


def _add_document(source_file, sha, fmt, passages, cache, model_name, pending, report, old):
    known = cache.rows_by_hash if cache else {}
    for passage in passages:
        digest = content_hash(passage.text, model_name)
        vid = vector_id(passage.id)
        pending.passages.append(passage)
        pending.hashes.append(digest)
        if digest in known:
            pending.encoded[vid] = cache.encoded(known[digest])
            report.passages_reused += 1
        else:
            pending.to_embed.append((vid, passage.text))
    report.passages_added += len(passages) - (old.passages if old else 0)
    pending.sources.append(
        SourceRecord(source_file.source, source_file.root, str(source_file.path), sha, fmt, len(passages))
    )


def _copy_source(record: SourceRecord, previous, cache, pending: Pending, report) -> None:
    for passage, row, digest in previous.metadata.passages_of(record.source):
        pending.passages.append(passage)
        pending.hashes.append(digest)
        if cache is not None:
            pending.encoded[vector_id(passage.id)] = cache.encoded(row)
            report.passages_reused += 1
        else:
            pending.to_embed.append((vector_id(passage.id), passage.text))
    report.formats[record.format] += 1
    pending.sources.append(record)
