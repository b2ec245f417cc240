"""The core object: one served index generation, searched through its embedder, vectors and metadata."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .adjacency import Adjacency
from .candidates import Found, LanguagePools, add_context, gather, resolve
from .embedders import Embedder, get_embedder
from .expansion import Expander, held_targets, search_words
from .filtering import Catalog, check_empty, resolve as resolve_filters
from .features import QueryContext, Sentences, best_sentences, coverage, extract, feature_names, held_in_text, keyword_first
from .errors import IndexCorrupt, InvalidQuery, PassageNotFound
from .generations import current_generation
from .manifest import Manifest
from .metadata import DB_FILE, Filters, MetadataStore
from .passage import Passage
from .lexical import fts_match
from .people import People
from .question import Question, analyse
from .ranker import Ranker, load_ranker, ranker_file
from .ranking import Candidate, RankingConfig, Scored, collapse, configured_ranking, score
from .vectors.faiss_store import VECTORS_FILE, FaissStore
from .vectors import open_vector_store
from .vectors.second import SecondVectors
from .vectors.sentence_index import SENTENCE_INDEX_FILE, SentenceIndex
from .vectors.sentences import SentenceVectors

MAX_QUERY_CHARS = 1000
MAX_K = 100
MAX_CONTEXT = 10
INLINE_LEXICAL_LIMIT = 20_000  # passages: below, BM25 takes less than handing it to a thread
HIT_FIELDS = ("id", "text", "speaker", "title", "source", "kind", "lang", "start", "url", "score")
# After the core fields: where the match is, and what a client needs to group and cite hits.
EXTRA_FIELDS = ("highlight", "end", "episode", "show", "date")
CONTEXT_FIELDS = ("id", "text", "speaker", "kind", "start", "url")


@dataclass
class Retrieved:
    question: Question
    vector: np.ndarray
    candidates: list[Candidate]
    context: QueryContext


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
        self.ranking = configured_ranking()
        self.metadata = metadata
        self.second: SecondVectors | None = None  # a second embedder's passage vectors (search.vectors.second)
        self._warmed = False  # a server: the sentence index in memory; else (one CLI search) memory-mapped
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
        collection = cls(root, generation, manifest, model, vectors, sentences, metadata, adjacency)
        if manifest.second_embedder:
            collection.second = _open_second(generation, manifest, metadata)
        if preload:
            collection.warm()
        return collection

    def warm(self) -> None:
        """Load now what the first queries would: a server's first hundred queries must not each pay for a part
        of the index, the vocabulary or a model being read (issue 15 measured p99 103 ms over them)."""
        self._warmed = True
        parts = ("ranker", "people", "sentence_index", "_passage_count") if self.ranking.learned else ()
        for part in ("_language_pools", "adjacency", *parts):
            getattr(self, part)
        if self.expander and self.ranking.expansion:
            self.expander.warm()
        if hasattr(self.embedder, "warm"):
            self.embedder.warm()
        self.metadata.preload_lexicon()
        for query in ("why Rook on bare metal", "开源社区如何运营"):  # both scripts: jieba, tokenizers, embedder
            self.search(query, k=1)

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
        filters = resolve_filters(filters, self.catalog)
        retrieved = self.retrieve(query, filters, config, k)
        scored = self._learned(retrieved, config) if config.learned else self._hand_set(retrieved, config)
        if collapse_duplicates:
            scored = collapse(scored, config, k)
        full = self.metadata.by_vids([s.vid for s in scored[:k]])  # candidates carry only what ranking reads
        hits = [Hit(full[s.vid][0], s.score, s.highlight, collapsed=s.collapsed) for s in scored[:k]]
        if context:
            for hit in hits:
                hit.context = self.metadata.neighbours(hit.passage.source, hit.passage.position, context)
        return hits

    def retrieve(self, query: str, filters: Filters | None, config: RankingConfig, k: int = 10) -> "Retrieved":
        """The candidates every generator finds for `query` within `filters`, and what features need besides."""
        question = analyse(query)
        dense_n = max(k, config.dense_candidates if config.learned else config.candidates)
        lexical_n = max(k, config.lexical_candidates if config.learned else config.candidates)
        # The lexical searches run on a worker thread while the query is embedded and the vectors searched: both
        # spend most of their time outside the GIL (SQLite, BLAS).
        terms = list(question.terms) if config.lexical_weight or config.learned else []
        lexical = self._submit(self.metadata.lexical, fts_match(terms), lexical_n, filters) \
            if terms else None
        expander = self.expander if config.expansion else None
        compounds = expander.compounds(terms) if expander else {}
        unknown = expander.unknown([*terms, *(p for parts in compounds.values() for p in parts)]) if expander else []
        embedded = self.embedder.embed_batch([query, *unknown], query=True)
        vector = embedded[0]
        translations = {}
        if expander:
            # A keyword is also translated whole, by the query's own vector: 冷启动 is "cold start".
            whole = {question.phrase: vector} if question.keyword and question.phrase not in terms else {}
            translations = expander.translations([*terms, *expander.pairs(terms), *whole],
                                                 {**dict(zip(unknown, embedded[1:])), **whole}, compounds)
        weights = search_words(translations)
        expanded = self._submit(self.metadata.lexical, fts_match(list(weights)), config.expanded_candidates, filters,
                                weights) if weights else None
        second = self.second if config.learned and config.second else None
        second_vector = second.embed_query(query) if second else None
        dense = self._dense(vector, filters, dense_n, config)
        if second and (not filters or filters.is_empty()):
            dense = {**second.top(second_vector, dense_n), **dense}
        found = resolve(Found(dense, [], []), lexical, expanded)
        candidates = gather(found, self.metadata, self.passage_vectors, vector)
        if config.context_weight or config.answer_weight or config.learned:
            candidates += add_context(candidates, self.adjacency, self.metadata, self.passage_vectors, vector,
                                      add_answers=not filters or filters.is_empty())
        if config.learned:
            self._score_lexically(candidates, question, translations)
        if second:
            rows = np.array([c.row for c in candidates], dtype=np.int64)
            for c, cosine in zip(candidates, second.cosines(rows, second_vector).tolist()):
                c.second = cosine
        named = self.people.named(query, question.words) if config.names else frozenset()
        ranks = {vid: rank for rank, (vid, _) in enumerate(found.lexical)}
        return Retrieved(question, vector, candidates, QueryContext(question, translations, named, ranks))

    def why_empty(self, filters: Filters) -> str:
        """Why a search within `filters` found nothing (FilterMatchesNothing when one of them alone matches nothing)."""
        return check_empty(resolve_filters(filters, self.catalog), self.metadata)

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.metadata)

    def _submit(self, function, *args) -> Future:
        """Run a lexical search on the worker thread, or here and now in an index small enough that handing it
        over costs more than it (a few milliseconds of thread switching against a fraction of one)."""
        if self._passage_count > INLINE_LEXICAL_LIMIT:
            return self._lexical_worker.submit(function, *args)
        done: Future = Future()
        done.set_result(function(*args))
        return done

    def _score_lexically(self, candidates: list, question: Question,
                         translations: dict[str, tuple[float, str]]) -> None:
        """Every candidate's BM25 for the query's words and for their translations, not only the lexical top's
        (a passage the vectors found may hold the one rare word that matters), and which words it holds."""
        vids = np.array([c.vid for c in candidates], dtype=np.int64)
        lexical, held, counts = self.metadata.lexical_scores(list(question.terms), vids)
        weights = search_words(translations)
        expanded, held_words, _ = self.metadata.lexical_scores(list(weights), vids, weights)
        texts = [c.passage.text for c in candidates]
        held_in_text(held, list(question.terms), texts)
        held_in_text(held_words, list(weights), texts)
        held_translated = held_targets(translations, list(weights), held_words)
        covered = coverage(question, translations, held, counts, held_translated, self._passage_count)
        for i, (c, lex, exp) in enumerate(zip(candidates, lexical.tolist(), expanded.tolist())):
            c.lexical, c.lexical_x = lex, exp
            c.coverage = {name: float(values[i]) for name, values in covered.items()}

    @cached_property
    def _passage_count(self) -> int:
        return self.metadata.count()

    def _dense(self, vector: np.ndarray, filters: Filters | None, n: int, config: RankingConfig) -> dict[int, float]:
        """The vector store's top n within the filters, and each smaller language's own top."""
        filters = filters if filters and not filters.is_empty() else None
        where = self.vectors.compile_filter(filters, self.metadata) if filters else None
        scores, ids = self.vectors.search(vector[None, :], min(n, max(len(self), 1)), where)
        dense = {int(v): float(s) for v, s in zip(ids[0], scores[0]) if v >= 0}
        if filters is None and config.sentence_candidates:
            rows = self.sentence_index.top_rows(vector, config.sentence_candidates)
            for vid in self.adjacency.vids(rows).tolist():
                dense.setdefault(vid, None)  # its passage cosine is read with the lexical-only ones
        if filters is None and config.language_balance:
            dense.update(self._language_pools.top(vector, config.language_candidates))
        return dense

    def _learned(self, retrieved: "Retrieved", config: RankingConfig) -> list[Scored]:
        candidates = retrieved.candidates
        if not candidates:
            return []
        matrix, found = self.features(retrieved, config)
        scores = self.ranker.score(matrix)
        scored = [Scored(c.passage, float(s), span, c.vid) for c, s, span in zip(candidates, scores, found.spans)]
        order = np.argsort(-np.asarray(scores), kind="stable")
        scored = [scored[i] for i in order]
        if config.keyword_first and retrieved.question.keyword:
            scored = keyword_first(scored, np.array([candidates[i].coverage["coverage_any"] for i in order]))
        return scored

    def features(self, retrieved: "Retrieved", config: RankingConfig) -> tuple[np.ndarray, Sentences]:
        """The learned ranking's feature matrix over the candidates (search.features), and their best sentences:
        what search scores, and what scripts/train_ranker.py learns from."""
        found = best_sentences(retrieved.candidates, self.sentences, retrieved.vector)
        return extract(retrieved.context, retrieved.candidates, found, self._second_features(config)), found

    def _hand_set(self, retrieved: "Retrieved", config: RankingConfig) -> list[Scored]:
        """The hand-set ranking (search.ranking.score) that shipped before the learned one."""
        q = retrieved.question
        scored = score(retrieved.vector, q.lang, set(q.words), retrieved.candidates, self.sentences, config)
        if config.keyword_first and q.keyword and scored:
            held = [_Held(s.vid, s.passage) for s in scored]
            self._score_lexically(held, q, retrieved.context.translations)
            scored = keyword_first(scored, np.array([h.coverage["coverage_any"] for h in held]))
        return scored

    @cached_property
    def sentence_index(self) -> SentenceIndex:
        try:
            return SentenceIndex.load(self.generation, self.sentences.vectors, self.sentences.offsets,
                                      mapped=not self._warmed)
        except (OSError, RuntimeError, ValueError) as exc:
            raise IndexCorrupt(f"{self.generation / SENTENCE_INDEX_FILE} cannot be read ({exc}); rebuild the "
                               "index with `podquote index`") from None

    def _second_features(self, config: RankingConfig) -> bool:
        return self.second is not None and config.second

    @cached_property
    def ranker(self) -> Ranker:
        """The shipped learned ranking for this index: with a second embedder, the one trained with it."""
        name = self.second.embedder.name if self.second else None
        return load_ranker(ranker_file(name), feature_names(self.second is not None))

    @cached_property
    def expander(self) -> Expander | None:
        return Expander.open(self.metadata.db, self.generation)

    @cached_property
    def people(self) -> People:
        return People.from_store(self.metadata.db)

    @cached_property
    def _language_pools(self) -> LanguagePools:
        # Indexes since the language balance record their languages; counting them in SQLite takes a scan.
        counts = self.manifest.counts.get("languages") or self.metadata.counts_by("lang")
        return LanguagePools(self.metadata, self.passage_vectors, counts)

    @cached_property
    def adjacency(self) -> Adjacency:
        """Which rows are next to which (search.adjacency): saved with the index, or read from SQLite once."""
        return self._saved_adjacency or Adjacency.from_store(self.metadata.db)

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


@dataclass
class _Held:
    """What the hand-set ranking's keyword rule asks of a hit: which of the query's words it holds."""

    vid: int
    passage: Passage
    lexical: float = 0.0
    lexical_x: float = 0.0
    coverage: dict = field(default_factory=dict)


def _open_second(generation: Path, manifest: Manifest, metadata: MetadataStore) -> SecondVectors:
    from .verify import checked_second

    try:
        return checked_second(generation, manifest, get_embedder(manifest.second_embedder["name"]))
    except BaseException:
        metadata.close()
        raise


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
