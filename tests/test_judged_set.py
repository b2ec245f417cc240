"""The judged set (eval/) checked by its validator against ../shared/corpus, and the split it records."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import CORPUS, PROJECT

CHECK = PROJECT / "eval" / "check_devset.py"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), "--corpus", str(CORPUS), *args], capture_output=True,
                          text=True, timeout=600)


def test_the_shipped_set_is_valid_and_every_answer_is_in_the_corpus():
    result = run()
    assert result.returncode == 0, result.stdout[-3000:]
    assert result.stdout.rstrip().endswith("OK")
    assert "all files: en-en" in result.stdout


def test_the_split_is_recorded_and_the_older_questions_are_all_dev():
    lines = [json.loads(line) for name in ("seed.jsonl", "corpus.jsonl")
             for line in (PROJECT / "eval" / name).read_text(encoding="utf-8").splitlines()]
    assert {line["split"] for line in lines} == {"dev", "test"}
    assert all(line["split"] == "dev" for line in lines[:135])  # tuned on by the hand-set ranking before
    test = [line for line in lines if line["split"] == "test"]
    assert {line["pair"] for line in test} == {"en-en", "en-zh", "zh-en", "zh-zh"}
    assert {line["type"] for line in test} == {"keyword", "speaker", "paraphrase", "why-how"}


def test_a_bad_question_is_reported_with_its_line(tmp_path):
    bad = {"query": "etcd", "expect": ["no passage anywhere says this sentence"], "pair": "en-en",
           "type": "keyword", "split": "dev", "source": "thepodlets/site/_episodes/006-joe-beda.md",
           "why": "made up"}
    wrong_form = {**bad, "query": "why would anyone use etcd for Kubernetes?", "expect": ["I think etcd is a good fit"]}
    path = tmp_path / "extra.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in (bad, wrong_form)) + "\n", encoding="utf-8")
    result = run(str(path))
    assert result.returncode == 1
    assert "extra.jsonl:1: expect 'no passage anywhere says this sentence' not found" in result.stdout
    assert "extra.jsonl:2: keyword query" in result.stdout and "reads as a sentence" in result.stdout
