"""Ranking: dense candidates rescored by their best sentence, fused with language-aware lexical evidence.

1. A passage scores as its best-matching sentence (or its mean vector, if that is higher). A long quote whose
   one sentence answers the query is otherwise diluted; the best sentence is also the hit's highlight.
2. People search podcasts for answers: a passage that is itself a question (a host's question, a chapter title
   phrased as one) matches question-shaped queries by form rather than content, so question sentences weigh less.
3. Lexical (BM25) evidence is added in proportion to the best lexical score of the query. It counts fully when
   the passage is in the query's language and only partly across languages, where the words a Chinese passage
   shares with an English question are names, and a stray shared name must not outrank a cross-lingual
   paraphrase.
4. A question naming a speaker ("what did Watts say about ...") favours that speaker's passages.
5. A passage whose neighbours also match gets a share of their similarity: a quote's own words often leave out
   the topic that the sentence before it (a host's question, a writer's lead-in) names.
6. In a conversation the best match for a question is often the host's own question; the turn that answers it
   (the next turn, by another speaker) inherits that question's similarity, and joins the candidates if the
   vector search did not find it. With questions weighed down (2), the answer then ranks where the question
   would have, just above it.
7. Languages are balanced. A question's best match in a language with a hundred times more passages scores
   higher just by being the best of more tries, and cross-language cosines run lower than same-language ones,
   so a small Chinese collection's answer to an English question sinks under a large English archive's near
   misses. Each language's candidates are lifted by a share of the gap between the strongest language's top
   scores and their own (top `balance_top` each), so every language's best answers compete near the top.
All weights live in `RankingConfig`, and `scripts/compare_retrieval.py` measures them on the judged dev set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

import numpy as np

from .errors import PodquoteError
from .lang import UNKNOWN_LANGUAGE
from .passage import Passage
from .people import is_self_introduction
from .segment import is_question
from .vectors.sentences import SentenceVectors, runs


@dataclass(frozen=True)
class RankingConfig:
    """How a query is ranked. The default is the learned ranking (podquote.ranker) over every generator;
    `HAND_RANKING` is the hand-set weights below over dense and BM25 candidates, as shipped before it."""

    learned: bool = True  # the learned ranking (podquote.ranker); off: the hand-set weights below
    expansion: bool = True  # BM25 over the query words' translations (podquote.expansion) as a generator
    names: bool = True  # a person the query names: their words, not their self-introduction (podquote.people)
    keyword_first: bool = True  # a keyword query's passages that contain the keyword come first
    candidates: int = 30  # dense and lexical candidates each, before rescoring
    dense_candidates: int = 40  # for the learned ranking: the vector store top
    lexical_candidates: int = 40  # for the learned ranking: BM25 top
    expanded_candidates: int = 30  # BM25 over the translations' top
    sentence_candidates: int = 20  # for the learned ranking: the best sentences (podquote.vectors.sentence_index)
    second: bool = True  # the second embedder's candidates and cosines, when the index has one
    question_weight: float = 0.7
    lexical_weight: float = 0.1  # added for the best lexical match of the query, proportionally below it
    cross_language: float = 0.25  # share of the lexical weight when query and passage languages differ
    speaker_weight: float = 0.3
    context_weight: float = 0.1  # share of the best neighbouring passage's similarity: the topic around a quote
    answer_weight: float = 0.9  # share of a matching question's similarity that the turn answering it inherits
    narration_weight: float = 1.0  # a writer's paraphrase, against the words of the person quoted
    sentence_rescoring: bool = True  # off: rank by the passage vector alone (the plain dense baseline)
    collapse_seconds: float = 30.0  # hits of one speaker this close in one episode are one moment
    language_balance: float = 0.75  # share of the gap to the strongest language's top scores a language gets back
    balance_top: int = 10  # how many of a language's best scores stand for it
    language_candidates: int = 10  # dense candidates from each smaller language, besides the overall top

    def with_(self, **changes) -> "RankingConfig":
        return replace(self, **changes)


DEFAULT_RANKING = RankingConfig()
HAND_RANKING = RankingConfig(learned=False, expansion=False, names=False, keyword_first=False, sentence_candidates=0)
RANKINGS = {"learned": DEFAULT_RANKING, "hand": HAND_RANKING}


def configured_ranking() -> RankingConfig:
    """The ranking PODQUOTE_RANKING names: "learned" (default) or "hand", the hand-set one it replaced (for
    comparing the two, e.g. scripts/bench.py). An unknown name is an error, not a silent default."""
    name = os.environ.get("PODQUOTE_RANKING", "learned").strip().lower() or "learned"
    if name not in RANKINGS:
        raise PodquoteError(f"PODQUOTE_RANKING is {name!r}; it must be one of {', '.join(RANKINGS)}")
    return RANKINGS[name]


@dataclass
class Candidate:
    passage: Passage
    row: int
    vid: int
    dense: float  # cosine of the passage (mean) vector
    lexical: float = 0.0  # BM25, 0 when no query word matched
    speaker_keys: tuple[str, ...] = ()  # see podquote.speakers
    context: float = 0.0  # best cosine of the passages just before and after it in the same source
    answers: float = 0.0  # cosine of the question this passage answers (the turn before it), if any
    asked_row: int = -1  # row of that question, whose best sentence is what the answer inherits
    lexical_x: float = 0.0  # BM25 of the query words' translations (podquote.expansion)
    second: float = 0.0  # cosine by the second embedder, when the index has one (podquote.vectors.second)
    coverage: dict = field(default_factory=dict)  # how much of the query it holds (podquote.features.coverage)


@dataclass
class Scored:
    passage: Passage
    score: float
    highlight: tuple[int, int]
    vid: int = 0
    collapsed: list[Passage] | None = None  # near-duplicate hits folded into this one


def _semantic(candidates: list[Candidate], rows: dict[int, int], sims: np.ndarray, spans: np.ndarray,
              bounds: np.ndarray, config: RankingConfig) -> list[tuple[float, tuple[int, int]]]:
    """Each candidate's similarity to the query (best sentence, its kind, the question it answers) and highlight.
    `sims`, `spans`, `bounds`: the sentences of the candidates' rows and of the rows of the questions asked, row
    `r`'s at [bounds[rows[r]]:bounds[rows[r] + 1]] (SentenceVectors.similarities). All candidates at once."""
    best = [(c.dense * (config.question_weight if is_question(c.passage.text) else 1.0), (0, len(c.passage.text)))
            for c in candidates]
    if config.sentence_rescoring:
        for i, weighted, span in _best_sentences(candidates, rows, sims, spans, bounds, config):
            best[i] = (max(best[i][0], weighted), span)
    out = []
    for c, (dense, highlight) in zip(candidates, best):
        if c.passage.kind == "narration":
            dense *= config.narration_weight
        # The answer stands in for the question it answers: it ranks where that question would have. A
        # question's best sentence ("Why Crossplane?") matches far better than its whole turn: that is inherited.
        asked = c.answers
        if c.asked_row >= 0:
            lo, hi = bounds[rows[c.asked_row]], bounds[rows[c.asked_row] + 1]
            asked = max(asked, float(sims[lo:hi].max())) if hi > lo else asked
        out.append((max(dense, config.answer_weight * asked), highlight))
    return out


def _best_sentences(candidates: list[Candidate], rows: dict[int, int], sims: np.ndarray, spans: np.ndarray,
                    bounds: np.ndarray, config: RankingConfig):
    """(candidate index, cosine, span) of each candidate's best sentence, questions weighed down; candidates
    with no sentence are left out."""
    slots = np.array([rows[c.row] for c in candidates], dtype=np.int64)
    counts = bounds[slots + 1] - bounds[slots]
    index = runs(bounds[slots], counts)  # the candidates' sentences, candidate after candidate
    owner = np.repeat(np.arange(len(candidates)), counts)
    texts = [candidates[i].passage.text for i in owner.tolist()]
    weighted = sims[index] * np.array([config.question_weight if is_question(text[a:b]) else 1.0
                                       for text, (a, b) in zip(texts, spans[index].tolist())])
    # Each owner's first sentence in order of falling cosine: its best (the earliest of equals, as argmax).
    order = np.lexsort((-weighted, owner))
    firsts = order[np.flatnonzero(np.diff(owner[order], prepend=-1))]
    for i, at in zip(owner[firsts].tolist(), firsts.tolist()):
        a, b = spans[index[at]]
        yield i, float(weighted[at]), (int(a), int(b))


def _language_lift(langs: list[str], dense: list[float], config: RankingConfig) -> dict[str, float]:
    """language -> what its candidates gain: a share of the gap between the strongest language's top scores
    and its own (point 7 of the module docstring)."""
    if not config.language_balance or len(set(langs)) < 2:
        return {}
    by_lang: dict[str, list[float]] = {}
    for lang, score in zip(langs, dense):
        by_lang.setdefault(lang, []).append(score)
    # Too few candidates say nothing about a language's top; text of no known language has no peers to beat.
    tops = {lang: float(np.mean(sorted(scores)[-config.balance_top:])) for lang, scores in by_lang.items()
            if len(scores) >= config.balance_top and lang != UNKNOWN_LANGUAGE}
    if len(tops) < 2:
        return {}
    strongest = max(tops.values())
    return {lang: config.language_balance * (strongest - top) for lang, top in tops.items()}


def _speaker_named(candidate: Candidate, query_words: set[str]) -> bool:
    return any(key in query_words for key in candidate.speaker_keys)


def score(
    query: np.ndarray,
    query_lang: str,
    query_words: set[str],
    candidates: list[Candidate],
    sentences: SentenceVectors,
    config: RankingConfig = DEFAULT_RANKING,
) -> list[Scored]:
    top_lexical = max((c.lexical for c in candidates), default=0.0) or 1.0
    top_expanded = max((c.lexical_x for c in candidates), default=0.0) or 1.0
    # One gather of sentence vectors for every row ranking looks at: candidates and the questions they answer.
    rows = list(dict.fromkeys([c.row for c in candidates] + [c.asked_row for c in candidates if c.asked_row >= 0]))
    semantic = _semantic(candidates, {row: i for i, row in enumerate(rows)}, *sentences.similarities(rows, query),
                         config) if rows else []
    lift = _language_lift([c.passage.lang for c in candidates], [d for d, _ in semantic], config)
    scored = []
    for candidate, (dense, highlight) in zip(candidates, semantic):
        dense += lift.get(candidate.passage.lang, 0.0)
        share = 1.0 if candidate.passage.lang == query_lang else config.cross_language
        total = dense + config.lexical_weight * share * candidate.lexical / top_lexical
        total += config.lexical_weight * candidate.lexical_x / top_expanded  # translations: 0 unless expanded
        total += config.context_weight * max(candidate.context, 0.0)
        if _speaker_named(candidate, query_words) and not (
                config.names and is_self_introduction(candidate.passage.text, candidate.passage.speaker,
                                                      candidate.speaker_keys)):
            total += config.speaker_weight
        scored.append(Scored(candidate.passage, total, highlight, candidate.vid))
    scored.sort(key=lambda s: s.score, reverse=True)
    return scored


def _near_identical(a: str, b: str) -> bool:
    shorter, longer = sorted((" ".join(a.split()), " ".join(b.split())), key=len)
    return len(shorter) >= 0.8 * len(longer) and shorter[: len(shorter) // 2] in longer


def _same_moment(a: Passage, b: Passage, seconds: float) -> bool:
    """Same episode and speaker, and either timed within `seconds` of each other or saying the same words.
    Untimed neighbours (quotes in an article) are distinct statements, not one moment."""
    if a.source != b.source or a.speaker != b.speaker:
        return False
    if a.start is not None and b.start is not None and abs(a.start - b.start) <= seconds:
        return True
    return _near_identical(a.text, b.text)


def collapse(scored: list[Scored], config: RankingConfig = DEFAULT_RANKING, k: int | None = None) -> list[Scored]:
    """Fold hits from the same moment of the same episode into the best of them, so the top k is not one
    answer repeated. The folded passages stay on the kept hit (`collapsed`). With `k`, stop once k hits are
    kept and three times k looked at: what lies further down neither shows nor folds into what shows."""
    kept: list[Scored] = []
    by_voice: dict[tuple[str, str | None], list[Scored]] = {}  # only one speaker in one source can be a twin
    for seen, hit in enumerate(scored):
        if k is not None and len(kept) >= k and seen >= 3 * k:
            break
        voice = by_voice.setdefault((hit.passage.source, hit.passage.speaker), [])
        twin = next((t for t in voice if _same_moment(t.passage, hit.passage, config.collapse_seconds)), None)
        if twin is None:
            kept.append(hit)
            voice.append(hit)
        else:
            twin.collapsed = [*(twin.collapsed or []), hit.passage]
    return kept
