"""The vector-store interface. FAISS is the embedded default; Milvus (a server, a cluster or a milvus-lite file)
sits beside it behind the same methods.

Ids are the int64 vector ids derived from passage ids (`podquote.passage.vector_id`), so they are stable across
reindexes and serve as a backend's primary key. Scores are cosine similarities (inner products of L2-normalised
vectors): higher is better, on every backend.

Filters are written once, in podquote's own terms (`podquote.metadata.Filters`), and each store compiles them its
own way with `compile_filter`: FAISS calls the function it is given for the matching ids (the caller asks SQLite,
the source of truth) and searches with an id selector; Milvus turns them into a boolean expression over the scalar
fields it stores with each vector (`VectorAttributes`). `search` takes whatever its own `compile_filter` returned.
No store reads the metadata store itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

import numpy as np

if TYPE_CHECKING:
    from ..metadata import Filters
    from ..passage import Passage


@dataclass(frozen=True)
class VectorAttributes:
    """What a filtering backend stores beside a vector: the passage fields `Filters` can test, None as ""."""

    speaker_keys: tuple[str, ...] = ()  # the pieces of `podquote.speakers.key_column`, so matching is the same
    lang: str = ""
    source: str = ""
    episode: str = ""
    show: str = ""
    date: str = ""

    @classmethod
    def of(cls, passage: "Passage") -> "VectorAttributes":
        from ..speakers import filter_key, key_column

        column = key_column(passage.speaker) or ""
        # The alias is a key here only: a Milvus filter matches it as SQLite matches passages.speaker_alias.
        alias = filter_key(passage.speaker_alias) if passage.speaker_alias else ""
        keys = tuple(dict.fromkeys(k for k in [*column.split("|"), alias] if k))
        return cls(keys, passage.lang or "", passage.source or "", passage.episode or "", passage.show or "",
                   passage.date or "")


class VectorStore(Protocol):
    dimension: int

    def add(self, ids: np.ndarray, vectors: np.ndarray,
            attributes: Sequence[VectorAttributes] | None = None) -> None:
        """Add new ids (an id already present is the caller's bug on FAISS; use `upsert` to replace)."""
        ...

    def upsert(self, ids: np.ndarray, vectors: np.ndarray,
               attributes: Sequence[VectorAttributes] | None = None) -> None:
        """Insert, or replace the vector and attributes of ids already present."""
        ...

    def delete(self, ids: np.ndarray) -> None:
        """Remove these ids; ids not present are ignored. Visible to this store's next search."""
        ...

    def compile_filter(self, filters: "Filters", matching_ids: Callable[["Filters"], Sequence[int]]) -> Any:
        """This backend's form of `filters`, for `search`; `matching_ids(filters)` gives the vector ids that match,
        for a store that filters by id (called only if the store needs them)."""
        ...

    def search(self, queries: np.ndarray, k: int, where: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query row, best first, within `where` (from `compile_filter`). Missing slots
        are id -1, score -inf."""
        ...

    def count(self) -> int: ...

    def save(self, directory: Path) -> list[str]:
        """Make every write durable. FAISS writes its files into `directory` and returns their names (for the
        manifest); a server backend flushes and returns []."""
        ...

    def close(self) -> None: ...


def empty_result(n_queries: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((n_queries, k), -np.inf, "float32"), np.full((n_queries, k), -1, "int64")


def best_k(sims: np.ndarray, ids: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k highest of one query's similarities and their ids, best first (-inf / -1 past the last)."""
    scores = np.full(k, -np.inf, dtype=np.float32)
    labels = np.full(k, -1, dtype=np.int64)
    take = min(k, len(ids))
    if take:
        top = np.argpartition(-sims, take - 1)[:take]
        top = top[np.argsort(-sims[top], kind="stable")]
        scores[:take], labels[:take] = sims[top], ids[top]
    return scores, labels
