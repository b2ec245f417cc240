#!/usr/bin/env python3
"""The retrieval quality table: the old ranking, each lever of issue 15 added to it alone, and all together.

    scripts/compare_retrieval.py --index FULL --old-index FULL_OLD --seed-index SEED \\
        [--subset-index SUBSET --subset-e5-index SUBSET_E5] [--split test] [--out docs/retrieval-tables.md]

Indexes (build them with `podquote index`; an index of the whole corpus takes about 15 minutes):
- FULL: search/data + ../shared/corpus with this podquote;
- FULL_OLD: the same built by the readers before filler turns were dropped (READERS_VERSION 2; git e6cf439):
  the old ranking on the old passages is the starting point;
- SEED: search/data alone (eval/seed.jsonl);
- SUBSET, SUBSET_E5 (optional): the seed, The Podlets, Talk Python, the show notes and 200 Changelog episodes,
  with `--embedder use-m3` and `--embedder use-m3+e5`, for the opt-in second embedder's row.

Rows, each measured on the split asked for (default `test`, never trained or tuned on):
- the old (hand-set) ranking on the old passages, then on the new ones (filler folding);
- the old ranking plus one lever: sentence candidates, cross-language expansion, names in questions, keyword
  queries first;
- the learned ranking alone (no other lever), trained here on the dev split as scripts/train_ranker.py trains
  the shipped one;
- everything (the default, the shipped ranker);
- on the subset: everything with USE-m3 only, and with e5-small as a second embedder.
Columns: MRR, recall@1/5/10, MRR per language pair, and recall@10 per question type.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from podquote import Collection  # noqa: E402
from podquote.evaluation import evaluate, load_questions  # noqa: E402
from podquote.ranking import DEFAULT_RANKING, HAND_RANKING, RankingConfig  # noqa: E402

QUESTIONS = (ROOT / "eval" / "seed.jsonl", ROOT / "eval" / "corpus.jsonl")
PAIRS = ("en-en", "en-zh", "zh-en", "zh-zh")
TYPES = ("keyword", "speaker", "paraphrase", "why-how")
LEARNED_ALONE = DEFAULT_RANKING.with_(expansion=False, names=False, keyword_first=False, sentence_candidates=0)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="search/data + ../shared/corpus, this podquote")
    parser.add_argument("--old-index", type=Path, help="the same built by the readers before filler folding")
    parser.add_argument("--seed-index", type=Path, help="search/data alone")
    parser.add_argument("--subset-index", type=Path, help="the subset, use-m3")
    parser.add_argument("--subset-e5-index", type=Path, help="the subset, use-m3+e5")
    parser.add_argument("--split", default="test", choices=("dev", "test"), help="questions measured")
    parser.add_argument("--out", type=Path, help="also write the Markdown tables here")
    return parser.parse_args(argv)


def learned_alone(collection: Collection, seed: Collection | None):
    """A ranking trained here on the dev split, as scripts/train_ranker.py trains the shipped one, for the
    learned ranking with no other lever (its features of the levers that are off are all zero)."""
    import train_ranker

    queries = train_ranker.collect(collection, QUESTIONS, LEARNED_ALONE)
    if seed is not None:
        queries += train_ranker.collect(seed, QUESTIONS[:1], LEARNED_ALONE)
    return train_ranker.fit([q for q in queries if q.labels.any()], train_ranker.DEFAULT_C)


def measure(collection: Collection, questions, config: RankingConfig, ranker=None) -> dict:
    if ranker is not None:
        collection.ranker = ranker  # for this measurement only
    collection.ranking = config
    try:
        report = evaluate(collection, questions)
    finally:
        if ranker is not None:
            del collection.ranker  # back to the shipped one
    row = {m: report[m] for m in ("mrr", "recall@1", "recall@5", "recall@10")}
    groups = report.get("groups", {})
    row.update({f"MRR {p}": groups.get("pair", {}).get(p, {}).get("mrr") for p in PAIRS})
    row.update({f"R@10 {t}": groups.get("type", {}).get(t, {}).get("recall@10") for t in TYPES})
    row["n"] = report["n"]
    return row


def table(title: str, rows: list[tuple[str, dict]]) -> str:
    columns = ["n", "mrr", "recall@1", "recall@5", "recall@10", *(f"MRR {p}" for p in PAIRS),
               *(f"R@10 {t}" for t in TYPES)]
    lines = [f"### {title}", "", "| system | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for name, row in rows:
        cells = [str(row["n"])] + ["-" if row.get(c) is None else f"{row[c]:.3f}" for c in columns[1:]]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def corpus_rows(args, questions) -> list[tuple[str, dict]]:
    full = Collection.open(args.index)
    seed = Collection.open(args.seed_index) if args.seed_index else None
    rows = []
    if args.old_index:
        rows.append(("old ranking, old passages (as shipped before)",
                     measure(Collection.open(args.old_index), questions, HAND_RANKING)))
    rows.append(("old ranking + filler folding", measure(full, questions, HAND_RANKING)))
    for name, change in (("+ sentence candidates", {"sentence_candidates": DEFAULT_RANKING.sentence_candidates}),
                         ("+ cross-language expansion", {"expansion": True}),
                         ("+ names in questions", {"names": True}),
                         ("+ keyword queries first", {"keyword_first": True})):
        rows.append((f"old ranking + filler folding {name}", measure(full, questions, HAND_RANKING.with_(**change))))
    rows.append(("learned ranking + filler folding (no other lever)",
                 measure(full, questions, LEARNED_ALONE, learned_alone(full, seed))))
    rows.append(("**all together (default)**", measure(full, questions, DEFAULT_RANKING)))
    print("  corpus rows done", file=sys.stderr)
    return rows


def subset_rows(args, questions) -> list[tuple[str, dict]]:
    """The questions whose answers the subset holds, with USE-m3 alone and with e5 as a second embedder."""
    plain = Collection.open(args.subset_index)
    texts = [passage.text for passage in plain.passages()]
    from podquote.evaluation import relevant

    held = [q for q in questions if any(relevant(t, q.expect) for t in texts)]
    with_e5 = Collection.open(args.subset_e5_index)
    import train_ranker  # the e5 ranking is trained on the subset: so is this row's, for a like comparison

    queries = train_ranker.collect(plain, QUESTIONS, DEFAULT_RANKING)
    on_subset = train_ranker.fit([q for q in queries if q.labels.any()], train_ranker.DEFAULT_C)
    return [("all together, USE-m3 (the shipped ranking)", measure(plain, held, DEFAULT_RANKING)),
            ("all together, USE-m3 (ranking trained on the subset)", measure(plain, held, DEFAULT_RANKING, on_subset)),
            ("all together, USE-m3 + e5-small (opt-in; trained on the subset)",
             measure(with_e5, held, DEFAULT_RANKING))]


def filler_hits(collection: Collection) -> str:
    """How many of the default ranking's top 10 hits, over every judged question, are a filler turn alone
    (podquote.segment.is_filler): issue 15 asks for none."""
    from podquote.segment import is_filler

    questions = [q for path in QUESTIONS for q in load_questions(path)]
    collection.ranking = DEFAULT_RANKING
    hits = [h.passage.text for q in questions for h in collection.search(q.query, 10)]
    filler = [text for text in hits if is_filler(text)]
    return (f"Filler turns among the default ranking's top 10 over all {len(questions)} judged questions: "
            f"{len(filler)} of {len(hits)} hits" + (f" ({', '.join(map(repr, filler[:5]))})" if filler else "") + "\n")


def main(argv=None) -> int:
    args = parse_args(argv)
    questions = [q for path in QUESTIONS for q in load_questions(path) if q.split == args.split]
    out = [table(f"Seed + the whole shared corpus: {args.split} split", corpus_rows(args, questions)),
           filler_hits(Collection.open(args.index))]
    if args.seed_index:
        seed_questions = load_questions(QUESTIONS[0])
        seed = Collection.open(args.seed_index)
        out.append(table("Seed only (eval/seed.jsonl, all dev)", [
            ("old ranking", measure(seed, seed_questions, HAND_RANKING)),
            ("**all together (default)**", measure(seed, seed_questions, DEFAULT_RANKING))]))
    if args.subset_index and args.subset_e5_index:
        out.append(table(f"Subset (seed, Podlets, Talk Python, show notes, 200 Changelog episodes): {args.split} "
                         "questions answered in it", subset_rows(args, questions)))
    text = "\n".join(out)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
