"""Second-stage scoring: a passage scores as its best sentence, and questions weigh less than answers.

FAISS finds candidates by the passage vector (the mean of its sentences). A long quote whose one sentence
answers the query is diluted in that mean, so candidates are rescored by their best-matching sentence, which
also becomes the hit's highlight. People search podcasts for answers: a passage that is itself a question (a
host's question, a chapter title phrased as one) matches question-shaped queries by form rather than content,
so question sentences count for a little less.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .passage import Passage
from .sentences import is_question
from .vectors.sentences import SentenceVectors

QUESTION_WEIGHT = 0.9
# Candidates rescored per query: enough that a passage ranked low by its mean but high by one sentence is seen.
CANDIDATES = 50


@dataclass
class Scored:
    passage: Passage
    score: float
    highlight: tuple[int, int]


def rescore(query: np.ndarray, candidates: list[tuple[Passage, int, float]], sentences: SentenceVectors) -> list[Scored]:
    scored = []
    for passage, row, passage_score in candidates:
        vectors, spans = sentences.of_row(row)
        sims = np.asarray(vectors, dtype=np.float32) @ query
        weights = np.array([QUESTION_WEIGHT if is_question(passage.text[a:b]) else 1.0 for a, b in spans])
        weighted = sims * weights
        best = int(np.argmax(weighted)) if len(weighted) else 0
        whole = passage_score * (QUESTION_WEIGHT if is_question(passage.text) else 1.0)
        score = max(whole, float(weighted[best])) if len(weighted) else whole
        highlight = tuple(int(x) for x in spans[best]) if len(spans) else (0, len(passage.text))
        scored.append(Scored(passage, score, highlight))
    scored.sort(key=lambda s: s.score, reverse=True)
    return scored
