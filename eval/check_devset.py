#!/usr/bin/env python3
"""Check the judged dev set (eval/seed.jsonl, eval/corpus.jsonl) against its sources.

Standalone, standard library only:

    python3 eval/check_devset.py                      # both files, corpus at ../shared/corpus
    python3 eval/check_devset.py --corpus /path/to/corpus eval/corpus.jsonl
    python3 eval/check_devset.py --rarity             # also list expect strings found in other files

Every line must parse and carry the fields below; every expect string must occur, whitespace collapsed,
inside ONE block of its source file (a paragraph/turn of a Markdown transcript, one WebVTT cue, one line of
show notes, one quoted or unquoted stretch of a seed paragraph) once Markdown markup, `\\[...\\]`
annotations, speaker labels and timestamps are taken out, the way passages are built.
Prints counts per file, pair and type; exits 1 on any problem.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_FILES = [HERE / "seed.jsonl", HERE / "corpus.jsonl"]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
SEED = REPO / "search" / "data" / "kubecon-2018-open-source-benefits.zh.md"

FIELDS = {"query": str, "expect": list, "pair": str, "type": str, "source": str, "why": str, "split": str}
# Answers found later by pooling (judging the top results of several systems), each from its own file.
POOLED_FIELDS = {"expect": str, "source": str, "why": str}
PAIRS = ("en-en", "en-zh", "zh-zh", "zh-en")
TYPES = ("keyword", "speaker", "paraphrase", "why-how")
SPLITS = ("dev", "test")
MIN_LINES = {"seed.jsonl": 20, "corpus.jsonl": 300}
MIN_TOTAL = 400  # across all files checked together
MIN_PER_PAIR = 60  # across all files checked together
MIN_TEST_PER_PAIR = 20  # of those, on the test split
MIN_TYPE_SHARE = 0.10  # of all questions, each type
# A keyword query is a keyword or a name, not a sentence: a few words, no question mark.
KEYWORD_MAX_WORDS = 3
KEYWORD_MAX_HAN = 8
_WHY_HOW = re.compile(r"\b(why|how)\b|为什么|为何|怎么|怎样|如何", re.IGNORECASE)
SOURCE_FAMILIES = ("thechangelog-transcripts/", "thepodlets/", "talk-python-transcripts/", "opensource-f2f-episode/")
USER_EXAMPLE = ("why Rook on bare metal", "Rook 的亮点在于提供本地存储")

_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_ESCAPED_NOTE = re.compile(r"\\\[[^\]]*?\\\]")  # \[laughs\], \[12:34\], \[unintelligible 01:02:03.04\]
_CHANGELOG_LABEL = re.compile(r"^\*\*[^*\n]+?(?::\*\*|\*\*:)\s*")
_PODLETS_TURN = re.compile(r"^\[\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?\]\s*(?:[A-Z][A-Za-z]{0,9}:)?\s*")
_NOTE_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])?\s*(?:\d{1,2}:)?(?:\d{1,3}:\d{2})?\s*")
_VTT_TIMING = re.compile(r"^\d{2}:\d{2}:\d{2}\.\d{3}\s+-->")
_VOICE = re.compile(r"</?v(?:\s[^>]*)?>")
_SENTENCE_END_INSIDE = re.compile(r"[。！？]|[.!?](?=\s)|\.\.\.|…")
_MARKUP = ("**", "\\[", "\\]", "](", "<v ", "`")


def collapse(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def lang_of(text: str) -> str:
    return "zh" if _CJK.search(text) else "en"


def _inline(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    return text.replace("**", "").replace("\\*", "*").replace("\\_", "_")


def blocks_of(path: Path, source: str) -> list[str]:
    """The source split the way a reader splits it into passages (or coarser), markup removed."""
    text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    if path.suffix == ".vtt":
        cues, current = [], []
        for line in text.split("\n"):
            if not line.strip():
                if current:
                    cues.append(" ".join(current))
                current = []
            elif _VTT_TIMING.match(line) or line.startswith("WEBVTT") or line.strip().isdigit():
                continue
            else:
                current.append(_VOICE.sub("", line))
        if current:
            cues.append(" ".join(current))
        return [collapse(c) for c in cues]
    if source == "seed":
        out = []
        for line in text.split("\n"):
            # quoted words and the narration around them are separate passages
            out.extend(collapse(_inline(part)) for part in re.split(r"[“”「」]", line))
        return [b for b in out if b]
    if source.startswith("opensource-f2f-episode/"):
        return [collapse(_NOTE_ITEM.sub("", _inline(line), count=1)) for line in text.split("\n") if line.strip()]
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    out = []
    for para in paragraphs:
        para = _ESCAPED_NOTE.sub(" ", para)
        para = _CHANGELOG_LABEL.sub("", para.strip())
        para = _PODLETS_TURN.sub("", para)
        out.append(collapse(_inline(para)))
    return out


def source_path(source: str, corpus: Path) -> Path:
    return SEED if source == "seed" else corpus / source


def longest_common_substring(a: str, b: str) -> int:
    a, b = a.lower(), b.lower()
    best, prev = 0, [0] * (len(b) + 1)
    for ca in a:
        cur = [0] * (len(b) + 1)
        for j, cb in enumerate(b, 1):
            if ca == cb:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def check_line(obj: dict, where: str, corpus: Path, cache: dict, draft: bool = False) -> list[str]:
    problems = []
    for field, kind in FIELDS.items():
        if draft and field == "split":
            continue  # drafts get their split when they join the set
        if not isinstance(obj.get(field), kind):
            problems.append(f"{where}: field {field!r} missing or not {kind.__name__}")
    if problems:
        return problems
    if set(obj) - set(FIELDS) - {"pooled"}:
        problems.append(f"{where}: unknown fields {sorted(set(obj) - set(FIELDS) - {'pooled'})}")
    pooled, pooled_problems = _pooled_sources(obj, where)
    problems.extend(pooled_problems)
    if obj["pair"] not in PAIRS:
        problems.append(f"{where}: pair {obj['pair']!r} not one of {PAIRS}")
    if obj["type"] not in TYPES:
        problems.append(f"{where}: type {obj['type']!r} not one of {TYPES}")
    problems.extend(_shape_problems(obj, where))
    if "split" in obj and obj["split"] not in SPLITS:
        problems.append(f"{where}: split {obj['split']!r} not one of {SPLITS}")
    if not obj["query"].strip() or not obj["why"].strip():
        problems.append(f"{where}: empty query or why")
    source = obj["source"]
    if source != "seed" and not source.startswith(SOURCE_FAMILIES):
        problems.append(f"{where}: source {source!r} is neither 'seed' nor under a known corpus folder")
    answer_lang = "zh" if source == "seed" or source.startswith("opensource-f2f-episode/") else "en"
    if obj["pair"] in PAIRS:
        q_lang, a_lang = obj["pair"].split("-")
        if lang_of(obj["query"]) != q_lang:
            problems.append(f"{where}: pair says the query is {q_lang}, it reads as {lang_of(obj['query'])}")
        if a_lang != answer_lang:
            problems.append(f"{where}: pair says the answer is {a_lang}, the source is {answer_lang}")
    if not obj["expect"]:
        problems.append(f"{where}: expect is empty")
    for exp in obj["expect"]:
        if not isinstance(exp, str):
            problems.append(f"{where}: expect entry {exp!r} is not a string")
            continue
        if exp != collapse(exp):
            problems.append(f"{where}: expect {exp!r} has leading/trailing or repeated whitespace")
        if not 10 <= len(exp) <= 60:
            problems.append(f"{where}: expect {exp!r} is {len(exp)} characters (want 10-60)")
        if any(m in exp for m in _MARKUP) or any(q in exp for q in "“”「」"):
            problems.append(f"{where}: expect {exp!r} contains markup or quote marks")
        if _SENTENCE_END_INSIDE.search(exp[:-1]):
            problems.append(f"{where}: expect {exp!r} spans a sentence end")
        exp_source = pooled.get(exp, source)
        blocks = _blocks(exp_source, corpus, cache)
        if blocks is None:
            problems.append(f"{where}: source file not found: {source_path(exp_source, corpus)}")
        elif not any(exp in block for block in blocks):
            problems.append(f"{where}: expect {exp!r} not found inside one block of {exp_source}")
        if longest_common_substring(obj["query"], exp) >= max(16, int(0.6 * len(exp))):
            problems.append(f"{where}: query copies too much of expect {exp!r}")
    return problems


def _shape_problems(obj: dict, where: str) -> list[str]:
    """A question's form must fit its type: a keyword is a few words, a why-how question asks why or how."""
    query, kind = obj["query"].strip(), obj["type"]
    if kind == "keyword":
        han = len(_CJK.findall(query))
        latin_words = len(re.findall(r"[A-Za-z0-9][\w.+#-]*", query))
        if "?" in query or "？" in query or han > KEYWORD_MAX_HAN or latin_words > KEYWORD_MAX_WORDS:
            return [f"{where}: keyword query {query!r} reads as a sentence (want a keyword or name)"]
    if kind == "why-how" and not _WHY_HOW.search(query):
        return [f"{where}: why-how query {query!r} asks neither why nor how"]
    return []


def _blocks(source: str, corpus: Path, cache: dict) -> list[str] | None:
    path = source_path(source, corpus)
    if not path.is_file():
        return None
    if source not in cache:
        cache[source] = blocks_of(path, source)
    return cache[source]


def _pooled_sources(obj: dict, where: str) -> tuple[dict[str, str], list[str]]:
    """expect string -> source file for the pooled answers; each must also be listed in `expect`."""
    entries = obj.get("pooled", [])
    if not isinstance(entries, list):
        return {}, [f"{where}: pooled must be a list"]
    found, problems = {}, []
    for entry in entries:
        if not isinstance(entry, dict) or any(not isinstance(entry.get(f), k) for f, k in POOLED_FIELDS.items()):
            problems.append(f"{where}: pooled entry {entry!r} needs {sorted(POOLED_FIELDS)}")
            continue
        if entry["expect"] not in obj["expect"]:
            problems.append(f"{where}: pooled expect {entry['expect']!r} is not in expect")
        found[entry["expect"]] = entry["source"]
    return found, problems


def rarity(rows: list[tuple[str, dict]], corpus: Path) -> None:
    """List expect strings that also occur in files other than their source (for review, not an error)."""
    texts = {}
    for path in sorted(corpus.rglob("*")):
        if path.is_file() and path.suffix in (".md", ".vtt") and "_meta" not in path.parts:
            rel = path.relative_to(corpus).as_posix()
            if rel.endswith(("README.md", "LICENSE", "CONTRIBUTING.md")):
                continue
            texts[rel] = "\n".join(blocks_of(path, rel))
    texts["seed"] = "\n".join(blocks_of(SEED, "seed"))
    for where, obj in rows:
        pooled = {e["expect"]: e["source"] for e in obj.get("pooled", [])}
        for exp in obj["expect"]:
            home = pooled.get(exp, obj["source"])
            hits = [name for name, text in texts.items() if exp in text]
            same = texts.get(home, "").count(exp)
            others = [h for h in hits if h != home]
            if others or same > 1:
                print(f"  rarity {where}: {exp!r}: {same}x in source, also in {others[:5]}")


def _file_rows(file: Path, corpus: Path, cache: dict, draft: bool, problems: list[str]) -> list[tuple[str, dict]]:
    rows = []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{file.name}:{number}"
        if not line.strip():
            problems.append(f"{where}: blank line")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not JSON ({exc})")
            continue
        if not isinstance(obj, dict):
            problems.append(f"{where}: not a JSON object")
            continue
        problems.extend(check_line(obj, where, corpus, cache, draft))
        rows.append((where, obj))
    return rows


def _file_summary(file: Path, rows: list[tuple[str, dict]], draft: bool) -> list[str]:
    problems = []
    pairs = Counter(o.get("pair") for _, o in rows)
    types = Counter(o.get("type") for _, o in rows)
    splits = Counter(o.get("split") for _, o in rows)
    sources = Counter("seed" if o.get("source") == "seed" else str(o.get("source")).split("/")[0] for _, o in rows)
    print(f"{file.name}: {len(rows)} questions")
    print("  pairs:   " + ", ".join(f"{p} {pairs.get(p, 0)}" for p in PAIRS))
    print("  types:   " + ", ".join(f"{t} {types.get(t, 0)}" for t in TYPES))
    print("  splits:  " + ", ".join(f"{s} {splits.get(s, 0)}" for s in SPLITS))
    print("  sources: " + ", ".join(f"{s} {n}" for s, n in sorted(sources.items())))
    if draft:
        return problems
    minimum = MIN_LINES.get(file.name)
    if minimum and len(rows) < minimum:
        problems.append(f"{file.name}: {len(rows)} questions, want at least {minimum}")
    if file.name == "seed.jsonl":
        if any(o.get("source") != "seed" for _, o in rows):
            problems.append("seed.jsonl: every question must have source 'seed'")
        if not any(o.get("query") == USER_EXAMPLE[0] and USER_EXAMPLE[1] in o.get("expect", []) for _, o in rows):
            problems.append(f"seed.jsonl: the user's example {USER_EXAMPLE[0]!r} is missing")
    if file.name == "corpus.jsonl":
        for family in SOURCE_FAMILIES:
            if not any(str(o.get("source")).startswith(family) for _, o in rows):
                problems.append(f"corpus.jsonl: no question on {family}")
    return problems


def _set_minimums(rows: list[tuple[str, dict]]) -> list[str]:
    """The whole set: enough questions, of every pair on both splits, of every type."""
    problems = []
    pairs = Counter(o.get("pair") for _, o in rows)
    test_pairs = Counter(o.get("pair") for _, o in rows if o.get("split") == "test")
    types = Counter(o.get("type") for _, o in rows)
    print("all files: " + ", ".join(f"{p} {pairs.get(p, 0)} ({test_pairs.get(p, 0)} test)" for p in PAIRS))
    if len(rows) < MIN_TOTAL:
        problems.append(f"{len(rows)} questions across the files, want >= {MIN_TOTAL}")
    for p in PAIRS:
        if pairs.get(p, 0) < MIN_PER_PAIR:
            problems.append(f"pair {p}: {pairs.get(p, 0)} questions across the files, want >= {MIN_PER_PAIR}")
        if test_pairs.get(p, 0) < MIN_TEST_PER_PAIR:
            problems.append(f"pair {p}: {test_pairs.get(p, 0)} test questions, want >= {MIN_TEST_PER_PAIR}")
    for t in TYPES:
        if types.get(t, 0) < MIN_TYPE_SHARE * len(rows):
            problems.append(f"type {t}: {types.get(t, 0)} of {len(rows)} questions, want >= {MIN_TYPE_SHARE:.0%}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT_FILES)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the shared corpus folder")
    parser.add_argument("--rarity", action="store_true", help="report expect strings found elsewhere too")
    parser.add_argument("--draft", action="store_true",
                        help="questions not yet in the set: no split field, no minimums")
    args = parser.parse_args(argv)

    problems: list[str] = []
    cache: dict = {}
    all_rows: list[tuple[str, dict]] = []
    for file in args.files:
        rows = _file_rows(file, args.corpus, cache, args.draft, problems)
        problems.extend(_file_summary(file, rows, args.draft))
        all_rows.extend(rows)
    queries = Counter(o.get("query") for _, o in all_rows)
    problems.extend(f"duplicate query {q!r}" for q, n in queries.items() if n > 1)
    if not args.draft and args.files == DEFAULT_FILES:
        problems.extend(_set_minimums(all_rows))
    if args.rarity:
        rarity(all_rows, args.corpus)
    for problem in problems:
        print("PROBLEM " + problem)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
