"""End to end with the real default model (USE multilingual v3): the user's own question."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from podquote import Collection, build_index
from podquote.api.app import create_app
from podquote.cli import app

pytestmark = pytest.mark.model
ROOK = "Rook 的亮点在于提供本地存储"


@pytest.fixture(scope="module")
def builtin_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("builtin") / "index"
    report = build_index(root)
    assert report.embedder == "use-m3" and report.passages > 20
    return root


def test_library_answers_why_rook_on_bare_metal(builtin_index):
    hits = Collection.open(builtin_index).search("why Rook on bare metal", k=5)
    assert ROOK in hits[0].passage.text and hits[0].passage.speaker == "Watts"
    lo, hi = hits[0].highlight
    assert ROOK in hits[0].passage.text[lo:hi]


def test_cli_json_answers_why_rook_on_bare_metal(builtin_index):
    result = CliRunner().invoke(app, ["search", "why Rook on bare metal", "--json", "--index", str(builtin_index)])
    first = json.loads(result.stdout)["hits"][0]
    assert first["speaker"] == "Watts" and ROOK in first["text"]


def test_api_answers_why_rook_on_bare_metal(builtin_index):
    with TestClient(create_app(builtin_index)) as client:
        first = client.get("/search", params={"q": "why Rook on bare metal"}).json()["hits"][0]
    assert first["speaker"] == "Watts" and ROOK in first["text"]


def test_chinese_question_finds_chinese_quote(builtin_index):
    hits = Collection.open(builtin_index).search("把项目捐给 CNCF 之后还是项目的所有者吗", k=3)
    assert any(h.passage.speaker == "Dvoretskyi" for h in hits)
