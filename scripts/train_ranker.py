#!/usr/bin/env python3
"""Train the learned ranking (podquote.ranker) on the judged dev split and write search/rankers/ranker.json.

    scripts/train_ranker.py --index /path/to/full-index --seed-index /path/to/seed-index

For every dev question (eval/seed.jsonl and eval/corpus.jsonl; the test split is never read) the index is
searched exactly as `podquote search` does, every candidate's features (podquote.features) are computed, and a
candidate is labelled relevant when `podquote eval` would count it as a hit. A linear ranking (a logistic
regression over pairs of a hit and another candidate of the same question) is then:
- cross-validated in 5 folds by question and in 5 folds by the answer's episode (no episode on both sides),
  for each regularisation strength in --c; the best mean MRR@10 by episode picks it;
- checked for what it must not learn: how well the same features tell a candidate's language (a logistic
  probe's AUC; 0.5 is blind), since the judged set asks for Chinese answers far more often than the corpus holds
  them;
- fitted on every dev question and written with what it was trained on.

`--seed-index` adds the seed questions searched in an index of the built-in article alone: a small index's
candidates look different (few, all Chinese), and the shipped ranking must serve both.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from podquote import Collection  # noqa: E402
from podquote.evaluation import load_questions, relevant  # noqa: E402
from podquote.features import FEATURES, feature_names, keyword_first  # noqa: E402
from podquote.ranker import Ranker, ranker_file  # noqa: E402
from podquote.ranking import DEFAULT_RANKING, RankingConfig  # noqa: E402

QUESTION_FILES = (ROOT / "eval" / "seed.jsonl", ROOT / "eval" / "corpus.jsonl")
C_GRID = (0.03, 0.1, 0.3, 1.0)
DEFAULT_C = 0.3  # what the cross-validation chose when the shipped ranker was trained


@dataclass
class Query:
    text: str
    pair: str
    type: str
    episode: str  # the answer's source file: the cross-validation group
    matrix: np.ndarray  # features, one row per candidate
    labels: np.ndarray  # 1 where the candidate is a hit
    keyword_rows: list[int]  # candidates holding the keyword, for keyword queries (ranked first), else []
    langs: list[str]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="index of search/data + ../shared/corpus")
    parser.add_argument("--seed-index", type=Path, help="index of the built-in article alone")
    parser.add_argument("--out", type=Path, help="where to write the ranker (default: the shipped file for the "
                        "index's embedders: search/rankers/ranker.json, or ranker-<second>.json)")
    parser.add_argument("--c", type=float, nargs="+", default=list(C_GRID), help="regularisation strengths tried")
    parser.add_argument("--no-write", action="store_true", help="cross-validate and report only")
    return parser.parse_args(argv)


def collect(collection: Collection, files, config: RankingConfig = DEFAULT_RANKING) -> list[Query]:
    """Every dev question's candidates, features and labels, as `podquote search` ranks them."""
    raw = {json.loads(line)["query"]: json.loads(line) for f in files for line in f.read_text().splitlines() if line}
    out = []
    for question in (q for f in files for q in load_questions(f, "dev")):
        retrieved = collection.retrieve(question.query, None, config)
        candidates = retrieved.candidates
        if not candidates:
            continue
        matrix, _ = collection.features(retrieved, config)
        labels = np.array([relevant(c.passage.text, question.expect) for c in candidates], dtype=np.int8)
        keyword_rows = []
        if config.keyword_first and retrieved.question.keyword:  # ranked first, as search does
            keyword_rows = np.flatnonzero(matrix[:, FEATURES.index("keyword_all")] > 0).tolist()
        out.append(Query(question.query, question.pair or "", question.type or "", raw[question.query]["source"],
                         matrix, labels, keyword_rows, [c.passage.lang for c in candidates]))
    return out


def rank_of_hit(query: Query, scores: np.ndarray, k: int = 10) -> int | None:
    order = list(np.argsort(-scores, kind="stable"))
    if query.keyword_rows:  # as search orders a keyword query's hits
        order = keyword_first(order, np.isin(order, query.keyword_rows).astype(np.float32))
    return next((r + 1 for r, i in enumerate(order[:k]) if query.labels[i]), None)


def mrr(ranks: list[int | None]) -> float:
    return sum(1 / r for r in ranks if r) / max(len(ranks), 1)


def fit(queries: list[Query], c: float) -> Ranker:
    """A linear ranking fitted on pairs: each hit against each other candidate of its question (a logistic
    regression on their difference, as RankSVM does with a hinge), each question weighing the same. Pairs
    rank better than labelling candidates one by one: dev MRR 0.47 against 0.43-0.46 (docs/retrieval.md)."""
    from sklearn.linear_model import LogisticRegression

    matrix = np.concatenate([q.matrix for q in queries])
    mean, scale = matrix.mean(axis=0), matrix.std(axis=0)
    scale[scale < 1e-6] = 1.0
    differences, weights = [], []
    for q in queries:
        scaled = (q.matrix - mean) / scale
        hits, others = np.flatnonzero(q.labels), np.flatnonzero(q.labels == 0)
        if not len(hits) or not len(others):
            continue
        pairs = (scaled[hits][:, None, :] - scaled[others][None, :, :]).reshape(-1, matrix.shape[1])
        differences += [pairs, -pairs]
        weights += [np.full(2 * len(pairs), 1.0 / (2 * len(pairs)))]
    x = np.concatenate(differences)
    y = np.concatenate([np.ones(len(d)) if i % 2 == 0 else np.zeros(len(d)) for i, d in enumerate(differences)])
    model = LogisticRegression(C=c, max_iter=3000, fit_intercept=False)
    model.fit(x, y, sample_weight=np.concatenate(weights) * len(queries))
    names = feature_names(matrix.shape[1] > len(FEATURES))
    return Ranker(names, mean.astype(np.float32), scale.astype(np.float32), model.coef_[0].astype(np.float32))


def cross_validate(queries: list[Query], c: float, groups: list[str], folds: int = 5) -> list[int | None]:
    """Each question's rank of its first hit, from a model that never saw its group."""
    names = sorted(set(groups))
    fold_of = {name: i % folds for i, name in enumerate(np.random.default_rng(0).permutation(names))}
    ranks: list[int | None] = [None] * len(queries)
    for fold in range(folds):
        train = [q for q, g in zip(queries, groups) if fold_of[g] != fold]
        model = fit([q for q in train if q.labels.any()], c)
        for i, (q, g) in enumerate(zip(queries, groups)):
            if fold_of[g] == fold:
                ranks[i] = rank_of_hit(q, model.score(q.matrix))
    return ranks


def report(name: str, queries: list[Query], ranks: list[int | None]) -> dict:
    out = {"mrr": round(mrr(ranks), 4), "recall@10": round(sum(1 for r in ranks if r) / len(ranks), 4)}
    for key in ("pair", "type"):
        for value in sorted({getattr(q, key) for q in queries}):
            picked = [r for q, r in zip(queries, ranks) if getattr(q, key) == value]
            out[f"mrr {value}"] = round(mrr(picked), 4)
    print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in out.items()), file=sys.stderr)
    return out


def language_probe(queries: list[Query]) -> float:
    """AUC of a logistic regression telling Chinese candidates from the others by the ranking's features
    (cross-validated by question): how much the features give a passage's language away."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold, cross_val_predict

    matrix = np.concatenate([q.matrix for q in queries])
    target = np.array([lang == "zh" for q in queries for lang in q.langs])
    groups = np.concatenate([np.full(len(q.langs), i) for i, q in enumerate(queries)])
    scaled = (matrix - matrix.mean(axis=0)) / np.maximum(matrix.std(axis=0), 1e-6)
    predicted = cross_val_predict(LogisticRegression(max_iter=2000), scaled, target, groups=groups,
                                  cv=GroupKFold(5), method="predict_proba")[:, 1]
    return float(roc_auc_score(target, predicted))


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    collection = Collection.open(args.index)
    queries = collect(collection, QUESTION_FILES)
    if args.seed_index:
        queries += collect(Collection.open(args.seed_index), QUESTION_FILES[:1])
    usable = [q for q in queries if q.labels.any()]
    print(f"{len(queries)} dev questions, {len(usable)} with a hit among their candidates, "
          f"{sum(len(q.labels) for q in queries)} candidates ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    results = {}
    for c in args.c:
        print(f"C = {c}", file=sys.stderr)
        by_question = report("by question", queries, cross_validate(queries, c, [q.text for q in queries]))
        by_episode = report("by episode", queries, cross_validate(queries, c, [q.episode for q in queries]))
        results[c] = {"by_question": by_question, "by_episode": by_episode}
    best = max(results, key=lambda c: results[c]["by_episode"]["mrr"])
    auc = language_probe(queries)
    print(f"chosen C = {best}; language probe AUC {auc:.3f}", file=sys.stderr)
    model = fit(usable, best)
    model.about = {"trained": date.today().isoformat(), "command": "scripts/train_ranker.py",
                   "questions": len(queries), "candidates": int(sum(len(q.labels) for q in queries)), "C": best,
                   "cross_validation": results[best], "language_probe_auc": round(auc, 3)}
    for name, weight in sorted(zip(model.features, model.weights), key=lambda t: -abs(t[1])):
        print(f"  {name:16s} {weight:+.3f}", file=sys.stderr)
    if not args.no_write:
        out = args.out or ranker_file(collection.second.embedder.name if collection.second else None)
        model.save(out)
        print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
