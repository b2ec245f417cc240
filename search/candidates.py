"""Candidates for ranking: what each generator finds for a query, read from the stores once.

Generators: the vector store's dense top (and each smaller language's own top, see `LanguagePools`), BM25 over
the query's words, BM25 over their translations (podquote.expansion), and the turns that answer a matching
question. Every candidate gets its passage cosine, its BM25 scores, its neighbours' best cosine and, when it
answers a question, that question's row: what podquote.features reads.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np

from .adjacency import Adjacency
from .metadata import Filters, MetadataStore
from .ranking import Candidate
from .vectors.codes import row_similarities
from .vectors.base import best_k

# A language with at most this many passages is searched on its own, exactly, from a copy of its vectors in
# memory (40 MB and about 1.5 ms a query at 20,000).
LANGUAGE_SCAN_LIMIT = 20_000


@dataclass
class Found:
    """What the generators returned for one query: vid -> score, best first for the lexical ones."""

    dense: dict[int, float]
    lexical: list[tuple[int, float]]
    expanded: list[tuple[int, float]]


class LanguagePools:
    """Each language but the largest, if small enough, with its vectors in memory: the overall dense top of an
    archive in one language holds none of the passages of a small collection in another (ranking point 7)."""

    def __init__(self, metadata: MetadataStore, passage_vectors, counts: dict[str, int]):
        largest = max(counts.values(), default=0)
        self.pools = []
        for lang, count in counts.items():
            if 0 < count < largest and count <= LANGUAGE_SCAN_LIMIT:
                vids, rows = metadata.vids_and_rows(Filters(lang=lang))
                self.pools.append((vids, np.asarray(passage_vectors[rows], dtype=np.float32)))

    def top(self, vector: np.ndarray, n: int) -> dict[int, float]:
        found: dict[int, float] = {}
        for vids, matrix in self.pools:
            scores, ids = best_k(matrix @ vector, vids, n)
            found.update((int(v), float(s)) for v, s in zip(ids, scores) if v >= 0)
        return found


def resolve(found: Found, lexical: Future | None, expanded: Future | None) -> Found:
    found.lexical = lexical.result() if lexical else []
    found.expanded = expanded.result() if expanded else []
    return found


def gather(found: Found, metadata: MetadataStore, passage_vectors, vector: np.ndarray) -> list[Candidate]:
    """One Candidate per passage any generator found, with its passage cosine and BM25 scores."""
    lexical, expanded = dict(found.lexical), dict(found.expanded)
    rows = metadata.by_vids(found.dense.keys() | lexical.keys() | expanded.keys(), brief=True)
    # The cosines of passages only BM25 found, in one gather: a row at a time cost 0.25 ms each from the 8-bit
    # codes of a 10M-passage index.
    unscored = np.array(sorted(row for vid, (_, row, _) in rows.items() if found.dense.get(vid) is None),
                        dtype=np.int64)
    cosines = dict(zip(unscored.tolist(), row_similarities(passage_vectors, unscored, vector).tolist()))
    return [Candidate(passage, row, vid, found.dense[vid] if found.dense.get(vid) is not None else cosines[row],
                      lexical.get(vid, 0.0), keys, lexical_x=expanded.get(vid, 0.0))
            for vid, (passage, row, keys) in rows.items()]


def add_context(candidates: list[Candidate], adjacency: Adjacency, metadata: MetadataStore, passage_vectors,
                vector: np.ndarray, add_answers: bool) -> list[Candidate]:
    """Score each candidate's neighbours; the turn after a matching question (the answer) joins the candidates
    if it is not there yet. Returns the added candidates."""
    rows = np.array([c.row for c in candidates], dtype=np.int64)
    before, after = adjacency.neighbours(rows)
    near = np.union1d(before[before >= 0], after[after >= 0])
    if not len(near):
        return []
    sims = dict(zip(near.tolist(), row_similarities(passage_vectors, near, vector).tolist()))
    asked = adjacency.answered(before)  # the candidate answers the turn before
    answered = adjacency.answered(rows) & add_answers  # the turn after answers the candidate
    after_vids = adjacency.vids(np.maximum(after, 0)).tolist()
    present = {c.vid for c in candidates}
    answers: dict[int, tuple[float, int]] = {}  # vid of an answer to add -> (its question's cosine, row)
    for c, b, a, asks_before, answered_after, after_vid in zip(
            candidates, before.tolist(), after.tolist(), asked, answered, after_vids):
        c.context = max(sims[b] if b >= 0 else 0.0, sims[a] if a >= 0 else 0.0)
        if asks_before:
            c.answers, c.asked_row = sims[b], b
        if answered_after and after_vid not in present:
            answers[after_vid] = max(answers.get(after_vid, (-1.0, -1)), (c.dense, c.row))
    added = []
    for vid, (passage, row, keys) in metadata.by_vids(answers, brief=True).items():
        asked_cosine, asked_row = answers[vid]
        added.append(Candidate(passage, row, vid, float(sims[row]), 0.0, keys, answers=asked_cosine,
                               asked_row=asked_row))
    return added
