#!/usr/bin/env python3
"""Measure retrieval systems on the judged dev set and print the comparison table (Markdown).

Builds (and caches) one index per embedder per corpus, then evaluates every system on it:
- seed only: `eval/seed.jsonl` on an index of the built-in corpus;
- seed + corpus: `eval/seed.jsonl` + `eval/corpus.jsonl` on an index of the built-in corpus and CORPUS.

    scripts/compare_retrieval.py                                  # seed only, every embedder
    scripts/compare_retrieval.py --corpus ../shared/corpus --out docs/retrieval.md
    scripts/compare_retrieval.py --corpus ../shared/corpus --corpus-index /path/to/full/index  # reuse one

e5 over the whole shared corpus is skipped unless --e5-corpus is given: it embeds about 8 passages/s here, so
200k passages take hours.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from search import Collection, build_index  # noqa: E402
from search.evaluation import Judged, load_questions, metrics, relevant  # noqa: E402
from search.ranking import DEFAULT_RANKING  # noqa: E402
from search.sources import builtin_root  # noqa: E402

D = DEFAULT_RANKING
DENSE = D.with_(lexical_weight=0, speaker_weight=0, question_weight=1.0, sentence_rescoring=False,
                narration_weight=1.0, context_weight=0, language_balance=0)
SYSTEMS = [
    # name, embedders, ranking
    ("BM25 (FTS5 + jieba words) alone", ("use-m3",), "lexical-only"),
    ("USE-m3 dense", ("use-m3",), DENSE),
    ("USE-m3 + sentence rescoring", ("use-m3",), DENSE.with_(sentence_rescoring=True)),
    ("USE-m3 + sentences + question weight", ("use-m3",), DENSE.with_(sentence_rescoring=True, question_weight=D.question_weight)),
    ("USE-m3 + sentences + naive lexical", ("use-m3",),
     D.with_(cross_language=1.0, speaker_weight=0, context_weight=0, language_balance=0)),
    ("USE-m3 + sentences + language-aware lexical", ("use-m3",),
     D.with_(speaker_weight=0, context_weight=0, language_balance=0)),
    ("USE-m3 + ... + speaker names", ("use-m3",), D.with_(context_weight=0, language_balance=0)),
    ("USE-m3 + ... + neighbour context", ("use-m3",), D.with_(language_balance=0)),
    ("USE-m3 + all (default: + language balance)", ("use-m3",), D),
    ("e5-small dense", ("e5-small",), DENSE),
    ("e5-small + all", ("e5-small",), D),
    ("USE-m3 + e5-small dense", ("use-m3", "e5-small"), DENSE),
    ("USE-m3 + e5-small + all", ("use-m3", "e5-small"), D),
]
METRICS = ("mrr", "recall@1", "recall@5", "recall@10")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, help="also evaluate seed + this corpus")
    parser.add_argument("--cache", type=Path, default=ROOT / "bench-results" / "indexes", help="index cache")
    parser.add_argument("--corpus-index", type=Path,
                        help="an index of search/data + CORPUS built with use-m3 to use instead of building one")
    parser.add_argument("--e5-corpus", action="store_true", help="also embed the corpus with e5 (hours)")
    parser.add_argument("--only", help="comma-separated substrings: run only systems whose name matches")
    parser.add_argument("--out", type=Path, help="write the Markdown table here too")
    return parser.parse_args()


def index_for(cache: Path, name: str, embedder: str, sources: list[Path]) -> Collection:
    root = cache / f"{name}-{embedder}"
    build_index(root, sources, embedder=embedder)
    return Collection.open(root)


def _open_index(args, name: str, embedder: str, sources: list[Path]) -> Collection:
    if name == "corpus" and embedder == "use-m3" and args.corpus_index:
        return Collection.open(args.corpus_index)
    return index_for(args.cache, name, embedder, sources)


def ranked_texts(collections, ranking, question: Judged, k: int = 10) -> list[str]:
    if ranking == "lexical-only":
        collection = collections[0]
        from search.lexical import fts_match, query_terms

        terms = query_terms(question.query)
        found = collection.metadata.lexical(fts_match(terms), k) if terms else []
        rows = collection.metadata.by_vids(v for v, _ in found)
        return [rows[v][0].text for v, _ in found if v in rows]
    if len(collections) == 1:
        return [h.passage.text for h in collections[0].search(question.query, k, ranking=ranking)]
    return _fused(collections, ranking, question, k)


def _fused(collections, ranking, question, k) -> list[str]:
    """Two embedders: each passage scores the mean of its scores (a system's 50th score where it is missing)."""
    runs = [c.search(question.query, 50, ranking=ranking, collapse_duplicates=False) for c in collections]
    floors = [run[-1].score if run else 0.0 for run in runs]
    texts = {h.passage.id: h.passage.text for run in runs for h in run}
    totals = {pid: sum(next((h.score for h in run if h.passage.id == pid), floor) for run, floor in zip(runs, floors))
              for pid in texts}
    return [texts[pid] for pid in sorted(totals, key=totals.get, reverse=True)[:k]]


def evaluate(collections, ranking, questions: list[Judged]) -> dict:
    ranks, flags = [], []
    for question in questions:
        found = [relevant(t, question.expect) for t in ranked_texts(collections, ranking, question)]
        ranks.append(next((i + 1 for i, f in enumerate(found) if f), None))
        flags.append(found)
    overall = metrics(ranks, flags, [len(q.expect) for q in questions])
    by_pair = {}
    for pair in sorted({q.pair for q in questions if q.pair}):
        idx = [i for i, q in enumerate(questions) if q.pair == pair]
        by_pair[pair] = metrics([ranks[i] for i in idx], [flags[i] for i in idx], [1] * len(idx))["mrr"]
    return {**overall, "pairs": by_pair}


def table(title: str, rows: list[tuple[str, dict]]) -> str:
    pairs = sorted({p for _, r in rows if r for p in r["pairs"]})
    head = ["system", *METRICS, *(f"MRR {p}" for p in pairs)]
    lines = [f"### {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, result in rows:
        if result is None:
            lines.append(f"| {name} | " + " | ".join(["n/a"] * (len(head) - 1)) + " |")
            continue
        cells = [f"{result[m]:.3f}" for m in METRICS] + [f"{result['pairs'].get(p, 0):.3f}" for p in pairs]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def run_set(title, name, sources, questions, args, skip_e5=False) -> str:
    rows = []
    for system, embedders, ranking in SYSTEMS:
        if args.only and not any(s.strip() in system for s in args.only.split(",")):
            continue
        if skip_e5 and "e5-small" in embedders:
            rows.append((system + " (not run: hours of e5 embedding)", None))
            continue
        collections = [_open_index(args, name, e, sources) for e in embedders]
        rows.append((system, evaluate(collections, ranking, questions)))
        print(f"  {title}: {system}: MRR {rows[-1][1]['mrr']:.3f}", file=sys.stderr)
    return table(f"{title} ({len(questions)} questions)", rows)


def main() -> int:
    args = parse_args()
    seed_questions = load_questions(ROOT / "eval" / "seed.jsonl")
    out = [run_set("Seed only", "seed", [builtin_root()], seed_questions, args)]
    if args.corpus:
        questions = seed_questions + load_questions(ROOT / "eval" / "corpus.jsonl")
        out.append(run_set("Seed + corpus", "corpus", [builtin_root(), args.corpus], questions, args,
                           skip_e5=not args.e5_corpus))
    text = "\n".join(out)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
