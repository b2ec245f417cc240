"""Writing a build's generation: the metadata store, the vector files, the vocabulary and the manifest, then the
atomic swap (podquote.store.GenerationWriter). A failure leaves the served index as it was."""

from __future__ import annotations

import errno
import sqlite3
from collections import Counter
from pathlib import Path

import numpy as np

from .adjacency import Adjacency
from .errors import PodquoteError
from .vocabulary import VOCABULARY_VERSION
from .index_embedding import Progress, embed, second_vectors, vocabulary
from .index_sources import Pending
from .lexical import document_terms
from .metadata import DB_FILE, MetadataStore
from .passage import vector_id
from .people import write_speakers
from .ranker import shipped_ranker
from .store import GenerationWriter, Manifest
from .vectors.faiss_build import VectorBuilder
from .vectors.second import SECOND_VECTORS_FILE
from .vectors.sentence_index import build_sentence_index
from .vectors.sentences import SentenceVectors


def write_generation(root: Path, pending: Pending, roots: dict, model, report, progress: Progress | None,
                     index_type: str | None, plan=None) -> Path:
    """Embed what is new, write every file of the new generation and publish it; the generation's path."""
    # With a server backend the generation keeps only vectors.npy and ids.npy (flat writes nothing else).
    vids = [vector_id(p.id) for p in pending.passages]
    builder = VectorBuilder(vids, model.dimension, "flat" if plan else index_type)
    try:
        embed(pending, model, report, progress, builder)
    except BaseException:
        builder.abandon()
        raise
    try:
        with GenerationWriter(root) as writer:
            generation = writer.publish(_write_files(writer, pending, roots, model, report, progress, builder, plan))
        if plan:
            plan.published()
        return generation
    except (OSError, sqlite3.Error) as exc:  # a full disk, mostly: a clear error, the served index untouched
        builder.abandon()
        raise write_failed(root, exc) from exc
    except BaseException:
        builder.abandon()
        raise


def _write_files(writer: GenerationWriter, pending: Pending, roots, model, report, progress, builder,
                 plan) -> Manifest:
    """Every file into the build directory, named to the writer; the manifest that describes them."""
    build = writer.dir
    metadata, common_terms, words, adjacency = _write_metadata(build, pending, roots, model, progress)
    encoded = [pending.encoded[int(v)] for v in builder.vids]
    if progress:
        progress("vectors", 0, 1)
    store = builder.finish()
    if progress:
        progress("vectors", 1, 1)
    sentences = SentenceVectors.from_parts([(e.sentences, e.spans) for e in encoded], model.dimension,
                                           [p.text for p in pending.passages])
    writer.add(DB_FILE, *store.save(build), *sentences.save(build), *adjacency.save(build))
    writer.add(*build_sentence_index(sentences.vectors, build))
    if pending.second is not None:
        np.save(build / SECOND_VECTORS_FILE, second_vectors(pending, report, progress), allow_pickle=False)
        writer.add(SECOND_VECTORS_FILE)
    writer.add(*words.write(metadata.db, build))
    metadata.commit()
    metadata.close()
    report.passages = len(pending.passages)
    vector_store = store.describe()
    if plan:
        vector_store, report.vector_sync = plan.push(model.dimension, builder.vids, builder.matrix,
                                                     pending.passages, pending.hashes)
    return _manifest(pending, roots, model, report, vector_store, common_terms)


def _write_metadata(build: Path, pending: Pending, roots, model, progress):
    """passages.sqlite (passages, lexicon, speakers, sources, roots), left open for the vocabulary."""
    if progress:
        progress("store", 0, 1)
    metadata = MetadataStore(build / DB_FILE)
    metadata.add_passages(pending.passages, pending.hashes)
    metadata.add_terms((vector_id(p.id) for p in pending.passages), (document_terms(p.text) for p in pending.passages))
    common_terms = metadata.write_lexicon()
    words = vocabulary(pending.passages, model, progress, pending.words)
    write_speakers(metadata.db)
    adjacency = Adjacency.from_store(metadata.db)
    for record in pending.sources:
        metadata.add_source(record)
    metadata.set_roots(roots)
    if progress:
        progress("store", 1, 1)
    return metadata, common_terms, words, adjacency


def _manifest(pending: Pending, roots, model, report, vector_store: dict, common_terms: int) -> Manifest:
    second = pending.second
    return Manifest(
        embedder=model.name,
        dimension=model.dimension,
        vector_store=vector_store,
        counts={"passages": report.passages, "sources": len(pending.sources), "formats": dict(report.formats),
                "languages": dict(Counter(p.lang for p in pending.passages)), "common_terms": common_terms,
                "vocabulary": VOCABULARY_VERSION},
        roots=roots,
        readers_version=pending.readers_version,
        ranker=shipped_ranker(second.name if second else None),
        second_embedder={"name": second.name, "dimension": second.dimension} if second else {},
    )


def write_failed(root: Path, exc: Exception) -> PodquoteError:
    """The error a failed write raises: a full disk says so and what to do, anything else names its cause."""
    full = getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in str(exc)
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    if full:
        return PodquoteError(f"no space left on the device{where} while writing the new index in {root}; the index "
                             "being served is unchanged. Free some space and run `podquote index` again")
    reason = getattr(exc, "strerror", None) or str(exc)
    return PodquoteError(f"could not write the new index in {root}{where}: {reason}; the index being served is "
                         "unchanged")
