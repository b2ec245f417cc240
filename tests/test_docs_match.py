"""The README says what the CLI does: every option of every command is in the command table, every field
`search --json` prints is in the JSON contract, and help shows no `<bool>` for a flag (issue 16, point 6)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import typer

from helpers import PROJECT
from podquote.cli import app

README = (PROJECT / "README.md").read_text(encoding="utf-8")
COMMANDS = typer.main.get_command(app).commands


def _row(command: str) -> str:
    rows = [line for line in README.splitlines() if line.startswith(f"| `podquote {command}")]
    assert len(rows) == 1, f"the command table has no single row for {command}"
    return rows[0]


def test_the_command_table_lists_every_command_and_option():
    for name, command in COMMANDS.items():
        row = _row(name)
        for param in command.params:
            if param.name == "help" or param.param_type_name == "argument":
                continue
            assert any(opt in row for opt in param.opts), f"{name}: {param.opts} missing from the README table"


def test_the_json_contract_lists_every_field_search_prints(fake_index):
    from podquote import Collection

    hits = Collection.open(fake_index).search("Ceph storage", 3, context=1)
    fields = set(hits[0].to_dict()) | set(hits[0].to_dict()["context"]["before"][0] if hits[0].context[0] else [])
    contract = README[README.index("`podquote search --json` prints exactly"):README.index("## HTTP API")]
    for name in fields | {"query", "hits", "groups", "notice"}:
        assert f'"{name}"' in contract, f"{name} is printed by --json but not in the README's contract"


def test_flags_show_no_type_in_help():
    env = {**os.environ, "COLUMNS": "160"}
    for name in COMMANDS:
        result = subprocess.run([sys.executable, "-c", "from podquote.cli import main; main()", name, "--help"],
                                capture_output=True, text=True, env=env, timeout=60)
        assert result.returncode == 0 and "<bool>" not in result.stdout, name


def test_eval_help_gives_the_whole_format():
    result = subprocess.run([sys.executable, "-c", "from podquote.cli import main; main()", "eval", "--help"],
                            capture_output=True, text=True, env={**os.environ, "COLUMNS": "160"}, timeout=60)
    text = " ".join(result.stdout.split())
    for field in ("query", "expect", "pair", "type", "split"):
        assert re.search(rf"[-•] {field}\b", text), field  # a list item, as markdown help renders it
    example = re.search(r"(\{\"query\".*?\})", text).group(1)
    assert set(json.loads(example)) >= {"query", "expect"}


def test_readme_says_cjk_text_needs_a_cjk_font():
    assert "fonts-noto-cjk" in README[README.index("## Web page"):README.index("## How it works")]
