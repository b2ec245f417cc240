"""Building and updating an index: walk the roots, parse what changed, embed what is new, publish atomically.

Unchanged files (same sha256) are neither parsed nor embedded: their passages and vectors are copied from the
served generation. Within a changed file, a passage whose text was embedded before by the same model reuses that
vector (content hash). A file that cannot be read is reported and skipped; if an earlier version of it is in
the index, that version is kept rather than lost.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import sqlite3
import shutil
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .adjacency import ADJACENCY_FILE, Adjacency
from .embedders import get_embedder, split_spec
from .lexical import document_terms
from .encoding import EncodedPassage, embed_sorted, encode_passages, passage_spans
from .errors import IndexCorrupt, IndexMismatch, PodquoteError, SourceNotFound, UnreadableSource
from .expansion import VOCABULARY_VERSION, Vocabulary, count_words
from .generations import (GENERATION_PREFIX, clean_stale_builds, current_generation, has_index, new_build_dir,
                          publish)
from .manifest import MANIFEST_FILE, Manifest
from .metadata import DB_FILE, MetadataStore, SourceRecord
from .passage import Passage, content_hash, vector_id
from .people import write_speakers
from .ranker import shipped_ranker
from .readers import READERS_VERSION, read_document
from .sources import BUILTIN_LABEL, SOURCE_EXTENSIONS, SourceFile, builtin_root, root_label, walk_root
from .vectors.faiss_store import IVF_TYPES, VECTORS_FILE, FaissStore, _faiss, choose_index_type
from .vectors.second import SECOND_VECTORS_FILE
from .vectors.sentence_index import EXACT_LIMIT as SENTENCE_EXACT, SENTENCE_INDEX_FILE, build_sentence_index
from .vectors.sentences import QUESTIONS_FILE, SentenceVectors
from .vectors.sync import VectorPlan

Progress = Callable[[str, int, int], None]  # (stage, done, total)
log = logging.getLogger("podquote")


@dataclass
class IndexReport:
    index: Path
    generation: Path | None = None
    embedder: str = ""
    files_seen: int = 0
    files_unchanged: int = 0
    files_parsed: int = 0
    files_removed: int = 0
    files_kept: int = 0  # indexed from roots not rescanned this time (their passages were copied as they were)
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (path, what was read with a guess or not)
    formats: Counter = field(default_factory=Counter)
    passages: int = 0
    passages_embedded: int = 0
    passages_reused: int = 0
    passages_added: int = 0
    passages_removed: int = 0
    second_embedded: int = 0  # passages embedded by the second embedder (search.vectors.second)
    vector_sync: object = None  # search.vectors.sync.VectorSync when vectors went to a server backend
    seconds: float = 0.0
    unchanged: bool = False  # nothing changed: the served generation was kept, no new one written


@dataclass
class _Previous:
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
class _Pending:
    passages: list[Passage] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    encoded: dict[int, EncodedPassage] = field(default_factory=dict)  # vid -> vectors, for reused ones
    to_embed: list[tuple[int, str]] = field(default_factory=list)  # (vid, text)
    sources: list[SourceRecord] = field(default_factory=list)
    words: dict = field(default_factory=dict)  # word -> vector, the previous vocabulary's (search.expansion)
    second: object = None  # the second embedder (search.vectors.second), if any
    second_known: dict = field(default_factory=dict)  # content hash -> its second vector, the previous ones


@contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """One build at a time per index directory; a second one fails at once instead of racing."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PodquoteError(f"another `podquote index` is already building {root}") from None
        yield


def _open_previous(root: Path) -> _Previous | None:
    if not has_index(root):
        return None
    generation = current_generation(root)
    manifest = Manifest.read(generation)
    manifest.verify_files(generation, checksums=False)
    try:
        vectors = np.load(generation / VECTORS_FILE, mmap_mode="r", allow_pickle=False)
        sentences = SentenceVectors.load(generation)
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"cannot read the vectors in {generation} ({exc}); rebuild with --fresh") from None
    metadata = MetadataStore(generation / DB_FILE, readonly=True)
    return _Previous(metadata, manifest, vectors, sentences, generation)


def _raw_manifest(root: Path) -> dict:
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


def _plan_roots(paths: list[Path] | None, known: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """All roots of the new index (label -> path) and the labels to rescan now."""
    roots = dict(known)
    if not paths:
        if not roots:
            roots[BUILTIN_LABEL] = str(builtin_root())
        return roots, list(roots)
    scan = []
    for path in paths:
        is_builtin = path.resolve() == builtin_root().resolve()
        label = BUILTIN_LABEL if is_builtin else root_label(path, roots)
        roots[label] = str(path.resolve())
        scan.append(label)
    return roots, scan


def build_index(
    root: Path,
    paths: list[Path] | None = None,
    *,
    embedder: str | None = None,
    fresh: bool = False,
    progress: Progress | None = None,
    index_type: str | None = None,
    vector_store: str | None = None,
    rebuild_vectors: bool = False,
) -> IndexReport:
    """Build or update the index in `root` from `paths` (default: its recorded roots, or the built-in corpus).

    `index_type` forces a FAISS index type (flat, hnsw, ivf-sq8, ivf-pqfs); by default it is chosen by size.
    `vector_store` overrides PODQUOTE_VECTOR_STORE (see search.vectors); `rebuild_vectors` recreates the Milvus
    collection from the index (search.vectors.sync)."""
    started = time.perf_counter()
    report = IndexReport(root)
    with build_lock(root):
        clean_stale_builds(root)
        try:
            previous, legacy = (None if fresh else _open_previous(root)), {}
        except IndexMismatch:
            # An index in an older format is rebuilt from its own sources with its own embedder.
            previous, legacy = None, _raw_manifest(root)
        except IndexCorrupt as exc:
            # A damaged index is rebuilt from its own sources too: `podquote index` is the fix the error names.
            previous, legacy = None, _raw_manifest(root)
            if not paths and not legacy.get("roots"):
                raise IndexCorrupt(f"{exc} (its list of sources is lost too: name them, "
                                   f"`podquote index --index {root} PATH...`)") from None
            log.warning("the index at %s is damaged (%s); rebuilding it from its sources", root,
                        str(exc).split("; rebuild")[0])
        try:
            spec = embedder or (previous.manifest.embedder_spec if previous else legacy.get("embedder"))
            main, second_name = split_spec(spec)
            model = get_embedder(main)
            second = get_embedder(second_name) if second_name else None
            report.embedder = model.name + (f"+{second.name}" if second else "")
            plan = VectorPlan.for_build(root, previous, legacy or (_raw_manifest(root) if fresh else {}),
                                        setting=vector_store, rebuild=rebuild_vectors)
            cache = previous if previous and previous.manifest.embedder == model.name else None
            known = previous.metadata.roots() if previous else legacy.get("roots", {})
            roots, scan = _plan_roots(paths, known)
            files = [f for label in scan for f in walk_root(label, Path(roots[label]))]
            if paths:
                _refuse_nothing_to_read(scan, roots, files)
            pending = _collect(files, scan, previous, cache, model.name, report, progress)
            if paths and files and len(report.failed) == len(files):
                path, reason = report.failed[0]
                which = f"none of the {len(files)} files given" if len(files) > 1 else "the file given"
                raise UnreadableSource(f"{which} could not be indexed ({path}: {reason}"
                                       f"{'; and others' if len(files) > 1 else ''}); the index is unchanged")
            if _nothing_changed(previous, cache, report, roots, known, index_type, plan, second):
                report.generation, report.passages = previous.generation, len(pending.passages)
                report.unchanged = True
            else:
                # What the new generation reuses of the previous one: read only when one is written.
                pending.words = Vocabulary.read_vectors(cache.metadata.db, cache.generation) if cache else {}
                pending.second, pending.second_known = second, _second_known(cache, second)
                report.generation = _write(root, pending, roots, model, report, progress, index_type, plan)
        finally:
            if previous:
                previous.close()
    report.seconds = time.perf_counter() - started
    return report


def _refuse_nothing_to_read(scan: list[str], roots: dict[str, str], files: list[SourceFile]) -> None:
    """A path named on the command line that holds no file podquote reads is a mistake worth one clear line."""
    found = {f.root for f in files}
    for label in scan:
        if label not in found:
            kinds = ", ".join(sorted(SOURCE_EXTENSIONS))
            raise SourceNotFound(f"{roots[label]}: no file to index there (podquote reads {kinds}; folders and "
                                 "files whose names start with a dot are skipped)")


def _nothing_changed(previous, cache, report, roots, known, index_type, plan, second) -> bool:
    """Every file unchanged, none gone, no new root, same models and index type: the served generation already
    is the index that would be built, so none is written (a failing file keeps its indexed version either way).
    A generation written before its manifest counted languages, or before the lexicon (search.bm25) and the
    neighbour arrays (search.adjacency) or the vocabulary (search.expansion), is written again from its own parts
    (nothing is parsed; only the vocabulary's words are embedded): search reads those counts, the SQLite index
    that comes with them, the lexicon and the arrays."""
    return (
        previous is not None and cache is previous and plan is None and roots == known
        and "languages" in previous.manifest.counts and "common_terms" in previous.manifest.counts
        and ADJACENCY_FILE in previous.manifest.files
        and previous.manifest.counts.get("vocabulary") == VOCABULARY_VERSION
        and (SENTENCE_INDEX_FILE in previous.manifest.files or len(previous.sentences.vectors) <= SENTENCE_EXACT)
        and QUESTIONS_FILE in previous.manifest.files
        and previous.manifest.vector_store.get("backend", "faiss") == "faiss"  # not moving off a server backend
        and previous.manifest.second_embedder.get("name") == (second.name if second else None)
        and report.files_parsed == 0 and report.files_removed == 0
        and index_type in (None, previous.manifest.vector_store.get("type"))
    )


def _collect(files, scan, previous, cache, model_name, report, progress) -> _Pending:
    pending = _Pending()
    old_sources = previous.metadata.sources() if previous else {}
    seen: set[str] = set()
    for done, source_file in enumerate(files, 1):
        report.files_seen += 1
        seen.add(source_file.source)
        _collect_file(source_file, old_sources.get(source_file.source), previous, cache, model_name, pending, report)
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


def _collect_file(source_file: SourceFile, old: SourceRecord | None, previous, cache, model_name, pending, report):
    try:
        sha = source_file.sha256()
    except OSError as exc:
        sha = None
        failure = f"cannot read ({exc.strerror})"
    if sha and old and cache and old.sha256 == sha and previous.manifest.readers_version == READERS_VERSION:
        report.files_unchanged += 1
        _copy_source(old, previous, cache, pending, report)
        return
    if sha:
        try:
            fmt, document = read_document(source_file.path, source_file.source)
            failure = None if document.passages else _EMPTY
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


def _copy_source(record: SourceRecord, previous, cache, pending: _Pending, report: IndexReport) -> None:
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


# Passages embedded per step. Each step's sentences are sorted by length (less padding), and the passage vectors
# of a finished step go to the vector index at once, which is built in the background meanwhile.
EMBED_STEP = 8192


def _embed(pending: _Pending, model, report: IndexReport, progress: Progress | None,
           vectors: "_VectorBuilder | None" = None) -> None:
    texts = [text for _, text in pending.to_embed]
    spans = [passage_spans(text) for text in texts]
    total, done = sum(len(sp) for sp in spans), 0
    if vectors is not None:
        for vid, encoded in pending.encoded.items():  # reused from the previous generation: ready now
            vectors.put(vid, encoded.vector)
        vectors.advance()
    for lo in range(0, len(texts), EMBED_STEP):
        hi = min(lo + EMBED_STEP, len(texts))
        step = (lambda d, t, base=done: progress("embed", base + d, total)) if progress else None
        encoded = encode_passages(texts[lo:hi], model, step, spans[lo:hi])
        for (vid, _), item in zip(pending.to_embed[lo:hi], encoded):
            pending.encoded[vid] = item
            if vectors is not None:
                vectors.put(vid, item.vector)
        if vectors is not None:
            vectors.advance()
        done += sum(len(sp) for sp in spans[lo:hi])
    report.passages_embedded = len(texts)


class _VectorBuilder:
    """The passage vectors, in row order, into a matrix allocated once, and into the FAISS index while the rest is
    still being embedded: FAISS releases the GIL, so on 2 cores the index (an HNSW graph takes minutes at 200,000
    passages) is built on the core the embedder leaves idle instead of after it. An inverted file (IVF-SQ8,
    IVF-PQ) first trains on a sample of all the vectors, so it is built at the end."""

    STEP = 8192  # rows handed to FAISS at a time

    def __init__(self, passages: list[Passage], dimension: int, index_type: str | None):
        import queue
        import threading

        self.vids = np.array([vector_id(p.id) for p in passages], dtype=np.int64)
        self.matrix = np.zeros((len(self.vids), dimension), dtype=np.float32)
        self._row = {int(v): r for r, v in enumerate(self.vids)}
        self._filled = np.zeros(len(self.vids), dtype=bool)
        self._ready = self._sent = 0
        self.store = FaissStore(dimension, index_type or choose_index_type(len(self.vids)))
        self.store.vectors, self.store.ids = self.matrix, self.vids
        self.store.index = self.store._new_index(len(self.vids))
        self._incremental = self.store.type not in IVF_TYPES
        self._jobs: "queue.Queue" = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="podquote-vector-index", daemon=True)
        self._thread.start()

    def put(self, vid: int, vector: np.ndarray) -> None:
        row = self._row[int(vid)]
        self.matrix[row] = vector
        self._filled[row] = True

    def advance(self, final: bool = False) -> None:
        """Hand FAISS the rows filled so far (in row order), in steps, or all of them at the end."""
        while self._ready < len(self._filled) and self._filled[self._ready]:
            self._ready += 1
        if self._incremental and (self._ready - self._sent >= self.STEP or (final and self._ready > self._sent)):
            self._jobs.put((self._sent, self._ready, final))
            self._sent = self._ready

    def _work(self) -> None:
        faiss = _faiss()
        while True:
            job = self._jobs.get()
            if job is None or self._error is not None:
                return
            lo, hi, final = job
            try:
                # While the embedder runs, leave it a core (OpenMP's thread count is this thread's own).
                faiss.omp_set_num_threads(max(1, (os.cpu_count() or 1) - (0 if final else 1)))
                self.store._add_rows(lo, hi)
            except BaseException as exc:  # re-raised by finish(), in the indexing thread
                self._error = exc

    def finish(self) -> FaissStore:
        self.advance(final=True)
        if self._ready != len(self.vids):
            raise RuntimeError(f"{len(self.vids) - self._ready} passages have no vector")
        self._jobs.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        if not self._incremental and len(self.vids):
            self.store._train(self.matrix)
            self.store._add_rows(0, len(self.vids))
        return self.store

    def abandon(self) -> None:
        self._jobs.put(None)


def _write(root: Path, pending: _Pending, roots, model, report, progress, index_type, plan=None) -> Path:
    # With a server backend the generation keeps only vectors.npy and ids.npy (flat writes nothing else).
    builder = _VectorBuilder(pending.passages, model.dimension, "flat" if plan else index_type)
    try:
        _embed(pending, model, report, progress, builder)
    except BaseException:
        builder.abandon()
        raise
    build = new_build_dir(root)
    try:
        if progress:
            progress("store", 0, 1)
        metadata = MetadataStore(build / DB_FILE)
        metadata.add_passages(pending.passages, pending.hashes)
        metadata.add_terms((vector_id(p.id) for p in pending.passages), (document_terms(p.text) for p in pending.passages))
        common_terms = metadata.write_lexicon()
        vocabulary = _vocabulary(pending.passages, model, progress, pending.words)
        write_speakers(metadata.db)
        adjacency = Adjacency.from_store(metadata.db)
        for record in pending.sources:
            metadata.add_source(record)
        metadata.set_roots(roots)
        if progress:
            progress("store", 1, 1)
        vids, matrix = builder.vids, builder.matrix
        encoded = [pending.encoded[int(v)] for v in vids]
        if progress:
            progress("vectors", 0, 1)
        store = builder.finish()
        if progress:
            progress("vectors", 1, 1)
        sentences = SentenceVectors.from_parts([(e.sentences, e.spans) for e in encoded], model.dimension,
                                               [p.text for p in pending.passages])
        names = [DB_FILE, *store.save(build), *sentences.save(build), *adjacency.save(build)]
        names += build_sentence_index(sentences.vectors, build)
        if pending.second is not None:
            np.save(build / SECOND_VECTORS_FILE, _second_vectors(pending, report, progress), allow_pickle=False)
            names.append(SECOND_VECTORS_FILE)
        names += vocabulary.write(metadata.db, build)
        metadata.commit()
        metadata.close()
        report.passages = len(pending.passages)
        vector_store = store.describe()
        if plan:
            vector_store, report.vector_sync = plan.push(model.dimension, vids, matrix, pending.passages,
                                                         pending.hashes)
        manifest = Manifest(
            embedder=model.name,
            dimension=model.dimension,
            vector_store=vector_store,
            counts={"passages": report.passages, "sources": len(pending.sources), "formats": dict(report.formats),
                    "languages": dict(Counter(p.lang for p in pending.passages)), "common_terms": common_terms,
                    "vocabulary": VOCABULARY_VERSION},
            roots=roots,
            readers_version=READERS_VERSION,
            ranker=shipped_ranker(pending.second.name if pending.second else None),
            second_embedder={"name": pending.second.name, "dimension": pending.second.dimension}
            if pending.second else {},
        )
        manifest.record_files(build, names)
        manifest.write(build)
        generation = publish(root, build)
        if plan:
            plan.published()
        return generation
    except (OSError, sqlite3.Error) as exc:  # a full disk, mostly: a clear error, the served index untouched
        builder.abandon()
        shutil.rmtree(build, ignore_errors=True)
        raise _write_failed(root, exc) from exc
    except BaseException:
        builder.abandon()
        shutil.rmtree(build, ignore_errors=True)
        raise


def _second_known(cache: _Previous | None, second) -> dict:
    """content hash -> second vector of the previous generation, if it was built with the same second embedder."""
    if cache is None or second is None or cache.manifest.second_embedder.get("name") != second.name:
        return {}
    try:
        vectors = np.load(cache.generation / SECOND_VECTORS_FILE, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return {}
    return {digest: vectors[row] for digest, row in cache.rows_by_hash.items() if row < len(vectors)}


def _second_vectors(pending: _Pending, report: IndexReport, progress: Progress | None) -> np.ndarray:
    """Every passage's vector by the second embedder, in row order; unchanged text keeps its vector."""
    model = pending.second
    todo = [i for i, digest in enumerate(pending.hashes) if digest not in pending.second_known]
    step = (lambda done, total: progress("second", done, total)) if progress else None
    fresh = embed_sorted([pending.passages[i].text for i in todo], model, step, dtype=np.float16)
    out = np.zeros((len(pending.passages), model.dimension), dtype=np.float16)
    for i, digest in enumerate(pending.hashes):
        if digest in pending.second_known:
            out[i] = pending.second_known[digest]
    out[todo] = fresh
    report.second_embedded = len(todo)
    return out


def _vocabulary(passages: list[Passage], model, progress: Progress | None, known: dict) -> Vocabulary:
    """The index's words with their vectors and translations (search.expansion): what query expansion reads."""
    counts = count_words(p.text for p in passages)
    step = (lambda done, total: progress("words", done, total)) if progress else None
    return Vocabulary.build(counts, model.embed_batch, step, known)


def _write_failed(root: Path, exc: Exception) -> PodquoteError:
    full = getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in str(exc)
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    if full:
        return PodquoteError(f"no space left on the device{where} while writing the new index in {root}; the index "
                             "being served is unchanged. Free some space and run `podquote index` again")
    reason = getattr(exc, "strerror", None) or str(exc)
    return PodquoteError(f"could not write the new index in {root}{where}: {reason}; the index being served is "
                         "unchanged")
