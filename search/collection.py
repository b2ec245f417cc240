"""The core object: one served index generation, searched through its embedder, vectors and metadata."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .adjacency import Adjacency
from .embedders import Embedder, get_embedder
from .errors import IndexCorrupt, InvalidQuery, PassageNotFound
from .generations import current_generation
from .manifest import Manifest
from .metadata import DB_FILE, Filters, MetadataStore
from .passage import Passage
from .lang import detect_language
from .lexical import fts_match, query_terms, words
from .ranking import DEFAULT_RANKING, Candidate, RankingConfig, collapse, score
from .vectors.codes import row_similarities
from .vectors.faiss_store import VECTORS_FILE, FaissStore
from .vectors import open_vector_store
from .vectors.sentences import SentenceVectors

MAX_QUERY_CHARS = 1000
MAX_K = 100
MAX_CONTEXT = 10
HIT_FIELDS = ("id", "text", "speaker", "title", "source", "kind", "lang", "start", "url", "score")
# After the core fields: where the match is, and what a client needs to group and cite hits.
EXTRA_FIELDS = ("highlight", "end", "episode", "show", "date")
# A language with at most this many passages is searched on its own, exactly, from a copy of its vectors in
# memory (40 MB and about 1.5 ms a query at 20,000).
LANGUAGE_SCAN_LIMIT = 20_000
CONTEXT_FIELDS = ("id", "text", "speaker", "kind", "start", "url")


@dataclass
class Hit:
    passage: Passage
    score: float
    highlight: tuple[int, int] = (0, 0)  # character span of the best-matching sentence(s) in the text
    context: tuple[list[Passage], list[Passage]] | None = None  # neighbours before and after, on request
    collapsed: list[Passage] | None = None  # near-duplicates from the same moment, folded into this hit

    def to_dict(self) -> dict:
        data = self.passage.to_dict()
        data["score"] = round(float(self.score), 6)
        data["highlight"] = list(self.highlight)
        out = {name: data[name] for name in HIT_FIELDS + EXTRA_FIELDS}
        out["collapsed"] = [p.id for p in self.collapsed or []]
        if self.context is not None:
            before, after = self.context
            out["context"] = {
                "before": [{f: p.to_dict()[f] for f in CONTEXT_FIELDS} for p in before],
                "after": [{f: p.to_dict()[f] for f in CONTEXT_FIELDS} for p in after],
            }
        return out


class Collection:
    def __init__(self, root: Path, generation: Path, manifest: Manifest, embedder: Embedder,
                 vectors: FaissStore, sentences: SentenceVectors, metadata: MetadataStore,
                 adjacency: Adjacency | None = None):
        self.root = root
        self.generation = generation
        self.manifest = manifest
        self.embedder = embedder
        self.vectors = vectors
        self.sentences = sentences
        # Rows ranking reads (neighbours, lexical-only candidates): the store's in-memory codes where it keeps
        # them (ivf-pqfs), else the memory-mapped float32 vectors.
        self.passage_vectors = getattr(vectors, "row_vectors", None)
        if self.passage_vectors is None:
            self.passage_vectors = np.load(generation / VECTORS_FILE, mmap_mode="r", allow_pickle=False)
        self.ranking = DEFAULT_RANKING
        self.metadata = metadata
        self._saved_adjacency = adjacency
        self._lexical_worker = ThreadPoolExecutor(1, thread_name_prefix="podquote-lexical")

    @classmethod
    def open(cls, root: Path | str, *, embedder: str | Embedder | None = None, verify: bool = False,
             preload: bool = False) -> "Collection":
        """Open the served generation, checked against its manifest (format, embedder, dimension, every file).

        `verify` hashes every file (sha256, reads all bytes: `podquote serve` and `info --verify`); without it
        only files whose stat changed since the last full check are hashed (search.verify explains the stamp).
        A damaged index raises IndexCorrupt naming the file and the rebuild command, never a numpy, FAISS or
        SQLite error. `preload` (a server's start) maps what queries read from memory-mapped files now, so the
        first thousands of queries don't each pay page faults (FaissStore.preload).
        """
        from .verify import INDEX_FILES, load_checked, verify_generation

        root = Path(root)
        generation = current_generation(root)
        manifest = Manifest.read(generation)
        verify_generation(generation, manifest, full=verify, required=INDEX_FILES)
        model = embedder if hasattr(embedder, "embed_batch") else get_embedder(embedder or manifest.embedder)
        manifest.check_embedder(model.name, model.dimension, root)
        vectors, sentences, metadata, adjacency = load_checked(generation, manifest.dimension, manifest.vector_store)
        if vectors is None:  # the vectors live in a server backend (Milvus) the manifest names
            try:
                vectors = open_vector_store(manifest.vector_store, manifest.dimension, root)
            except BaseException:
                metadata.close()
                raise
        if preload and hasattr(vectors, "preload"):
            vectors.preload()
        return cls(root, generation, manifest, model, vectors, sentences, metadata, adjacency)

    def close(self) -> None:
        self._lexical_worker.shutdown()
        self.metadata.close()
        self.vectors.close()

    def __len__(self) -> int:
        return self.vectors.count()

    def search(
        self, query: str, k: int = 10, filters: Filters | None = None, context: int = 0, *,
        collapse_duplicates: bool = True, ranking: RankingConfig | None = None,
    ) -> list[Hit]:
        """The k best passages for `query`; `context` adds that many neighbouring passages on each side."""
        query = check_query(query, k)
        if not 0 <= context <= MAX_CONTEXT:
            raise InvalidQuery(f"context must be between 0 and {MAX_CONTEXT}, not {context}")
        config = ranking or self.ranking
        n = max(k, config.candidates)
        # The lexical search runs while the query is embedded: both spend most of their time outside the GIL
        # (SQLite, BLAS): on 2 cores, 0.5-1 ms off an 8-9 ms query on the full shared corpus.
        terms = query_terms(query) if config.lexical_weight else []
        lexical = self._lexical_worker.submit(self.metadata.lexical, fts_match(terms), n, filters) if terms else None
        vector = self.embedder.embed_batch([query], query=True)[0]
        candidates = self._candidates(vector, lexical, filters, n, config)
        scored = score(vector, detect_language(query), set(words(query)), candidates, self.sentences, config)
        if collapse_duplicates:
            scored = collapse(scored, config)
        hits = [Hit(s.passage, s.score, s.highlight, collapsed=s.collapsed) for s in scored[:k]]
        if context:
            for hit in hits:
                hit.context = self.metadata.neighbours(hit.passage.source, hit.passage.position, context)
        return hits

    def _candidates(self, vector: np.ndarray, lexical_top: Future | None, filters: Filters | None, n: int,
                    config: RankingConfig) -> list[Candidate]:
        """The union of the dense top n (vector store) and the lexical top n (FTS5, `lexical_top` once done),
        within the filters."""
        filters = filters if filters and not filters.is_empty() else None
        where = self.vectors.compile_filter(filters, self.metadata) if filters else None
        scores, ids = self.vectors.search(vector[None, :], min(n, max(len(self), 1)), where)
        dense = {int(v): float(s) for v, s in zip(ids[0], scores[0]) if v >= 0}
        if filters is None and config.language_balance:
            dense.update(self._smaller_languages_top(vector, config.language_candidates))
        lexical = dict(lexical_top.result()) if lexical_top else {}
        rows = self.metadata.by_vids(dense.keys() | lexical.keys())
        # The lexical-only candidates' cosines, in one gather: a row at a time cost 0.25 ms each from the 8-bit
        # codes of a 10M-passage index.
        unscored = np.array(sorted(row for vid, (_, row, _) in rows.items() if vid not in dense), dtype=np.int64)
        cosines = dict(zip(unscored.tolist(), row_similarities(self.passage_vectors, unscored, vector).tolist()))
        candidates = [Candidate(passage, row, vid, dense[vid] if vid in dense else cosines[row], lexical.get(vid, 0.0),
                                keys) for vid, (passage, row, keys) in rows.items()]
        if config.context_weight or config.answer_weight:
            candidates += self._add_context(candidates, vector, config, add_answers=filters is None)
        return candidates

    def _smaller_languages_top(self, vector: np.ndarray, n: int) -> dict[int, float]:
        """The dense top n of each language smaller than the largest: the overall top n of an archive in one
        language holds none of the passages of a small collection in another (ranking point 7)."""
        found: dict[int, float] = {}
        for vids, matrix in self._language_pools:
            scores = matrix @ vector
            top = np.argpartition(-scores, min(n, len(scores)) - 1)[:n]
            found.update((int(vids[i]), float(scores[i])) for i in top)
        return found

    @cached_property
    def _language_pools(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(vector ids, their vectors in memory) of each language but the largest, if it is small enough: read
        once, so a query scans a small matrix instead of gathering its rows from the memory map."""
        # Indexes since the language balance record their languages; counting them in SQLite takes a scan.
        counts = self.manifest.counts.get("languages") or self.metadata.counts_by("lang")
        largest = max(counts.values(), default=0)
        pools = []
        for lang, count in counts.items():
            if 0 < count < largest and count <= LANGUAGE_SCAN_LIMIT:
                vids, rows = self.metadata.vids_and_rows(Filters(lang=lang))
                pools.append((vids, np.asarray(self.passage_vectors[rows], dtype=np.float32)))
        return pools

    @cached_property
    def adjacency(self) -> Adjacency:
        """Which rows are next to which (search.adjacency): saved with the index, or read from SQLite once."""
        return self._saved_adjacency or Adjacency.from_store(self.metadata.db)

    def _add_context(self, candidates: list[Candidate], vector: np.ndarray, config: RankingConfig,
                     add_answers: bool) -> list[Candidate]:
        """Score each candidate's neighbours; the turn after a matching question (the answer) joins the
        candidates if it is not there yet. Returns the added candidates."""
        rows = np.array([c.row for c in candidates], dtype=np.int64)
        before, after = self.adjacency.neighbours(rows)
        near = np.union1d(before[before >= 0], after[after >= 0])
        if not len(near):
            return []
        sims = dict(zip(near.tolist(), row_similarities(self.passage_vectors, near, vector).tolist()))
        asked = self.adjacency.answered(before)  # the candidate answers the turn before
        answered = self.adjacency.answered(rows) & add_answers  # the turn after answers the candidate
        after_vids = self.adjacency.vids(np.maximum(after, 0)).tolist()
        present = {c.vid for c in candidates}
        answers: dict[int, tuple[float, int]] = {}  # vid of an answer to add -> (its question's cosine, row)
        for c, b, a, asks_before, answered_after, after_vid in zip(
                candidates, before.tolist(), after.tolist(), asked, answered, after_vids):
            c.context = max(sims[b] if b >= 0 else 0.0, sims[a] if a >= 0 else 0.0)
            if asks_before:
                c.answers, c.asked_row = sims[b], b
            if answered_after and after_vid not in present:
                answers[after_vid] = max(answers.get(after_vid, (-1.0, -1)), (c.dense, c.row))
        return self._answer_candidates(answers, sims)

    def _answer_candidates(self, answers: dict[int, tuple[float, int]], sims: dict) -> list[Candidate]:
        added = []
        for vid, (passage, row, keys) in self.metadata.by_vids(answers).items():
            asked, asked_row = answers[vid]
            added.append(Candidate(passage, row, vid, float(sims[row]), 0.0, keys, answers=asked, asked_row=asked_row))
        return added

    def passage(self, pid: str) -> Passage:
        found = self.metadata.by_id(pid)
        if found is None:
            raise PassageNotFound(f"no passage with id {pid!r} in this index")
        return found

    def info(self) -> dict:
        return {
            "index": str(self.root),
            "generation": self.generation.name,
            "embedder": self.manifest.embedder,
            "dimension": self.manifest.dimension,
            "vector_store": self.manifest.vector_store,
            "passages": self.metadata.count(),
            "sources": self.metadata.count("sources"),
            "formats": self.metadata.counts_by("format", "sources"),
            "languages": self.metadata.counts_by("lang"),
            "built_at": self.manifest.built_at,
            "podquote_version": self.manifest.podquote_version,
            "roots": self.manifest.roots,
        }


def group_by_episode(hits: list[Hit]) -> list[dict]:
    """Hits grouped by episode, groups in the order of their best hit."""
    groups: dict[str, dict] = {}
    for hit in hits:
        p = hit.passage
        key = p.episode or p.source
        group = groups.setdefault(key, {"episode": key, "title": p.title, "show": p.show, "score": round(hit.score, 6),
                                        "hits": []})
        group["hits"].append(hit.to_dict())
    return list(groups.values())


DATE_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"


def check_query(query: str, k: int) -> str:
    query = (query or "").strip()
    if not query:
        raise InvalidQuery("the query is empty; ask something, e.g. \"why Rook on bare metal\"")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidQuery(f"the query has {len(query)} characters; the limit is {MAX_QUERY_CHARS}")
    if not 1 <= k <= MAX_K:
        raise InvalidQuery(f"k must be between 1 and {MAX_K}, not {k}")
    return query
