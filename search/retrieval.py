"""Candidate gathering for one query: what every generator finds (podquote.candidates) within the filters, and
what features need besides, read from one index generation's embedder, vectors and metadata."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .adjacency import Adjacency
from .candidates import Found, LanguagePools, add_context, gather, resolve
from .embedders import Embedder
from .errors import IndexCorrupt
from .expansion import Expander, held_targets, search_words
from .features import QueryContext, coverage, held_in_text
from .lexical import fts_match
from .metadata import Filters, MetadataStore
from .people import People
from .question import Question, analyse
from .ranking import Candidate, RankingConfig
from .vectors.second import SecondVectors
from .vectors.sentence_index import SENTENCE_INDEX_FILE, SentenceIndex
from .vectors.sentences import SentenceVectors

INLINE_LEXICAL_LIMIT = 20_000  # passages: below, BM25 takes less than handing it to a thread


@dataclass
class Retrieved:
    question: Question
    vector: np.ndarray
    candidates: list[Candidate]
    context: QueryContext


class Retriever:
    """The candidate generators of one generation. `passage_vectors` are the rows ranking reads (neighbours,
    lexical-only candidates): the store's in-memory codes where it keeps them (ivf-pqfs), else the memory-mapped
    float32 vectors."""

    def __init__(self, generation: Path, embedder: Embedder, vectors, passage_vectors, sentences: SentenceVectors,
                 metadata: MetadataStore, languages: dict[str, int] | None, adjacency: Adjacency | None = None,
                 second: SecondVectors | None = None):
        self.generation = generation
        self.embedder = embedder
        self.vectors = vectors
        self.passage_vectors = passage_vectors
        self.sentences = sentences
        self.metadata = metadata
        self.second = second  # a second embedder's passage vectors (podquote.vectors.second)
        self.languages = languages  # passages per language, as the manifest recorded them (None: count them)
        self.mapped = True  # a CLI search reads the sentence index memory-mapped; a warmed server, in memory
        self._saved_adjacency = adjacency
        self._lexical_worker = ThreadPoolExecutor(1, thread_name_prefix="podquote-lexical")

    def warm(self, learned: bool, expansion: bool) -> None:
        """Read now what the first queries would (podquote.collection.Collection.warm says why)."""
        self.mapped = False
        parts = ("people", "sentence_index", "passage_count") if learned else ()
        for part in ("language_pools", "adjacency", *parts):
            getattr(self, part)
        if self.expander and expansion:
            self.expander.warm()
        self.metadata.preload_lexicon()

    def close(self) -> None:
        self._lexical_worker.shutdown()

    def retrieve(self, query: str, filters: Filters | None, config: RankingConfig, k: int = 10) -> Retrieved:
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
            self.score_lexically(candidates, question, translations)
        if second:
            rows = np.array([c.row for c in candidates], dtype=np.int64)
            for c, cosine in zip(candidates, second.cosines(rows, second_vector).tolist()):
                c.second = cosine
        named = self.people.named(query, question.words) if config.names else frozenset()
        ranks = {vid: rank for rank, (vid, _) in enumerate(found.lexical)}
        return Retrieved(question, vector, candidates, QueryContext(question, translations, named, ranks))

    def score_lexically(self, candidates: list, question: Question, translations: dict[str, tuple[float, str]]) -> None:
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
        covered = coverage(question, translations, held, counts, held_translated, self.passage_count)
        for i, (c, lex, exp) in enumerate(zip(candidates, lexical.tolist(), expanded.tolist())):
            c.lexical, c.lexical_x = lex, exp
            c.coverage = {name: float(values[i]) for name, values in covered.items()}

    def dense_top(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> dict[int, float]:
        """The vector store's own top n (vid -> cosine) within `filters`, best first."""
        where = self.vectors.compile_filter(filters, self.metadata.vids_matching) if filters else None
        scores, ids = self.vectors.search(vector[None, :], min(n, max(self.vectors.count(), 1)), where)
        return {int(v): float(s) for v, s in zip(ids[0], scores[0]) if v >= 0}

    def sentence_top(self, vector: np.ndarray, n: int) -> list[int]:
        """The vids of the passages holding the sentence index's n best sentences."""
        return self.adjacency.vids(self.sentence_index.top_rows(vector, n)).tolist()

    def _dense(self, vector: np.ndarray, filters: Filters | None, n: int, config: RankingConfig) -> dict[int, float]:
        """The vector store's top n within the filters, and each smaller language's own top."""
        filters = filters if filters and not filters.is_empty() else None
        dense = self.dense_top(vector, n, filters)
        if filters is None and config.sentence_candidates:
            for vid in self.sentence_top(vector, config.sentence_candidates):
                dense.setdefault(vid, None)  # its passage cosine is read with the lexical-only ones
        if filters is None and config.language_balance:
            dense.update(self.language_pools.top(vector, config.language_candidates))
        return dense

    def _submit(self, function, *args) -> Future:
        """Run a lexical search on the worker thread, or here and now in an index small enough that handing it
        over costs more than it (a few milliseconds of thread switching against a fraction of one)."""
        if self.passage_count > INLINE_LEXICAL_LIMIT:
            return self._lexical_worker.submit(function, *args)
        done: Future = Future()
        done.set_result(function(*args))
        return done

    @cached_property
    def passage_count(self) -> int:
        return self.metadata.count()

    @cached_property
    def sentence_index(self) -> SentenceIndex:
        try:
            return SentenceIndex.load(self.generation, self.sentences.vectors, self.sentences.offsets,
                                      mapped=self.mapped)
        except (OSError, RuntimeError, ValueError) as exc:
            raise IndexCorrupt(f"{self.generation / SENTENCE_INDEX_FILE} cannot be read ({exc}); rebuild the "
                               "index with `podquote index`") from None

    @cached_property
    def expander(self) -> Expander | None:
        return Expander.open(self.metadata.db, self.generation)

    @cached_property
    def people(self) -> People:
        return People.from_store(self.metadata.db)

    @cached_property
    def language_pools(self) -> LanguagePools:
        # Indexes since the language balance record their languages; counting them in SQLite takes a scan.
        return LanguagePools(self.metadata, self.passage_vectors, self.languages or self.metadata.counts_by("lang"))

    @cached_property
    def adjacency(self) -> Adjacency:
        """Which rows are next to which (podquote.adjacency): saved with the index, or read from SQLite once."""
        return self._saved_adjacency or Adjacency.from_store(self.metadata.db)
