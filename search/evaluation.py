"""Judged-question evaluation: recall@k, MRR and nDCG@10 of an index on a JSONL file of questions.

Each line is {"query": str, "expect": [str, ...]} with optional "pair" (e.g. "en-zh"), "type" (keyword,
speaker, paraphrase, why-how) and "split" (dev or test). A returned passage is relevant when its text, whitespace collapsed, contains one of the
expected strings. nDCG takes each expected string as one relevant passage.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .errors import PodquoteError

_SPACE = re.compile(r"\s+")


@dataclass
class Judged:
    query: str
    expect: list[str]
    pair: str | None = None
    type: str | None = None
    split: str | None = None


def load_questions(path: Path, split: str | None = None) -> list[Judged]:
    """The judged questions of a JSONL file; with `split`, only those of that split ("dev", "test")."""
    questions = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PodquoteError(f"cannot read {path}: {exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            expect = data["expect"]
            if not isinstance(data["query"], str) or not isinstance(expect, list) or not expect:
                raise ValueError("query must be a string and expect a non-empty list")
        except (ValueError, KeyError, TypeError) as exc:
            raise PodquoteError(f"{path}:{number}: not a judged question ({exc})") from None
        questions.append(Judged(data["query"], [collapse(e) for e in expect], data.get("pair"), data.get("type"),
                                data.get("split")))
    if not questions:
        raise PodquoteError(f"{path} holds no questions")
    if split:
        questions = [q for q in questions if q.split == split]
        if not questions:
            raise PodquoteError(f"{path} holds no questions of the split {split!r}")
    return questions


def collapse(text: str) -> str:
    """Whitespace runs as one space: how `relevant` compares a passage with the expected strings."""
    return _SPACE.sub(" ", text).strip()


def relevant(text: str, expect: list[str]) -> bool:
    text = collapse(text)
    return any(e in text for e in expect)


def metrics(ranks: list[int | None], relevant_lists: list[list[bool]], wanted: list[int]) -> dict:
    n = len(ranks)

    def recall(at: int) -> float:
        return sum(1 for r in ranks if r is not None and r <= at) / n

    def ndcg(flags: list[bool], total: int) -> float:
        dcg = sum(1 / math.log2(i + 2) for i, hit in enumerate(flags[:10]) if hit)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(max(total, 1), 10)))
        return dcg / ideal

    return {
        "n": n,
        "recall@1": round(recall(1), 4),
        "recall@5": round(recall(5), 4),
        "recall@10": round(recall(10), 4),
        "mrr": round(sum(1 / r for r in ranks if r) / n, 4),
        "ndcg@10": round(sum(ndcg(f, w) for f, w in zip(relevant_lists, wanted)) / n, 4),
    }


def evaluate(collection, questions: list[Judged], k: int = 10) -> dict:
    per_query, ranks, flags, wanted = [], [], [], []
    for question in questions:
        hits = collection.search(question.query, k)
        found = [relevant(h.passage.text, question.expect) for h in hits]
        rank = next((i + 1 for i, f in enumerate(found) if f), None)
        ranks.append(rank)
        flags.append(found)
        wanted.append(len(question.expect))
        per_query.append({
            "query": question.query,
            "rank": rank,
            "hits": [{"id": h.passage.id, "text": h.passage.text, "speaker": h.passage.speaker,
                      "score": round(h.score, 6)} for h in hits],
        })
    report = metrics(ranks, flags, wanted)
    report["per_query"] = per_query
    groups = _grouped(questions, ranks, flags, wanted)
    if groups:
        report["groups"] = groups
    return report


def _grouped(questions, ranks, flags, wanted) -> dict:
    groups: dict[str, dict[str, list[int]]] = {"pair": defaultdict(list), "type": defaultdict(list)}
    for i, question in enumerate(questions):
        for key in groups:
            value = getattr(question, key)
            if value:
                groups[key][value].append(i)
    return {
        key: {value: metrics([ranks[i] for i in idx], [flags[i] for i in idx], [wanted[i] for i in idx])
              for value, idx in sorted(members.items())}
        for key, members in groups.items() if members
    }
