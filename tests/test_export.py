"""`podquote search --format`: every export format written by the real command and read back by a parser.

On the usual small index (the seed article in Chinese, a small English one), built with the fake embedder.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from podquote import Collection
from podquote.cli import app as cli
from podquote.export import CSV_COLUMNS, export_hits

runner = CliRunner()
QUERY = "Rook 存储"


def search(index, *args):
    result = runner.invoke(cli, ["search", QUERY, "--index", str(index), "-k", "5", *map(str, args)])
    return result


def json_hits(index) -> list[dict]:
    result = search(index, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["hits"]


def test_csv_has_a_header_and_one_row_per_hit(fake_index):
    expected = json_hits(fake_index)
    result = search(fake_index, "--format", "csv")
    assert result.exit_code == 0, result.output
    header, *rows = list(csv.reader(io.StringIO(result.stdout)))
    assert tuple(header) == CSV_COLUMNS and len(rows) == len(expected) == 5
    for row, hit in zip(rows, expected):
        data = dict(zip(header, row))
        assert data["id"] == hit["id"] and data["text"] == hit["text"] and float(data["score"]) == hit["score"]
        assert data["speaker"] == (hit["speaker"] or "") and data["link"] == (hit["url"] or "")
    assert any("存储" in row[-1] for row in rows)  # Chinese text as it is, not escaped


def test_csv_quotes_commas_quotes_and_newlines(fake_index):
    with Collection.open(fake_index) as collection:
        hit = collection.search("Ceph block storage", k=1)[0]
    awkward = "第一行，“引号”, \"quoted\"\nsecond line, 存储"
    hit.passage = replace(hit.passage, text=awkward)
    header, row = list(csv.reader(io.StringIO(export_hits("csv", "q", [hit]))))
    assert row[header.index("text")] == awkward and len(row) == len(CSV_COLUMNS)


def test_jsonl_is_the_json_hits_one_per_line(fake_index):
    result = search(fake_index, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [json.loads(line) for line in lines] == json_hits(fake_index)
    assert all("\\u" not in line for line in lines)  # UTF-8, readable


def test_markdown_quotes_each_hit_with_its_citation(fake_index):
    hits = json_hits(fake_index)
    result = search(fake_index, "--format", "markdown")
    assert result.exit_code == 0, result.output
    text = result.stdout
    for hit in hits:
        assert f"> {hit['text']}" in text
    citations = [line for line in text.splitlines() if line.startswith("— ")]
    assert len(citations) == len(hits)
    assert all(f"*{hits[0]['title']}*" in line for line in citations if hits[0]["title"] in line)


def test_json_and_format_json_agree(fake_index):
    assert search(fake_index, "--format", "json").stdout == search(fake_index, "--json").stdout
    assert search(fake_index, "--json", "--format", "json").stdout == search(fake_index, "--json").stdout


@pytest.mark.parametrize("args, message", [
    (["--json", "--format", "csv"], "--format: 'csv' contradicts --json"),
    (["--format", "xml"], "--format: 'xml' is not one of table, json, csv, jsonl, markdown"),
    (["--format", "csv", "--group"], "--group: groups are shown by --format table or json, not csv"),
])
def test_conflicting_or_unknown_formats_are_usage_errors(fake_index, args, message):
    result = search(fake_index, *args)
    assert result.exit_code == 2 and message in result.stderr and result.stdout == ""


def test_no_hits_write_no_lines(fake_index):
    nothing = ["--speaker", "Watts", "--lang", "en"]  # each filter matches, together nothing: a notice, no hits
    for fmt in ("jsonl", "markdown"):
        result = search(fake_index, "--format", fmt, *nothing)
        assert result.exit_code == 0 and result.stdout == "" and "No results" in result.stderr
    result = search(fake_index, "--format", "csv", *nothing)
    assert list(csv.reader(io.StringIO(result.stdout))) == [list(CSV_COLUMNS)]


def test_table_stays_the_default(fake_index):
    result = search(fake_index)
    assert result.exit_code == 0 and "1." in result.stdout and not result.stdout.startswith(("{", "id,", "> "))
