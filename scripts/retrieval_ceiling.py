#!/usr/bin/env python3
"""How deep each candidate generator holds the judged answer: the ceiling of any ranking built on them.

Ranking (podquote.ranking) only reorders what the generators find: the dense top of the passage vectors, the
lexical (BM25) top, and the turns next to them. If a generator's top 1,000 misses the answer, no fusion or
rescoring of its scores brings it into the top 10. For each judged question this prints the share whose answer
(a passage that `podquote eval` counts as a hit) is within the top 10/30/100/1000 of:
- the passage vectors (the FAISS index of the served model);
- the best sentence of each passage (every sentence vector scanned: what rescoring could reach at best);
- BM25 (FTS5 + jieba words);
- either the passage vectors or BM25;
- the sentence vectors' inverted file as search reads it, and BM25 over the query words' translations;
- every generator together at the depths search uses (one column: is an answer among the candidates at all);
overall and per language pair, next to the shipped ranking's recall@10.

`--estimate MODEL` adds an estimate for an embedder the index was not built with (e5 over the whole shared
corpus takes hours): MODEL embeds a random sample of passages plus every answer, and an answer's rank in the whole
index is taken as 1 + (sample passages above it) x (index size / sample size). The estimate is printed for the
index's own model too, so its error can be read off against the measured row.

    scripts/retrieval_ceiling.py --index /path/to/full/index
    scripts/retrieval_ceiling.py --index /path/to/full/index --estimate e5-small --sample 5000
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from podquote import Collection  # noqa: E402
from podquote.evaluation import collapse, evaluate, load_questions  # noqa: E402
from podquote.lexical import query_terms  # noqa: E402
from podquote.passage import vector_id  # noqa: E402
from podquote.ranking import DEFAULT_RANKING  # noqa: E402

DEPTHS = (10, 30, 100, 1000)
PAIRS = ("all", "en-en", "en-zh", "zh-en", "zh-zh")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="index of search/data + the shared corpus")
    parser.add_argument("--questions", type=Path, nargs="+",
                        default=[ROOT / "eval" / "seed.jsonl", ROOT / "eval" / "corpus.jsonl"])
    parser.add_argument("--split", choices=("dev", "test"), help="only the questions of this split")
    parser.add_argument("--estimate", nargs="*", default=[], help="embedders to estimate by sampling")
    parser.add_argument("--sample", type=int, default=5000, help="passages sampled for --estimate")
    return parser.parse_args()


def first_hit(vids: list[int], answers: set[int]) -> int | None:
    return next((i + 1 for i, vid in enumerate(vids) if vid in answers), None)


def answer_vids(collection: Collection, questions) -> list[set[int]]:
    """Each question's answers: every passage `podquote eval` would count as a hit (one pass over the store)."""
    found: list[set[int]] = [set() for _ in questions]
    for passage in collection.passages():
        vid, text = vector_id(passage.id), collapse(passage.text)  # once, not once per question as relevant() would
        for i, question in enumerate(questions):
            if any(e in text for e in question.expect):
                found[i].add(vid)
    return found


def best_sentence_order(row_vids: np.ndarray, sentences: np.ndarray, vector: np.ndarray, depth: int,
                        owner: np.ndarray) -> list[int]:
    sims = sentences @ vector
    best = np.full(len(row_vids), -np.inf, dtype=np.float32)
    np.maximum.at(best, owner, sims)
    top = np.argsort(-best)[:depth]
    return row_vids[top].tolist()


def measured_ranks(collection: Collection, questions, answers) -> dict[str, list[int | None]]:
    depth = DEPTHS[-1]
    row_vids = collection.row_vids()
    owner = np.repeat(np.arange(len(row_vids)), np.diff(collection.sentences.offsets))
    sentences = np.asarray(collection.sentences.vectors, dtype=np.float32)
    ranks: dict[str, list[int | None]] = {"passage vectors": [], "best sentence": [], "BM25": [], "either": [],
                                          "sentence index (IVF, as searched)": [], "BM25 of the translations": [],
                                          "all generators": []}
    for question, wanted in zip(questions, answers):
        vector = collection.embedder.embed_batch([question.query], query=True)[0]
        dense = [vid for vid, _ in collection.dense_top(vector, depth)]
        terms = query_terms(question.query)
        lexical = [vid for vid, _ in collection.lexical_top(terms, depth)] if terms else []
        dense_rank, lexical_rank = first_hit(dense, wanted), first_hit(lexical, wanted)
        ranks["passage vectors"].append(dense_rank)
        by_sentence = best_sentence_order(row_vids, sentences, vector, depth, owner)
        ranks["best sentence"].append(first_hit(by_sentence, wanted))
        ranks["BM25"].append(lexical_rank)
        ranks["either"].append(min(filter(None, (dense_rank, lexical_rank)), default=None))
        ranks["sentence index (IVF, as searched)"].append(first_hit(collection.sentence_top(vector, depth), wanted))
        ranks["BM25 of the translations"].append(first_hit(translated(collection, question.query, depth), wanted))
        ranks["all generators"].append(_in_pool(collection, question.query, wanted))
    ranks["shipped ranking (top 10 only)"] = [q["rank"] for q in evaluate(collection, questions)["per_query"]]
    return ranks


def translated(collection: Collection, query: str, depth: int) -> list[int]:
    """The BM25 top of the query words' translations (podquote.expansion), as search runs it."""
    retrieved = collection.retrieve(query, None, DEFAULT_RANKING)
    weights = {w: weight for w, (weight, _) in retrieved.context.translations.items()}
    if not weights:
        return []
    return [vid for vid, _ in collection.lexical_top(list(weights), depth, weights)]


def _in_pool(collection: Collection, query: str, wanted: set[int]) -> int | None:
    """1 when an answer is among the candidates the default ranking scores (every generator at its default
    depth), else None: the ceiling of the learned ranking as shipped."""
    pool = {c.vid for c in collection.retrieve(query, None, DEFAULT_RANKING).candidates}
    return 1 if pool & wanted else None


def estimated_ranks(collection: Collection, questions, answers, embedder: str, sample: int) -> list[int | None]:
    from podquote.embedders import get_embedder

    model = get_embedder(embedder)
    ids = collection.row_vids()
    picked = random.Random(7).sample(ids.tolist(), min(sample, len(ids)))
    texts = [passage.text for passage in collection.passages_by_vid(picked).values()]
    print(f"  {embedder}: embedding {len(texts)} sampled passages and the answers", file=sys.stderr)
    sampled = model.embed_batch(texts)
    queries = model.embed_batch([q.query for q in questions], query=True)
    ranks: list[int | None] = []
    for query, wanted in zip(queries, answers):
        if not wanted:
            ranks.append(None)
            continue
        rows = collection.passages_by_vid(sorted(wanted))
        best = float((model.embed_batch([p.text for p in rows.values()]) @ query).max())
        ranks.append(1 + int((sampled @ query > best).sum()) * len(ids) / len(texts))
    return ranks


def row(name: str, ranks: list, questions, deepest: int = DEPTHS[-1], shallowest: float = 0) -> str:
    """A table row; depths outside [shallowest, deepest] say nothing about these ranks and are left out."""
    cells = []
    for pair in PAIRS:
        picked = [r for r, q in zip(ranks, questions) if pair == "all" or q.pair == pair]
        if picked and deepest < DEPTHS[0]:  # a yes/no row: is the answer there at all
            cells.append(f"{sum(1 for r in picked if r) / len(picked):.2f} (in the pool)")
        elif picked:
            cells.append(" / ".join(f"{sum(1 for r in picked if r and r <= d) / len(picked):.2f}"
                                    if shallowest <= d <= deepest else "-" for d in DEPTHS))
    return f"| {name} | " + " | ".join(cells) + " |"


def main() -> int:
    args = parse_args()
    questions = [q for path in args.questions for q in load_questions(path, args.split)]
    collection = Collection.open(args.index)
    answers = answer_vids(collection, questions)
    pairs = [p for p in PAIRS if p == "all" or any(q.pair == p for q in questions)]
    counts = {p: sum(1 for q in questions if p == "all" or q.pair == p) for p in pairs}
    print(f"Share of questions whose answer is in the top {' / '.join(map(str, DEPTHS))}, "
          f"{len(collection)} passages\n")
    print("| generator | " + " | ".join(f"{p} ({counts[p]})" for p in pairs) + " |")
    print("|---|" + "---|" * len(pairs))
    for name, ranks in measured_ranks(collection, questions, answers).items():
        deepest = 10 if name.startswith("shipped") else 1 if name == "all generators" else DEPTHS[-1]
        print(row(name, ranks, questions, deepest))
    for embedder in [collection.health()["embedder"], *args.estimate] if args.estimate else []:
        # One sampled passage above the answer stands for len / sample ranks: shallower depths can't be told.
        print(row(f"{embedder} passages, estimated from {args.sample} sampled",
                  estimated_ranks(collection, questions, answers, embedder, args.sample), questions,
                  shallowest=len(collection) / args.sample))
    return 0


if __name__ == "__main__":
    sys.exit(main())
