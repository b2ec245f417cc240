"""What the learned ranking knows about each candidate: one row of numbers per candidate, named in FEATURES.

Every feature is relative to the query's own candidates or to the passage itself, never the passage's language:
the judged set asks for Chinese answers far more often than the corpus holds them (search/ranker.py, and
docs/retrieval.md for how that was checked), so a feature that told a language apart would let the ranking learn
the set's mix instead of what answers a question. Cosines are compared with the best of the candidates of the
same language, lengths are counted in English-equivalent characters (a Han character as three).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .lang import HAN
from .people import is_self_introduction, mentions
from .question import Question
from .segment import is_question
from .ranking import HAND_RANKING, Candidate
from .vectors.sentences import SentenceVectors

FEATURES = (
    "dense",  # cosine of the passage (mean) vector, weighed QUESTION_WEIGHT when the passage is a question
    "weighted",  # its best sentence's cosine, a question's weighed QUESTION_WEIGHT (people search for answers)
    "weighted_gap",  # weighted minus the best weighted of the candidates of its language
    "answers",  # cosine of the question it answers (the turn before, another speaker's, its best sentence)
    "context",  # best cosine of the passages just before and after it
    "dense_gap",  # dense minus the best dense of the candidates of its language
    "dense_rank",  # 1 / log2(2 + rank) among the candidates of its language by dense, 0 if not in their top 50
    "weighted_rank",  # the same by weighted
    "lexical",  # BM25 of the query's words over the query's best BM25 (0: no word matched)
    "lexical_rank",  # 1 / log2(2 + rank) in the BM25 list, 0 if not in it
    "expanded",  # BM25 of the words' translations over the best of those
    "coverage",  # share of the query's content words the passage holds
    "coverage_any",  # share it holds as the word or as a translation of it
    "coverage_idf",  # coverage_any with each word weighed by its IDF: the rare words of a question say what it is about
    "rarest",  # 1 when it holds the query's rarest word (or a translation of it)
    "names_held",  # share of the names the query writes ("Rook", "KubeEdge") it holds: what the question is about
    "keyword_all",  # a keyword query whose every word (or a translation) the passage holds
    "keyword_lexical",  # lexical, for keyword queries only
    "speaker_named",  # the query names the passage's speaker, and the passage is not their self-introduction
    "intro_named",  # the query names the speaker, and the passage is their self-introduction
    "mentions_named",  # the passage names a person the query names
    "length",  # log of its length in English-equivalent characters
    "hand",  # the hand-set ranking's score (podquote.ranking.score), from the features above
    # Across languages cosines run lower and shared words are names: the same evidence weighs differently when
    # the passage is not in the query's language (0 when it is). The language pair itself is not a feature.
    "cross_weighted_gap",
    "cross_weighted_rank",
    "cross_lexical",
    "cross_expanded",
)
# With a second embedder (podquote.vectors.second): its cosine, and the same relative to the candidates of the
# passage's language.
SECOND_FEATURES = ("second", "second_gap", "second_rank")
RANK_DEPTH = 50
COVERAGE_FEATURES = ("coverage", "coverage_any", "coverage_idf", "rarest", "names_held")
QUESTION_WEIGHT = 0.7  # as the hand-set ranking weighs question sentences (podquote.ranking)


@dataclass
class Sentences:
    """Each candidate's best sentence, a question's cosine weighed down (QUESTION_WEIGHT), and its span."""

    weighted: np.ndarray
    answers: np.ndarray  # the best sentence of the question each candidate answers, else its stored cosine
    spans: list[tuple[int, int]] = field(default_factory=list)


def best_sentences(candidates: list[Candidate], sentences: SentenceVectors, query: np.ndarray) -> Sentences:
    """All candidates' sentences, then those of the questions they answer, in one gather and one product."""
    n = len(candidates)
    asked = np.array([c.asked_row for c in candidates], dtype=np.int64)
    rows = np.concatenate([np.array([c.row for c in candidates], dtype=np.int64), asked[asked >= 0]])
    sims, spans, bounds = sentences.similarities(rows, query)
    mine = int(bounds[n])  # the candidates' own sentences come first, candidate after candidate
    owner = np.repeat(np.arange(n), np.diff(bounds[:n + 1]))
    own, own_spans = sims[:mine], spans[:mine]
    question = sentences.questions_of(rows[:n], [c.passage.text for c in candidates], own_spans, owner)
    weighted = np.full(n, -np.inf, np.float32)
    highlight = [(0, len(c.passage.text)) for c in candidates]
    if mine:
        order = np.lexsort((-own, owner))
        firsts = order[np.flatnonzero(np.diff(owner[order], prepend=-1))]
        for i, (a, b) in zip(owner[firsts].tolist(), own_spans[firsts].tolist()):
            highlight[i] = (a, b)
        np.maximum.at(weighted, owner, own * np.where(question, QUESTION_WEIGHT, 1.0))
    dense = np.array([c.dense for c in candidates], np.float32)
    weighted = np.where(np.isfinite(weighted), weighted, dense)  # no sentence: the passage cosine
    return Sentences(weighted, _answers(candidates, asked, sims, bounds), highlight)


def _answers(candidates: list[Candidate], asked: np.ndarray, sims: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """What each candidate inherits from the question it answers: that question's best sentence, or its
    passage cosine if higher."""
    answers = np.array([c.answers for c in candidates], np.float32)
    n, which = len(candidates), np.flatnonzero(asked >= 0)
    for k, i in enumerate(which.tolist()):
        lo, hi = bounds[n + k], bounds[n + k + 1]
        if hi > lo:
            answers[i] = max(answers[i], float(sims[lo:hi].max()))
    return answers


@dataclass
class QueryContext:
    """What features need besides the candidates: the query, its translations, who it names, BM25 ranks."""

    question: Question
    translations: dict[str, tuple[float, str]]  # word -> (weight, query term), podquote.expansion
    named: frozenset[str]  # name keys of the people the query names, podquote.people
    lexical_ranks: dict[int, int]  # vid -> rank in the BM25 list


def feature_names(second: bool = False) -> tuple[str, ...]:
    return FEATURES + SECOND_FEATURES if second else FEATURES


def extract(context: QueryContext, candidates: list[Candidate], found: Sentences, second: bool = False) -> np.ndarray:
    """(len(candidates), len(feature_names(second))) float32."""
    n = len(candidates)
    dense = np.array([c.dense * (QUESTION_WEIGHT if is_question(c.passage.text) else 1.0) for c in candidates],
                     np.float32)
    langs = [c.passage.lang for c in candidates]
    groups = _groups(langs)
    lexical = _normalised(np.array([c.lexical for c in candidates], np.float32))
    held = {name: np.array([c.coverage[name] for c in candidates], np.float32) for name in COVERAGE_FEATURES}
    covered_any = held["coverage_any"]
    keyword = context.question.keyword
    columns = {
        "dense": dense,
        "weighted": found.weighted,
        "weighted_gap": _gap_by_language(found.weighted, groups),
        "answers": found.answers,
        "context": np.array([max(c.context, 0.0) for c in candidates], np.float32),
        "dense_gap": _gap_by_language(dense, groups),
        "dense_rank": _rank_by_language(dense, groups),
        "weighted_rank": _rank_by_language(found.weighted, groups),
        "lexical": lexical,
        "lexical_rank": np.array([_rank_weight(context.lexical_ranks.get(c.vid)) for c in candidates], np.float32),
        "expanded": _normalised(np.array([c.lexical_x for c in candidates], np.float32)),
        **held,
        "keyword_all": (covered_any >= 1.0).astype(np.float32) * keyword,
        "keyword_lexical": lexical * keyword,
        **_name_features(context.named, candidates),
        "length": np.array([math.log1p(len(c.passage.text) + (2 * len(HAN.findall(c.passage.text))
                                                              if c.passage.lang == "zh" else 0))
                            for c in candidates], np.float32),
    }
    cross = np.array([lang != context.question.lang for lang in langs], np.float32)
    columns["hand"] = _hand_score(columns, langs, cross)

    for name in ("weighted_gap", "weighted_rank", "lexical", "expanded"):
        columns[f"cross_{name}"] = cross * columns[name]
    if second:
        cosines = np.array([c.second for c in candidates], np.float32)
        columns.update(second=cosines, second_gap=_gap_by_language(cosines, groups),
                       second_rank=_rank_by_language(cosines, groups))
    names = feature_names(second)
    return np.stack([columns[name] for name in names], axis=1) if n else np.zeros((0, len(names)), np.float32)


def keyword_first(items: list, covered_any: np.ndarray) -> list:
    """A keyword query's hits that hold the keyword (every word of it, or a translation) before those that don't,
    each group in its order; `covered_any` is each item's `coverage` share as it or a translation."""
    full = covered_any >= 1.0
    return [x for x, f in zip(items, full) if f] + [x for x, f in zip(items, full) if not f]


def _hand_score(columns: dict[str, np.ndarray], langs: list[str], cross: np.ndarray) -> np.ndarray:
    """The hand-set ranking (podquote.ranking.score) over these candidates: questions weighed down, an answer
    inheriting its question, each language lifted towards the strongest, BM25 and neighbours added, a named
    speaker favoured. Its weights were chosen on the seed questions; the learned ranking weighs it in."""
    hand = HAND_RANKING
    semantic = np.maximum(columns["weighted"], hand.answer_weight * columns["answers"])
    lifted = semantic + _language_lift(semantic, langs, hand.language_balance, hand.balance_top)
    lexical = hand.lexical_weight * np.where(cross > 0, hand.cross_language, 1.0) * columns["lexical"]
    return (lifted + lexical + hand.context_weight * columns["context"]
            + hand.speaker_weight * columns["speaker_named"]).astype(np.float32)


def _language_lift(scores: np.ndarray, langs: list[str], share: float, top: int) -> np.ndarray:
    """What each candidate's language gains: `share` of the gap between the strongest language's mean of its
    `top` best and its own (podquote.ranking, point 7)."""
    means = {}
    for lang in set(langs):
        values = np.sort(scores[np.array([lg == lang for lg in langs])])[-top:]
        if len(values) >= top:
            means[lang] = float(values.mean())
    if len(means) < 2:
        return np.zeros_like(scores)
    strongest = max(means.values())
    return np.array([share * (strongest - means[lg]) if lg in means else 0.0 for lg in langs], np.float32)


def _normalised(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else values


def _rank_weight(rank: int | None) -> float:
    return 0.0 if rank is None or rank >= RANK_DEPTH else 1.0 / math.log2(2 + rank)


def _groups(langs: list[str]) -> list[np.ndarray]:
    """The candidates' indexes, one array per language."""
    by_lang: dict[str, list[int]] = {}
    for i, lang in enumerate(langs):
        by_lang.setdefault(lang, []).append(i)
    return [np.array(idx) for idx in by_lang.values()]


def _gap_by_language(values: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    out = np.zeros_like(values)
    for idx in groups:
        out[idx] = values[idx] - values[idx].max()
    return out


_RANK_WEIGHTS = (1.0 / np.log2(2 + np.arange(RANK_DEPTH))).astype(np.float32)


def _rank_by_language(values: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    out = np.zeros_like(values)
    for idx in groups:
        order = idx[np.argsort(-values[idx], kind="stable")][:RANK_DEPTH]
        out[order] = _RANK_WEIGHTS[:len(order)]
    return out


def held_in_text(held: np.ndarray, words: list[str], texts: list[str]) -> None:
    """Mark Han words found anywhere in the texts: jieba may cut a passage's 用爱发电 otherwise than a query's."""
    for j, word in enumerate(words):
        if HAN.search(word):
            held[:, j] |= np.array([word in text for text in texts], dtype=bool)


def coverage(question: Question, translations: dict[str, tuple[float, str]], held: np.ndarray, counts: np.ndarray,
             held_translated: np.ndarray, passages: int) -> dict[str, np.ndarray]:
    """How much of the query each passage holds: the share of its content words (as the word itself; as it or a
    translation), the same weighed by each word's IDF, and whether it holds the rarest word.

    `held`: (passages, terms) from BM25's postings (podquote.bm25.LexicalIndex.scores_of), so a word matches as
    BM25 matches it (stemmed); `counts`: in how many passages each term is, -1 for a word too common to search,
    which is not counted; `held_translated`: (passages, translations), in the order of `translations`. A pair's
    translation covers both its words, a translation of the whole keyword all of them."""
    terms = question.terms
    column = {term: j for j, term in enumerate(terms)}
    either = held.copy()
    for k, (_, source) in enumerate(translations.values()):
        found = held_translated[:, k]
        if source == question.phrase:
            either |= found[:, None]
            continue
        for word in [source] if source in column else source.split(" "):
            if word in column:
                either[:, column[word]] |= found
    scored = counts >= 0
    idf = np.where(scored, np.log((passages + 1) / (np.maximum(counts, 0) + 0.5)), 0.0)
    n = len(held)
    if not scored.any():
        return {name: np.zeros(n, np.float32) for name in COVERAGE_FEATURES}
    return {
        "coverage": (held[:, scored].sum(axis=1) / scored.sum()).astype(np.float32),
        "coverage_any": (either[:, scored].sum(axis=1) / scored.sum()).astype(np.float32),
        "coverage_idf": ((either * idf).sum(axis=1) / max(idf.sum(), 1e-9)).astype(np.float32),
        "rarest": either[:, int(np.argmax(idf))].astype(np.float32),
        "names_held": _names_held(question, held),
    }


def _names_held(question: Question, held: np.ndarray) -> np.ndarray:
    columns = [j for j, term in enumerate(question.terms) if term in question.names]
    if not columns:
        return np.zeros(len(held), np.float32)
    return held[:, columns].mean(axis=1).astype(np.float32)


def _name_features(named: frozenset[str], candidates: list[Candidate]) -> dict[str, np.ndarray]:
    n = len(candidates)
    speaker, intro, mentioned = np.zeros(n, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32)
    if named:
        for i, c in enumerate(candidates):
            if any(key in named for key in c.speaker_keys):
                if is_self_introduction(c.passage.text, c.passage.speaker, c.speaker_keys):
                    intro[i] = 1.0
                else:
                    speaker[i] = 1.0
            elif mentions(c.passage.text, named):
                mentioned[i] = 1.0
    return {"speaker_named": speaker, "intro_named": intro, "mentions_named": mentioned}
