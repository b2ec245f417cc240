"""Putting the candidates in order: the learned ranking (podquote.ranker over podquote.features), or the hand-set
one (podquote.ranking.score) that shipped before it; a keyword query's hits that hold the keyword first."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .features import Sentences, best_sentences, extract, keyword_first
from .passage import Passage
from .ranker import Ranker
from .ranking import RankingConfig, Scored, score
from .retrieval import Retrieved, Retriever


def features(retrieved: Retrieved, retriever: Retriever, second: bool) -> tuple[np.ndarray, Sentences]:
    """The learned ranking's feature matrix over the candidates (podquote.features), and their best sentences:
    what search scores, and what scripts/train_ranker.py learns from. `second`: with the second embedder's."""
    found = best_sentences(retrieved.candidates, retriever.sentences, retrieved.vector)
    return extract(retrieved.context, retrieved.candidates, found, second), found


def learned_order(retrieved: Retrieved, config: RankingConfig, ranker: Ranker, matrix: np.ndarray,
                  found: Sentences) -> list[Scored]:
    """The candidates by the learned ranker's score over their `features`, best first."""
    candidates = retrieved.candidates
    scores = ranker.score(matrix)
    scored = [Scored(c.passage, float(s), span, c.vid) for c, s, span in zip(candidates, scores, found.spans)]
    order = np.argsort(-np.asarray(scores), kind="stable")
    scored = [scored[i] for i in order]
    if config.keyword_first and retrieved.question.keyword:
        scored = keyword_first(scored, np.array([candidates[i].coverage["coverage_any"] for i in order]))
    return scored


def hand_set_order(retrieved: Retrieved, config: RankingConfig, retriever: Retriever) -> list[Scored]:
    """The hand-set ranking (podquote.ranking.score) that shipped before the learned one."""
    q = retrieved.question
    scored = score(retrieved.vector, q.lang, set(q.words), retrieved.candidates, retriever.sentences, config)
    if config.keyword_first and q.keyword and scored:
        held = [_Held(s.vid, s.passage) for s in scored]
        retriever.score_lexically(held, q, retrieved.context.translations)
        scored = keyword_first(scored, np.array([h.coverage["coverage_any"] for h in held]))
    return scored


@dataclass
class _Held:
    """What the hand-set ranking's keyword rule asks of a hit: which of the query's words it holds."""

    vid: int
    passage: Passage
    lexical: float = 0.0
    lexical_x: float = 0.0
    coverage: dict = field(default_factory=dict)
