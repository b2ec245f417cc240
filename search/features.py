"""What the learned ranking knows about each candidate: one row of numbers per candidate, named in FEATURES.

Every feature is relative to the query's own candidates or to the passage itself, never the passage's language:
the judged set asks for Chinese answers far more often than the corpus holds them (search/ranker.py, and
docs/retrieval.md for how that was checked), so a feature that told a language apart would let the ranking learn
the set's mix instead of what answers a question. Cosines are compared with the best of the candidates of the
same language, lengths are counted in English-equivalent characters (a Han character as three).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from .people import is_self_introduction, mentions
from .question import Question
from .ranking import Candidate
from .sentences import is_question
from .vectors.sentences import SentenceVectors, runs

FEATURES = (
    "dense",  # cosine of the passage (mean) vector
    "sentence",  # cosine of its best sentence
    "statement",  # cosine of its best sentence that is not a question (0 if all are questions)
    "asks",  # 1 when its best sentence is a question
    "answers",  # cosine of the question it answers (the turn before, another speaker's, its best sentence)
    "context",  # best cosine of the passages just before and after it
    "dense_gap",  # dense minus the best dense of the candidates of its language
    "sentence_gap",  # sentence minus the best sentence of the candidates of its language
    "dense_rank",  # 1 / log2(2 + rank) among the candidates of its language by dense, 0 if not in their top 50
    "sentence_rank",  # the same by sentence
    "lexical",  # BM25 of the query's words over the query's best BM25 (0: no word matched)
    "lexical_rank",  # 1 / log2(2 + rank) in the BM25 list, 0 if not in it
    "expanded",  # BM25 of the words' translations over the best of those
    "coverage",  # share of the query's content words the passage holds
    "coverage_any",  # share it holds as the word or as a translation of it
    "keyword_all",  # a keyword query whose every word (or a translation) the passage holds
    "keyword_lexical",  # lexical, for keyword queries only
    "speaker_named",  # the query names the passage's speaker, and the passage is not their self-introduction
    "intro_named",  # the query names the speaker, and the passage is their self-introduction
    "mentions_named",  # the passage names a person the query names
    "length",  # log of its length in English-equivalent characters
    # Across languages cosines run lower and shared words are names: the same evidence weighs differently when
    # the passage is not in the query's language (0 when it is). The language pair itself is not a feature.
    "cross_sentence_gap",
    "cross_sentence_rank",
    "cross_lexical",
    "cross_expanded",
)
RANK_DEPTH = 50
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass
class Sentences:
    """Each candidate's best sentence: cosine, span (the highlight), whether it asks, and its best statement."""

    best: np.ndarray
    statement: np.ndarray
    asks: np.ndarray
    answers: np.ndarray  # the best sentence of the question each candidate answers, else its stored cosine
    spans: list[tuple[int, int]] = field(default_factory=list)


def best_sentences(candidates: list[Candidate], sentences: SentenceVectors, query: np.ndarray) -> Sentences:
    """All candidates' sentences (and those of the questions they answer) in one gather and one product."""
    rows = list(dict.fromkeys([c.row for c in candidates] + [c.asked_row for c in candidates if c.asked_row >= 0]))
    slot = {row: i for i, row in enumerate(rows)}
    sims, spans, bounds = sentences.similarities(rows, query)
    n = len(candidates)
    best, statement = np.array([c.dense for c in candidates], np.float32), np.zeros(n, np.float32)
    asks, highlight = np.zeros(n, np.float32), [(0, len(c.passage.text)) for c in candidates]
    counts = np.array([bounds[slot[c.row] + 1] - bounds[slot[c.row]] for c in candidates], dtype=np.int64)
    index = runs(np.array([bounds[slot[c.row]] for c in candidates], dtype=np.int64), counts)
    owner = np.repeat(np.arange(n), counts)
    if len(index):
        question = np.array([is_question(candidates[i].passage.text[a:b])
                             for i, (a, b) in zip(owner.tolist(), spans[index].tolist())], dtype=bool)
        order = np.lexsort((-sims[index], owner))
        firsts = order[np.flatnonzero(np.diff(owner[order], prepend=-1))]
        for i, at in zip(owner[firsts].tolist(), firsts.tolist()):
            best[i], asks[i] = sims[index[at]], float(question[at])
            highlight[i] = tuple(int(x) for x in spans[index[at]])
        np.maximum.at(statement, owner[~question], sims[index][~question])
    answers = np.array([c.answers for c in candidates], np.float32)
    for i, c in enumerate(candidates):
        if c.asked_row >= 0:
            lo, hi = bounds[slot[c.asked_row]], bounds[slot[c.asked_row] + 1]
            if hi > lo:
                answers[i] = max(answers[i], float(sims[lo:hi].max()))
    return Sentences(best, statement, asks, answers, highlight)


@dataclass
class QueryContext:
    """What features need besides the candidates: the query, its translations, who it names, BM25 ranks."""

    question: Question
    translations: dict[str, tuple[float, str]]  # word -> (weight, query term), search.expansion
    named: frozenset[str]  # name keys of the people the query names, search.people
    lexical_ranks: dict[int, int]  # vid -> rank in the BM25 list


def extract(context: QueryContext, candidates: list[Candidate], found: Sentences) -> np.ndarray:
    """(len(candidates), len(FEATURES)) float32."""
    n = len(candidates)
    dense = np.array([c.dense for c in candidates], np.float32)
    langs = [c.passage.lang for c in candidates]
    lexical = _normalised(np.array([c.lexical for c in candidates], np.float32))
    covered, covered_any = _coverage(context, candidates)
    keyword = context.question.keyword
    columns = {
        "dense": dense,
        "sentence": found.best,
        "statement": found.statement,
        "asks": found.asks,
        "answers": found.answers,
        "context": np.array([max(c.context, 0.0) for c in candidates], np.float32),
        "dense_gap": _gap_by_language(dense, langs),
        "sentence_gap": _gap_by_language(found.best, langs),
        "dense_rank": _rank_by_language(dense, langs),
        "sentence_rank": _rank_by_language(found.best, langs),
        "lexical": lexical,
        "lexical_rank": np.array([_rank_weight(context.lexical_ranks.get(c.vid)) for c in candidates], np.float32),
        "expanded": _normalised(np.array([c.lexical_x for c in candidates], np.float32)),
        "coverage": covered,
        "coverage_any": covered_any,
        "keyword_all": (covered_any >= 1.0).astype(np.float32) * keyword,
        "keyword_lexical": lexical * keyword,
        **_name_features(context.named, candidates),
        "length": np.array([math.log1p(len(c.passage.text) + 2 * len(_HAN.findall(c.passage.text)))
                            for c in candidates], np.float32),
    }
    cross = np.array([lang != context.question.lang for lang in langs], np.float32)
    for name in ("sentence_gap", "sentence_rank", "lexical", "expanded"):
        columns[f"cross_{name}"] = cross * columns[name]
    return np.stack([columns[name] for name in FEATURES], axis=1) if n else np.zeros((0, len(FEATURES)), np.float32)


def keyword_first(items: list, context: QueryContext) -> list:
    """A keyword query's hits that hold the keyword (every word of it, or a translation) before those that don't,
    each group in its order. `items`: anything with a `.passage`."""
    if not items:
        return items
    _, either = _coverage(context, items)
    return [x for x, full in zip(items, either >= 1.0) if full] + [x for x, full in zip(items, either >= 1.0)
                                                                   if not full]


def _normalised(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if len(values) else 0.0
    return values / top if top > 0 else values


def _rank_weight(rank: int | None) -> float:
    return 0.0 if rank is None or rank >= RANK_DEPTH else 1.0 / math.log2(2 + rank)


def _gap_by_language(values: np.ndarray, langs: list[str]) -> np.ndarray:
    out = np.zeros_like(values)
    for lang in set(langs):
        mask = np.array([lg == lang for lg in langs])
        out[mask] = values[mask] - values[mask].max()
    return out


def _rank_by_language(values: np.ndarray, langs: list[str]) -> np.ndarray:
    out = np.zeros_like(values)
    for lang in set(langs):
        idx = np.flatnonzero(np.array([lg == lang for lg in langs]))
        order = idx[np.argsort(-values[idx], kind="stable")]
        out[order] = [_rank_weight(r) for r in range(len(order))]
    return out


def _coverage(context: QueryContext, candidates: list) -> tuple[np.ndarray, np.ndarray]:
    """Share of the query's content words each passage holds: as the word itself, and as it or a translation."""
    terms = context.question.terms
    n = len(candidates)
    if not terms:
        return np.zeros(n, np.float32), np.zeros(n, np.float32)
    by_word = {t: t for t in terms} | {word: term for word, (_, term) in context.translations.items()}
    pattern = _word_pattern(by_word)
    exact, either = np.zeros(n, np.float32), np.zeros(n, np.float32)
    for i, c in enumerate(candidates):
        found = {m.lower() for m in pattern.findall(c.passage.text)}
        exact[i] = sum(1 for t in terms if t in found)
        held = {by_word[w] for w in found if w in by_word}
        either[i] = len(terms) if context.question.phrase in held else len(_words_of(held, terms))
    return exact / len(terms), either / len(terms)


def _words_of(held: set[str], terms: tuple[str, ...]) -> set[str]:
    """The query terms covered by what a passage holds: a pair's translation covers both its words."""
    return {t for term in held for t in (term.split(" ") if term not in terms else (term,)) if t in terms}


def _word_pattern(by_word: dict[str, str]) -> re.Pattern:
    """Each word as a word start (so "deploy" finds "deploying"); Han words anywhere."""
    parts = sorted(by_word, key=len, reverse=True)
    alternatives = [re.escape(w) if _HAN.search(w) else rf"(?<![\w]){re.escape(w)}" for w in parts]
    return re.compile("(" + "|".join(alternatives) + ")", re.IGNORECASE)


def _name_features(named: frozenset[str], candidates: list[Candidate]) -> dict[str, np.ndarray]:
    n = len(candidates)
    speaker, intro, mentioned = np.zeros(n, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32)
    if named:
        for i, c in enumerate(candidates):
            if any(key in named for key in c.speaker_keys):
                if is_self_introduction(c.passage.text, c.passage.speaker):
                    intro[i] = 1.0
                else:
                    speaker[i] = 1.0
            elif mentions(c.passage.text, named):
                mentioned[i] = 1.0
    return {"speaker_named": speaker, "intro_named": intro, "mentions_named": mentioned}
