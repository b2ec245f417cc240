"""Building and updating an index: walk the roots, parse what changed, embed what is new, publish atomically.

    podquote.index_sources    what the new generation holds, gathered against the served one (reuse, failures)
    podquote.index_embedding  the new passages embedded, feeding the vector index as they finish
    podquote.index_writing    every file written and the generation published (podquote.store.GenerationWriter)
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .adjacency import ADJACENCY_FILE
from .audio import AUDIO_EXTENSIONS
from .embedders import get_embedder, split_spec
from .errors import IndexCorrupt, IndexMismatch, SourceNotFound, UnreadableSource
from .vocabulary import VOCABULARY_VERSION, Vocabulary
from .index_embedding import Progress
from .index_sources import collect, open_previous, raw_manifest, second_known
from .index_writing import write_generation
from .readers import READERS_VERSION
from .sources import BUILTIN_LABEL, SOURCE_EXTENSIONS, SourceFile, builtin_root, root_label, walk_root
from .store import build_lock, clean_stale_builds
from .vectors.faiss_params import SENTENCE_EXACT_LIMIT as SENTENCE_EXACT
from .vectors.sentence_index import SENTENCE_INDEX_FILE
from .vectors.sentences import QUESTIONS_FILE
from .vectors.sync import VectorPlan

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
    audio_transcribed: int = 0  # audio files transcribed by this build (podquote.audio_sources)
    audio_from_cache: int = 0  # audio files whose transcript the index's transcript cache already held
    audio_unavailable: list[str] = field(default_factory=list)  # audio skipped without the extra (also in failed)
    formats: Counter = field(default_factory=Counter)
    passages: int = 0
    passages_embedded: int = 0
    passages_reused: int = 0
    passages_added: int = 0
    passages_removed: int = 0
    second_embedded: int = 0  # passages embedded by the second embedder (podquote.vectors.second)
    vector_sync: object = None  # podquote.vectors.sync.VectorSync when vectors went to a server backend
    seconds: float = 0.0
    unchanged: bool = False  # nothing changed: the served generation was kept, no new one written

    def skipped(self) -> tuple[list[tuple[str, str]], tuple[int, str] | None]:
        """The skipped files with their reasons, those skipped for want of the audio extra left out and folded into
        (how many, the one reason): the same for every file, said once."""
        unavailable = set(self.audio_unavailable)
        each = [(path, reason) for path, reason in self.failed if path not in unavailable]
        folded = next(((len(unavailable), reason) for path, reason in self.failed if path in unavailable), None)
        return each, folded


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
    `vector_store` overrides PODQUOTE_VECTOR_STORE (see podquote.vectors); `rebuild_vectors` recreates the Milvus
    collection from the index (podquote.vectors.sync)."""
    started = time.perf_counter()
    report = IndexReport(root)
    with build_lock(root):
        clean_stale_builds(root)
        previous, legacy = _open_served(root, paths, fresh)
        try:
            spec = embedder or (previous.manifest.embedder_spec if previous else legacy.get("embedder"))
            main, second_name = split_spec(spec)
            model = get_embedder(main)
            second = get_embedder(second_name) if second_name else None
            report.embedder = model.name + (f"+{second.name}" if second else "")
            plan = VectorPlan.for_build(root, previous, legacy or (raw_manifest(root) if fresh else {}),
                                        setting=vector_store, rebuild=rebuild_vectors)
            cache = previous if previous and previous.manifest.embedder == model.name else None
            known = previous.metadata.roots() if previous else legacy.get("roots", {})
            roots, scan = _plan_roots(paths, known)
            files = [f for label in scan for f in walk_root(label, Path(roots[label]))]
            if paths:
                _refuse_nothing_to_read(scan, roots, files)
            pending = collect(files, scan, previous, cache, model.name, report, progress, READERS_VERSION)
            if paths:
                _refuse_all_failed(files, report)
            if _nothing_changed(previous, cache, report, roots, known, index_type, plan, second):
                report.generation, report.passages = previous.generation, len(pending.passages)
                report.unchanged = True
            else:
                # What the new generation reuses of the previous one: read only when one is written.
                pending.words = Vocabulary.read_vectors(cache.metadata.db, cache.generation) if cache else {}
                pending.second, pending.second_known = second, second_known(cache, second)
                report.generation = write_generation(root, pending, roots, model, report, progress, index_type, plan)
        finally:
            if previous:
                previous.close()
    report.seconds = time.perf_counter() - started
    return report


def _open_served(root: Path, paths: list[Path] | None, fresh: bool):
    """The served generation as a cache (None when `fresh`) and, when it cannot be used, its raw manifest."""
    try:
        return (None if fresh else open_previous(root)), {}
    except IndexMismatch:
        # An index in an older format is rebuilt from its own sources with its own embedder.
        return None, raw_manifest(root)
    except IndexCorrupt as exc:
        # A damaged index is rebuilt from its own sources too: `podquote index` is the fix the error names.
        legacy = raw_manifest(root)
        if not paths and not legacy.get("roots"):
            raise IndexCorrupt(f"{exc} (its list of sources is lost too: name them, "
                               f"`podquote index --index {root} PATH...`)") from None
        log.warning("the index at %s is damaged (%s); rebuilding it from its sources", root,
                    str(exc).split("; rebuild")[0])
        return None, legacy


def _refuse_all_failed(files: list[SourceFile], report: IndexReport) -> None:
    """Files named on the command line of which none could be read: an error, not an index of nothing new."""
    if files and len(report.failed) == len(files):
        path, reason = report.failed[0]
        which = f"none of the {len(files)} files given" if len(files) > 1 else "the file given"
        raise UnreadableSource(f"{which} could not be indexed ({path}: {reason}"
                               f"{'; and others' if len(files) > 1 else ''}); the index is unchanged")


def _refuse_nothing_to_read(scan: list[str], roots: dict[str, str], files: list[SourceFile]) -> None:
    """A path named on the command line that holds no file podquote reads is a mistake worth one clear line."""
    found = {f.root for f in files}
    for label in scan:
        if label not in found:
            kinds = ", ".join(sorted(SOURCE_EXTENSIONS | AUDIO_EXTENSIONS))
            raise SourceNotFound(f"{roots[label]}: no file to index there (podquote reads {kinds}; folders and "
                                 "files whose names start with a dot are skipped)")


def _nothing_changed(previous, cache, report, roots, known, index_type, plan, second) -> bool:
    """Every file unchanged, none gone, no new root, same models and index type: the served generation already
    is the index that would be built, so none is written (a failing file keeps its indexed version either way).
    A generation written before its manifest counted languages, or before the lexicon (podquote.bm25) and the
    neighbour arrays (podquote.adjacency) or the vocabulary (podquote.vocabulary), is written again from its own parts
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
