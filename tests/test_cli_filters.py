"""Explicit index paths and filters a person can type, through the real `podquote` in a subprocess and the real
API, on real excerpts of ../shared/corpus (three Podlets episodes, two dated 开源面对面 show notes)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from helpers import BUILTIN, CORPUS
from podquote.api.app import create_app

PODLETS = CORPUS / "thepodlets" / "site" / "_episodes"
PODLETS_FILES = ("006-joe-beda.md", "007-kubernetes-as-per-kelsey-hightower.md",
                 "013-kubernetes-as-per-craig-mcluckie.md")
F2F = CORPUS / "opensource-f2f-episode" / "shownotes"
F2F_FILES = ("S01E19-对话吴炳锡：一个 DBA 老兵眼里的开源与生存.md", "S03E05-daocloud.md")


def podquote(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    environ = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-c", "from podquote.cli import main; main()", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=environ, timeout=300)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("excerpts")
    for name in PODLETS_FILES:
        shutil.copy(PODLETS / name, folder / name)
    shows = folder / "opensource-f2f-episode"  # the folder names the show, as in the corpus
    shows.mkdir()
    for name in F2F_FILES:
        shutil.copy(F2F / name, shows / name)
    root = tmp_path_factory.mktemp("index") / "index"  # its own: basetemp/index is shared by every module
    built = podquote("index", folder, "--index", root, "--embedder", "fake")
    assert built.returncode == 0, built.stderr
    return root


# ---- 1. an explicit --index is never replaced by the demo ----------------------------------------------------

def test_explicit_missing_index_is_an_error_not_a_demo(tmp_path):
    typo = tmp_path / "typo"
    result = podquote("search", "Rook", "--index", typo)
    assert result.returncode == 1
    assert f"no index at {typo}" in result.stderr and "podquote index" in result.stderr
    assert "built-in" not in result.stdout and not typo.exists()


def test_index_from_the_environment_is_never_replaced_by_the_demo(tmp_path):
    result = podquote("search", "Rook", env={"PODQUOTE_INDEX": str(tmp_path / "nope")})
    assert result.returncode == 1 and "no index at" in result.stderr and not (tmp_path / "nope").exists()


def test_explicit_index_that_is_a_file(tmp_path):
    file = tmp_path / "notes.txt"
    file.write_text("not an index")
    for command in (("search", "Rook"), ("info",), ("facets",)):
        result = podquote(*command, "--index", file)
        assert result.returncode == 1, command
        assert "is a file, not a folder" in result.stderr and "Traceback" not in result.stderr
    built = podquote("index", "--index", file)
    assert built.returncode == 1 and "is a file, not a folder" in built.stderr and "built-in" not in built.stderr
    assert file.read_text() == "not an index"


def test_explicit_empty_folder_says_how_to_build(tmp_path):
    result = podquote("search", "Rook", "--index", tmp_path)
    assert result.returncode == 1 and "not an index folder" in result.stderr and "podquote index" in result.stderr


def test_default_place_still_builds_the_demo(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "PODQUOTE_INDEX"}
    result = subprocess.run([sys.executable, "-c", "from podquote.cli import main; main()", "search", "Rook", "-k", "1",
                             "--json"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "built-in example corpus" in result.stderr and (tmp_path / "index" / "CURRENT").exists()
    assert json.loads(result.stdout)["hits"][0]["source"].endswith(BUILTIN.name)


# ---- 2. filters a person can use --------------------------------------------------------------------------------

def test_facets_lists_shows_episodes_speakers_languages(index):
    result = podquote("facets", "--json", "--index", index)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {s["value"] for s in data["shows"]} == {"The Podlets", "开源面对面"}
    titles = {e["title"]: e for e in data["episodes"]}
    assert titles["A Conversation with Joe Beda"]["value"] == "podlets/6"
    assert any(e["date"] for e in data["episodes"] if e["show"] == "开源面对面")
    assert {"en", "zh"} <= {lang["value"] for lang in data["languages"]}
    assert data["speakers"] and all(s["count"] > 0 for s in data["speakers"])
    table = podquote("facets", "episodes", "--index", index, env={"COLUMNS": "200"})
    assert table.returncode == 0 and "A Conversation with Joe Beda" in table.stdout and "speakers" not in table.stdout


def test_facets_match_the_api(index):
    result = json.loads(podquote("facets", "--json", "--index", index).stdout)
    with TestClient(create_app(index, reload_interval=None)) as client:
        served = client.get("/facets").json()
    assert result == served


def hits(*args, index):
    result = podquote("search", *args, "--json", "--index", index)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["hits"]


def test_show_by_part_and_any_case(index):
    found = hits("etcd", "--show", "podlets", index=index)
    assert found and {h["show"] for h in found} == {"The Podlets"}


def test_episode_by_id_file_name_file_id_or_title(index):
    for value in ("podlets/6", "006-joe-beda", "006-a-conversation-with-joe-beda", "joe beda"):
        found = hits("etcd", "--episode", value, "-k", "3", index=index)
        assert found and {h["episode"] for h in found} == {"podlets/6"}, value


def test_episode_fragment_matching_several_is_an_error_listing_them(index):
    result = podquote("search", "etcd", "--episode", "kubernetes", "--index", index)
    assert result.returncode == 1
    assert "matches 2 episodes" in result.stderr
    assert "Kelsey Hightower" in result.stderr and "Craig McLuckie" in result.stderr


def test_a_filter_matching_nothing_is_named_with_the_nearest_values(index):
    result = podquote("search", "etcd", "--show", "podlest", "--index", index)
    assert result.returncode == 1 and "show 'podlest' matches no show" in result.stderr
    assert "The Podlets" in result.stderr
    result = podquote("search", "etcd", "--speaker", "bryn liles", "--index", index)
    assert result.returncode == 1 and "speaker 'bryn liles' matches no passage" in result.stderr
    assert "Bryan Liles" in result.stderr


def test_filters_that_exclude_each_other_say_so(index):
    result = podquote("search", "etcd", "--show", "podlets", "--lang", "zh", "--json", "--index", index)
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["hits"] == [] and "together" in data["notice"] and "show 'The Podlets'" in data["notice"]
    assert "No results" in result.stderr


def test_dates_on_a_show_without_dates(index):
    result = podquote("search", "etcd", "--show", "podlets", "--from", "2019", "--index", index)
    assert result.returncode == 1 and "The Podlets carries no dates" in result.stderr
    dated = hits("开源", "--from", "2023-01-01", "--to", "2025-12-31", index=index)
    assert dated and all(h["date"] for h in dated)


def test_cli_and_api_share_filter_names(index):
    cli = hits("开源", "--from", "2025", "-k", "3", index=index)
    assert cli == hits("开源", "--date-from", "2025", "-k", "3", index=index)  # the former spelling still works
    with TestClient(create_app(index, reload_interval=None)) as client:
        api = client.get("/search", params={"q": "开源", "from": "2025", "k": 3}).json()["hits"]
        old = client.get("/search", params={"q": "开源", "date_from": "2025", "k": 3}).json()["hits"]
        ambiguous = client.get("/search", params={"q": "etcd", "episode": "kubernetes"})
        typo = client.get("/search", params={"q": "etcd", "show": "podlest"})
    assert [h["id"] for h in cli] == [h["id"] for h in api] == [h["id"] for h in old]
    assert ambiguous.status_code == 422 and "matches 2 episodes" in ambiguous.json()["detail"]
    # over HTTP a filter matching nothing is a valid question whose answer is none: said in `notice`
    assert typo.status_code == 200 and typo.json()["hits"] == []
    assert "show 'podlest' matches no show" in typo.json()["notice"] and "The Podlets" in typo.json()["notice"]
