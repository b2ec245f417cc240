#!/usr/bin/env python3
"""Does the ranking learn the judged set's language mix? How often Chinese passages reach the top where the
answer is English.

The judged set asks for Chinese answers far more often than the corpus holds them (178 of 435 questions; 438
of 228,000 passages), so a ranking could score well on it by lifting Chinese passages for every query. This
prints, for the old (hand-set) ranking and the learned one, the share of Chinese passages among the top 1 and
top 10 of:
- the judged questions whose answer is English (en-en, zh-en);
- English queries that ask for nothing Chinese: the opening words of English passages (the bench's queries).

    scripts/language_mix.py --index /path/to/full-index
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from podquote import Collection  # noqa: E402
from podquote.evaluation import load_questions  # noqa: E402
from podquote.ranking import RANKINGS  # noqa: E402


def shares(collection: Collection, queries: list[str]) -> tuple[float, float]:
    top1 = top10 = total = 0
    for query in queries:
        hits = collection.search(query, 10)
        top1 += bool(hits) and hits[0].passage.lang == "zh"
        top10 += sum(h.passage.lang == "zh" for h in hits)
        total += len(hits)
    return top1 / len(queries), top10 / max(total, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--openings", type=int, default=200, help="passage openings used as English queries")
    args = parser.parse_args()
    collection = Collection.open(args.index)
    judged = [q.query for name in ("seed.jsonl", "corpus.jsonl") for q in load_questions(ROOT / "eval" / name)
              if q.pair in ("en-en", "zh-en")]
    long_english = (p.text for p in collection.passages(lang="en") if len(p.text) > 80)
    openings = [" ".join(text.split()[:10]) for text in itertools.islice(long_english, args.openings)]
    print("| ranking | judged, English answer (%d): zh top 1 / top 10 | English openings (%d): zh top 1 / top 10 |"
          % (len(judged), len(openings)))
    print("|---|---|---|")
    for name, ranking in RANKINGS.items():
        collection.ranking = ranking
        a, b = shares(collection, judged), shares(collection, openings)
        print(f"| {name} | {a[0]:.3f} / {a[1]:.3f} | {b[0]:.3f} / {b[1]:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
