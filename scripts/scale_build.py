"""Building the scale run's synthetic indexes (scripts/scale.py): nothing is embedded.

Passage vectors are drawn from the synthetic world (scale_data) and written in chunks straight into a new
generation (vectors.npy, ids.npy, the FAISS index the size calls for, an empty sentence run per passage,
passages.sqlite with its FTS5 table and lexicon, the neighbour table), which GenerationWriter publishes like any
build, so `Collection.open` and `Collection.search` serve it unchanged.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from scale_data import DIM, EMBEDDER, NOISE, QUERIES_FILE, World, episode, make_queries, plan_episodes

INFO_FILE = "scale-build.json"
CHUNK = 100_000  # passages whose vectors are drawn and written at a time
ROOTS = {"synthetic": "/synthetic"}


class SyntheticRows:
    """The passages of a synthetic index in the indexer's row order (source, position). Iterating writes each
    passage's id into `ids` and, a chunk at a time, its vector into `vectors` (a memory map of vectors.npy)."""

    def __init__(self, world: World, sizes: np.ndarray, vectors: np.ndarray, seed: int):
        self.world, self.sizes, self.vectors = world, sizes, vectors
        self.ids = np.empty(len(vectors), dtype=np.int64)
        self.rng = np.random.default_rng([seed, 4])
        self.sources: list = []
        self.texts: list[str] = []
        self.languages: dict[str, int] = {}
        self.cursor = self.flushed = 0
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []  # (topics, subtopics) of rows not written yet

    def __iter__(self):
        from podquote.metadata import SourceRecord
        from podquote.passage import content_hash, vector_id

        started = time.perf_counter()
        for index, size in enumerate(self.sizes):
            passages, topics, subtopics = episode(self.world, index, int(size))
            self.pending.append((topics, subtopics))
            for p in passages:
                self.ids[self.cursor] = vector_id(p.id)
                self.cursor += 1
                self.texts.append(p.text)
                self.languages[p.lang] = self.languages.get(p.lang, 0) + 1
                yield p
            source = passages[0].source
            self.sources.append(SourceRecord(source, "synthetic", f"/synthetic/{source}", content_hash(source),
                                             "synthetic", len(passages)))
            if self.cursor - self.flushed >= CHUNK:
                self.flush()
            if index % 2000 == 0:
                print(f"  passages {self.cursor:,}/{len(self.ids):,} ({time.perf_counter() - started:.0f} s)",
                      file=sys.stderr)

    def hashes(self):
        """The content hash of each passage: the metadata store zips passages with hashes, so each passage's text
        is in `texts` when its hash is due."""
        from podquote.passage import content_hash

        for i in itertools.count():
            yield content_hash(self.texts[i], EMBEDDER)

    def flush(self) -> None:
        """Draw and write the vectors of the rows passed so far."""
        if not self.pending:
            return
        topics = np.concatenate([t for t, _ in self.pending])
        subtopics = np.concatenate([s for _, s in self.pending])
        self.vectors[self.flushed:self.cursor] = self.world.vectors(self.rng, topics, subtopics, NOISE)
        self.flushed, self.pending = self.cursor, []


def build(root: Path, n: int, seed: int, index_type: str | None, queries: int) -> dict:
    """Write a synthetic index of n passages into root (replacing any index there) and its held-out queries."""
    from podquote.metadata import DB_FILE
    from podquote.store import GenerationWriter, Manifest, has_index
    from podquote.vectors.faiss_store import IDS_FILE, VECTORS_FILE

    if has_index(root):
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    world, sizes, timings = World(seed), plan_episodes(n, seed), {}
    started = time.perf_counter()
    with GenerationWriter(root) as writer:
        print(f"scale: building {n:,} passages in {len(sizes):,} episodes into {writer.dir}", file=sys.stderr)
        vectors = np.lib.format.open_memmap(writer.dir / VECTORS_FILE, mode="w+", dtype=np.float32, shape=(n, DIM))
        rows = SyntheticRows(world, sizes, vectors, seed)
        common_terms, adjacency_files = write_metadata(writer.dir, rows, timings)
        vectors.flush()
        np.save(writer.dir / IDS_FILE, rows.ids, allow_pickle=False)
        sentence_files = empty_sentences(writer.dir, n)
        timings["metadata_and_vectors_s"] = time.perf_counter() - started
        described, index_files = vector_index(writer.dir, rows.ids, index_type, timings)
        writer.add(DB_FILE, VECTORS_FILE, IDS_FILE, *index_files, *sentence_files, *adjacency_files)
        counts = {"passages": n, "sources": len(rows.sources), "formats": {"synthetic": len(rows.sources)},
                  "languages": rows.languages, "common_terms": common_terms}
        mark = time.perf_counter()
        # checksums of every file, the manifest, then publish (which checks them all again and records stamps)
        generation = writer.publish(Manifest(embedder=EMBEDDER, dimension=DIM, vector_store=described,
                                             counts=counts, roots=ROOTS))
        timings["publish_s"] = time.perf_counter() - mark
    timings["total_s"] = time.perf_counter() - started
    texts, query_vectors = make_queries(world, queries, seed)
    np.savez(root / QUERIES_FILE, texts=np.array(texts), vectors=query_vectors)
    info = {"passages": n, "seed": seed, "episodes": int(len(sizes)), "generation": generation.name,
            "vector_store": described, "timings": {k: round(v, 1) for k, v in timings.items()}}
    return write_info(root, info, generation)


def write_metadata(build_dir: Path, rows: SyntheticRows, timings: dict) -> tuple[int, list[str]]:
    """passages.sqlite (passages, FTS5 terms, lexicon, sources) and the neighbour table, from iterating `rows`.
    Returns the lexicon's token count and the files written beside the database."""
    from podquote.adjacency import Adjacency
    from podquote.lexical import document_terms
    from podquote.metadata import DB_FILE, MetadataStore

    started = time.perf_counter()
    store = MetadataStore(build_dir / DB_FILE)
    store.db.execute("PRAGMA cache_size = -1000000")  # 1 GB: the B-trees of 10M random vector ids
    store.db.execute("PRAGMA journal_mode = OFF")
    store.db.execute("PRAGMA synchronous = OFF")
    store.add_passages(iter(rows), rows.hashes())
    rows.flush()
    timings["passages_s"] = time.perf_counter() - started
    mark = time.perf_counter()
    store.add_terms(rows.ids.tolist(), (document_terms(t) for t in rows.texts))
    timings["fts_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    common_terms = store.write_lexicon()
    timings["lexicon_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    adjacency_files = Adjacency.from_store(store.db).save(build_dir)
    timings["adjacency_s"] = time.perf_counter() - mark
    rows.texts.clear()  # 10M strings: not needed past here
    for record in rows.sources:
        store.add_source(record)
    store.set_roots(ROOTS)
    store.commit()
    store.close()
    return common_terms, adjacency_files


def empty_sentences(build_dir: Path, n: int) -> list[str]:
    """No sentence vectors: an empty run for each of n passages (nothing was embedded sentence by sentence)."""
    from podquote.vectors.sentences import SentenceVectors

    empty = SentenceVectors(np.zeros((0, DIM), np.float16), np.zeros((0, 2), np.int32), np.zeros(n + 1, np.int64))
    return empty.save(build_dir)


def vector_index(build_dir: Path, ids: np.ndarray, index_type: str | None, timings: dict) -> tuple[dict, list[str]]:
    """The vector index the size calls for (or the one asked for) over build_dir's memory-mapped vectors.npy,
    saved beside it: its description for the manifest and its files."""
    from podquote.vectors.faiss_store import VECTORS_FILE, FaissStore

    vectors = np.load(build_dir / VECTORS_FILE, mmap_mode="r")
    mark = time.perf_counter()
    store = FaissStore.build(ids, vectors, DIM, index_type)  # None: the type its size calls for
    timings["vector_index_s"] = time.perf_counter() - mark
    # FaissStore.save would rewrite vectors.npy from the memory map of itself: only the index files are new.
    return store.describe(), store.save_index(build_dir)


def rebuild_index(root: Path, index_type: str, source: Path | None = None) -> dict:
    """A new generation over the same data with another vector index (files hard-linked, never written). The data
    is root's own served generation, or the served generation of the index at `source` (left untouched)."""
    from podquote.store import GenerationWriter, Manifest, current_generation
    from podquote.vectors.faiss_store import IDS_FILE, INDEX_FILES

    old = current_generation(source or root)
    manifest = Manifest.read(old)
    root.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    with GenerationWriter(root) as writer:
        kept = [name for name in manifest.files if name not in INDEX_FILES]
        for name in kept:
            os.link(old / name, writer.dir / name)
        described, index_files = vector_index(writer.dir, np.load(writer.dir / IDS_FILE), index_type, timings)
        writer.add(*kept, *index_files)
        generation = writer.publish(Manifest(embedder=manifest.embedder, dimension=manifest.dimension,
                                             vector_store=described, counts=manifest.counts, roots=manifest.roots))
    info_path = root / INFO_FILE
    info = json.loads(info_path.read_text()) if info_path.exists() else {"timings": {}}
    info["timings"]["vector_index_s"] = round(timings["vector_index_s"], 1)
    info.update(vector_store=described, generation=generation.name)
    return write_info(root, info, generation)


def write_info(root: Path, info: dict, generation: Path) -> dict:
    """The build's record (scale-build.json beside the index), with the bytes of each file of the generation."""
    info["bytes"] = {p.name: p.stat().st_size for p in generation.iterdir()}
    (root / INFO_FILE).write_text(json.dumps(info, indent=1))
    return info
