"""The core object: one served index generation, searched through its embedder, vectors and metadata.

Candidates are gathered by podquote.retrieval and put in order by podquote.scoring; this facade checks requests
(podquote.query), builds the hits (podquote.hits) and answers what callers ask about the index besides searching
it (health, facets, passages), so nothing outside reaches into its stores.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .adjacency import Adjacency
from .embedders import Embedder, get_embedder
from .errors import PassageNotFound
from .expansion import Expander
from .features import Sentences, feature_names
from .filtering import Catalog, check_empty, resolve as resolve_filters
from .hits import Hit
from .lexical import fts_match
from .metadata import Filters, MetadataStore
from .passage import Passage
from .query import MAX_CONTEXT, SearchRequest, checked_range
from .ranker import Ranker, load_ranker, ranker_file
from .ranking import RankingConfig, Scored, collapse, configured_ranking
from .retrieval import Retrieved, Retriever
from .scoring import features, hand_set_order, learned_order
from .store import Manifest, current_generation
from .vectors import open_vector_store
from .vectors.faiss_store import VECTORS_FILE
from .vectors.rows import open_rows
from .vectors.second import SecondVectors
from .vectors.sentences import SentenceVectors


class Collection:
    def __init__(self, root: Path, generation: Path, manifest: Manifest, embedder: Embedder, vectors,
                 sentences: SentenceVectors, metadata: MetadataStore, adjacency: Adjacency | None = None,
                 second: SecondVectors | None = None):
        self.root = root
        self.generation = generation
        self.manifest = manifest
        self.embedder = embedder
        self.vectors = vectors
        self.sentences = sentences
        self.metadata = metadata
        self.ranking = configured_ranking()
        # Rows ranking reads: the store's in-memory codes where it keeps them (ivf-pqfs), else memory-mapped.
        rows = getattr(vectors, "row_vectors", None)
        if rows is None:
            rows = open_rows(generation / VECTORS_FILE)
        self.retriever = Retriever(generation, embedder, vectors, rows, sentences, metadata,
                                   manifest.counts.get("languages"), adjacency, second)

    @classmethod
    def open(cls, root: Path | str, *, embedder: str | Embedder | None = None, verify: bool = False,
             preload: bool = False) -> "Collection":
        """Open the served generation, checked against its manifest (format, embedder, dimension, every file).

        `verify` hashes every file (sha256, reads all bytes: `podquote serve` and `info --verify`); without it
        only files whose stat changed since the last full check are hashed (podquote.store explains the stamp).
        A damaged index raises IndexCorrupt naming the file and the rebuild command, never a numpy, FAISS or
        SQLite error. `preload` (a server's start) maps what queries read from memory-mapped files now, so the
        first thousands of queries don't each pay page faults (FaissStore.preload).
        """
        from .store import INDEX_FILES, checked_second, load_checked, verify_generation

        root = Path(root)
        generation = current_generation(root)
        manifest = Manifest.read(generation)
        verify_generation(generation, manifest, full=verify, required=INDEX_FILES)
        model = embedder if hasattr(embedder, "embed_batch") else get_embedder(embedder or manifest.embedder)
        manifest.check_embedder(model.name, model.dimension, root)
        vectors, sentences, metadata, adjacency = load_checked(generation, manifest.dimension, manifest.vector_store)
        try:
            if vectors is None:  # the vectors live in a server backend (Milvus) the manifest names
                vectors = open_vector_store(manifest.vector_store, manifest.dimension, root)
            second = checked_second(generation, manifest, get_embedder(manifest.second_embedder["name"])) \
                if manifest.second_embedder else None
        except BaseException:
            metadata.close()
            raise
        if preload and hasattr(vectors, "preload"):
            vectors.preload()
        collection = cls(root, generation, manifest, model, vectors, sentences, metadata, adjacency, second)
        if preload:
            collection.warm()
        return collection

    def warm(self) -> None:
        """Load now what the first queries would: a server's first hundred queries must not each pay for a part
        of the index, the vocabulary or a model being read (issue 15 measured p99 103 ms over them)."""
        if self.ranking.learned:
            self.ranker  # read and checked now
        self.retriever.warm(self.ranking.learned, self.ranking.expansion)
        if hasattr(self.embedder, "warm"):
            self.embedder.warm()
        for query in ("why Rook on bare metal", "开源社区如何运营"):  # both scripts: jieba, tokenizers, embedder
            self.search(query, k=1)

    def __enter__(self) -> "Collection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.retriever.close()
        self.metadata.close()
        self.vectors.close()

    def __len__(self) -> int:
        return self.vectors.count()

    def search(
        self, query: str, k: int = 10, filters: Filters | None = None, context: int = 0, *,
        collapse_duplicates: bool = True, ranking: RankingConfig | None = None,
    ) -> list[Hit]:
        """The k best passages for `query`; `context` adds that many neighbouring passages on each side. The
        request is checked first (podquote.query: InvalidQuery says what is wrong)."""
        request = SearchRequest.checked(query, k, filters, context, collapse_duplicates)
        config = ranking or self.ranking
        retrieved = self.retrieve(request.query, resolve_filters(request.filters, self.catalog), config, request.k)
        scored = self._ordered(retrieved, config)
        if request.collapse:
            scored = collapse(scored, config, request.k)
        return self._hits(scored[:request.k], request.context)

    def retrieve(self, query: str, filters: Filters | None, config: RankingConfig, k: int = 10) -> Retrieved:
        """The candidates every generator finds for `query` within `filters` (podquote.retrieval)."""
        return self.retriever.retrieve(query, filters, config, k)

    def features(self, retrieved: Retrieved, config: RankingConfig) -> tuple[np.ndarray, Sentences]:
        """The learned ranking's features over the candidates and their best sentences (podquote.scoring)."""
        return features(retrieved, self.retriever, self.second is not None and config.second)

    def _ordered(self, retrieved: Retrieved, config: RankingConfig) -> list[Scored]:
        if not config.learned:
            return hand_set_order(retrieved, config, self.retriever)
        if not retrieved.candidates:
            return []
        matrix, found = self.features(retrieved, config)
        return learned_order(retrieved, config, self.ranker, matrix, found)

    def _hits(self, scored: list[Scored], context: int) -> list[Hit]:
        full = self.metadata.by_vids([s.vid for s in scored])  # candidates carry only what ranking reads
        hits = [Hit(full[s.vid][0], s.score, s.highlight, collapsed=s.collapsed) for s in scored]
        if context:
            for hit in hits:
                hit.context = self.metadata.neighbours(hit.passage.source, hit.passage.position, context)
        return hits

    def why_empty(self, filters: Filters) -> str:
        """Why a search within `filters` found nothing (FilterMatchesNothing when one of them alone matches nothing)."""
        return check_empty(resolve_filters(filters, self.catalog), self.metadata)

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.metadata)

    @cached_property
    def ranker(self) -> Ranker:
        """The shipped learned ranking for this index: with a second embedder, the one trained with it. A script
        may assign another (`collection.ranker = ...`) and `del collection.ranker` to return to it."""
        name = self.second.embedder.name if self.second else None
        return load_ranker(ranker_file(name), feature_names(self.second is not None))

    @property
    def second(self) -> SecondVectors | None:
        """A second embedder's passage vectors (podquote.vectors.second), when the index has them."""
        return self.retriever.second

    @property
    def adjacency(self) -> Adjacency:
        """Which rows are next to which (podquote.adjacency), as ranking reads them."""
        return self.retriever.adjacency

    @property
    def expander(self) -> Expander | None:
        """The cross-language expansion of query words (podquote.expansion), if the index has a vocabulary."""
        return self.retriever.expander

    @property
    def passage_vectors(self):
        """The rows ranking reads (neighbours, lexical-only candidates); scripts/scale.py swaps in its own."""
        return self.retriever.passage_vectors

    @passage_vectors.setter
    def passage_vectors(self, rows) -> None:
        self.retriever.passage_vectors = rows

    # ---- what callers ask of the index besides a search

    def passage(self, pid: str) -> Passage:
        found = self.metadata.by_id(pid)
        if found is None:
            raise PassageNotFound(f"no passage with id {pid!r} in this index")
        return found

    def passage_with_context(self, pid: str, n: int) -> tuple[Passage, tuple[list[Passage], list[Passage]]]:
        """A passage and up to `n` (0..MAX_CONTEXT) neighbouring passages of its source on each side, in order:
        what a search hit's context holds, for a passage opened by id (a moment link, an assistant's fetch)."""
        checked_range("context", n, 0, MAX_CONTEXT)
        found = self.passage(pid)
        return found, self.metadata.neighbours(found.source, found.position, n) if n else ([], [])

    def passages(self, *, lang: str | None = None, limit: int | None = None) -> Iterator[Passage]:
        """Every passage (only those in `lang`, at most `limit`), in vector id order: for scripts reading texts."""
        return self.metadata.passages(lang=lang, limit=limit)

    def passages_by_vid(self, vids: Iterable[int]) -> dict[int, Passage]:
        return {vid: passage for vid, (passage, _, _) in self.metadata.by_vids(vids).items()}

    def row_vids(self) -> np.ndarray:
        """Every passage's vector id, in vector row order (the order of `sentences` and `passage_vectors`)."""
        return self.metadata.vids_and_rows(Filters())[0]

    def dense_top(self, vector: np.ndarray, n: int) -> list[tuple[int, float]]:
        """The vector store's own top n (vid, cosine) for one query vector: no filters, no other generator."""
        return list(self.retriever.dense_top(vector, n).items())

    def sentence_top(self, vector: np.ndarray, n: int) -> list[int]:
        """The vids of the passages holding the sentence index's n best sentences, as search reads them."""
        return self.retriever.sentence_top(vector, n)

    def lexical_top(self, terms: list[str], n: int, weights: dict[str, float] | None = None) -> list[tuple[int, float]]:
        """The BM25 top n (vid, score) for any of `terms`, each scaled by its `weights` factor if given."""
        return self.metadata.lexical(fts_match(terms), n, None, weights)

    def read_rows(self, how: str) -> None:
        """How the float32 rows a query reads (rescoring, lexical candidates, neighbours) are read from now on:
        "mmap" (the default), "random" or "pread" (podquote.vectors.rows.open_rows); scripts/scale.py compares them."""
        rows = open_rows(self.generation / VECTORS_FILE, how)
        self.passage_vectors = rows
        if getattr(self.vectors, "vectors", None) is not None:  # a FAISS store rescoring from the float32 rows
            self.vectors.vectors = rows

    def vector_settings(self) -> tuple[str, dict]:
        """The vector store's index type and its search-time settings (HNSW's ef_search, IVF's nprobe...)."""
        return getattr(self.vectors, "type", "server"), dict(getattr(self.vectors, "params", {}))

    def tune_vectors(self, **settings: int) -> None:
        """Change search-time settings of the vector store for this process (what scripts/scale.py sweeps); a
        setting the store does not have is a ValueError."""
        params = getattr(self.vectors, "params", {})
        unknown = sorted(set(settings) - set(params))
        if unknown:
            raise ValueError(f"the vector store has no setting {', '.join(unknown)} (it has {', '.join(params)})")
        params.update(settings)

    def facet(self, column: str, filters: Filters | None = None) -> list[dict]:
        """One facet ("show", "speaker" or "lang") within `filters`, each {"value", "count"}, most passages first:
        what `facets()` gives, without counting the others."""
        return self.metadata.facet(column, filters)

    def speakers(self, filters: Filters | None = None) -> list[dict]:
        """The speakers within `filters` (a show, a language...), each {"value", "count"}, most passages first."""
        return self.facet("speaker", filters)

    def episodes(self) -> list[dict]:
        """Every episode: id ("value"), title, date, show, passage count ("count") and more (MetadataStore.episodes)."""
        return self.metadata.episodes()

    def facets(self) -> dict[str, list[dict]]:
        """Shows, speakers, languages and episodes, each value with its passage count (MetadataStore.facets)."""
        return self.metadata.facets()

    def health(self) -> dict:
        """What a probe shows: the served generation, its size and what it was built with. Reads no passage."""
        return {
            "passages": len(self),
            "embedder": self.manifest.embedder,
            "dimension": self.manifest.dimension,
            "vector_store": self.manifest.vector_store,
            "generation": self.generation.name,
            "index": str(self.root),
        }

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
