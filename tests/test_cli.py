"""The `podquote` command through typer's CliRunner: output contracts, errors, help."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from podquote.cli import app

runner = CliRunner()
COMMANDS = sorted(typer.main.get_command(app).commands)  # every registered command, new ones included


def run(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def test_every_command_has_help():
    result = run("--help")
    assert result.exit_code == 0 and "Semantic search" in result.output
    for command in COMMANDS:
        result = run(command, "--help")
        assert result.exit_code == 0, command
        assert "Example" in result.output, f"{command} --help teaches no example"


def test_no_arguments_shows_help():
    result = run()
    assert "Usage" in result.output


def test_index_then_search_json_contract(tmp_path, sources):
    index = tmp_path / "idx"
    result = run("index", sources, "--index", index, "--embedder", "fake")
    assert result.exit_code == 0, result.output
    assert "passages from 2 files" in result.output and "article 2" in result.output
    result = run("search", "Ceph block file object storage", "--index", index, "--json", "-k", "3")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["query", "hits"] and data["query"] == "Ceph block file object storage"
    assert len(data["hits"]) == 3
    for hit in data["hits"]:
        assert list(hit)[:10] == ["id", "text", "speaker", "title", "source", "kind", "lang", "start", "url", "score"]
        lo, hi = hit["highlight"]
        assert 0 <= lo < hi <= len(hit["text"])
    assert data["hits"][0]["speaker"] == "Alice"


def test_search_filters(fake_index):
    result = run("search", "storage", "--index", fake_index, "--json", "--speaker", "WATTS")
    assert {h["speaker"] for h in json.loads(result.output)["hits"]} == {"Watts"}
    result = run("search", "storage", "--index", fake_index, "--json", "--lang", "en")
    assert {h["lang"] for h in json.loads(result.output)["hits"]} == {"en"}


def test_search_readable_output(fake_index):
    result = run("search", "Ceph block storage", "--index", fake_index, "-k", "2")
    assert result.exit_code == 0
    assert "1." in result.output and "Alice" in result.output and "Storage talk" in result.output


def test_search_without_index_builds_builtin_first(tmp_path, monkeypatch):
    # Only the default place (./index, nothing naming another) is built on its own; see test_cli_filters.py.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PODQUOTE_INDEX", raising=False)
    result = run("search", "Rook", "--json")
    # the built-in corpus is embedded by the default model here, so only the announcement is checked
    assert result.exit_code == 0, result.output
    assert "built-in example corpus" in result.stderr
    assert json.loads(result.stdout)["hits"] and (tmp_path / "index" / "CURRENT").exists()


def test_index_env_var_sets_default(tmp_path, sources):
    index = tmp_path / "from-env"
    result = run("index", sources, "--embedder", "fake", env={"PODQUOTE_INDEX": str(index)})
    assert result.exit_code == 0 and (index / "CURRENT").exists()


def test_info(fake_index):
    result = run("info", "--index", fake_index, "--json", "--verify")
    data = json.loads(result.output)
    assert data["embedder"] == "fake" and data["sources"] == 2 and data["verified"] is True
    result = run("info", "--index", fake_index)
    assert "passages" in result.output and "fake" in result.output


def test_eval_contract(tmp_path, fake_index):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"query": "Ceph block file object storage", "expect": ["Ceph gives you block"]}) + "\n"
        + json.dumps({"query": "something nobody said", "expect": ["no such words anywhere"]}) + "\n"
    )
    result = run("eval", questions, "--index", fake_index, "--json", "-k", "5")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data)[:7] == ["n", "recall@1", "recall@5", "recall@10", "mrr", "ndcg@10", "per_query"]
    assert data["n"] == 2 and data["recall@1"] == 0.5 and data["mrr"] == 0.5
    first = data["per_query"][0]
    assert list(first) == ["query", "rank", "hits"] and first["rank"] == 1
    assert list(first["hits"][0]) == ["id", "text", "speaker", "score"] and len(first["hits"]) == 5
    assert data["per_query"][1]["rank"] is None
    result = run("eval", questions, "--index", fake_index)
    assert "recall@5" in result.output and "missed" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["search", "   "], "query is empty"),
        (["search", "x" * 1001], "limit is 1000"),
        (["search", "rook", "-k", "0"], "greater than or equal to 1"),
        (["search", "rook", "-k", "100000"], "less than or equal to 100"),
        (["search", "rook", "--lang", "klingon"], "klingon"),
        (["index", "/no/such/folder", "--embedder", "fake"], "no such file or folder"),
        (["index", "--embedder", "nope"], "unknown embedder 'nope'"),
        (["info"], "podquote index"),
        (["eval", "/no/such.jsonl"], "does not exist"),
    ],
)
def test_bad_input_gives_one_line_and_nonzero_exit(tmp_path, args, message):
    if "--index" not in args:
        args = [*args, "--index", tmp_path / "none"]
    result = run(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_eval_file_is_a_clear_error(tmp_path, fake_index):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "x"}\n')
    result = run("eval", bad, "--index", fake_index)
    assert result.exit_code == 1 and "bad.jsonl:1" in result.output


def test_folder_with_nothing_readable(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "blob.md").write_bytes(b"\x00\x00\x00")
    result = run("index", empty, "--index", tmp_path / "idx", "--embedder", "fake")
    assert result.exit_code == 1 and "binary" in result.output


def test_mismatched_embedder_message(fake_index):
    result = run("index", "--index", fake_index, "--embedder", "fake-32")
    assert result.exit_code == 0, result.output  # an explicit new embedder re-embeds everything
    result = run("search", "storage", "--index", fake_index)
    assert result.exit_code == 0
