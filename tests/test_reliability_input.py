"""Bad input, everywhere: the CLI answers in one line with a non-zero exit, the API with a 4xx and a reason,
never a traceback or a 500; and nothing outside the source roots is ever read."""

from __future__ import annotations

import builtins
import os
import shutil
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from podquote import Collection, build_index
from podquote.api.app import create_app
from podquote.api.guards import MAX_BODY_BYTES, MAX_QUERY_BYTES
from podquote.cli import app as cli
from podquote.sources import walk_root

runner = CliRunner()


def one_line_error(result, code=None):
    """The whole output is one line starting with `Error:` (progress lines of `index` aside), no traceback."""
    assert result.exit_code != 0 if code is None else result.exit_code == code, result.output
    lines = [line for line in result.output.strip().splitlines() if not line.startswith("Reading files")]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return lines[0]


# ---- CLI ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, fragment, code", [
    (["search", ""], "query is empty", 1),
    (["search", "  \t "], "query is empty", 1),
    (["search", "rook", "-k", "0"], "Invalid value for '-k'", 2),
    (["search", "rook", "-k", "-5"], "Invalid value for '-k'", 2),
    (["search", "rook", "-k", "99999999999999999999999"], "Invalid value for '-k'", 2),
    (["search", "rook", "-k", "many"], "Invalid value for '-k'", 2),
    (["search", "rook", "--bogus"], "No such option: --bogus", 2),
    (["search"], "Missing argument", 2),
    (["nosuchcommand"], "No such command", 2),
    (["index", "/no/such/folder", "--embedder", "fake"], "no such file or folder", 1),
    (["index", "--embedder", "nope"], "unknown embedder 'nope'", 1),
    (["serve", "--port", "70000"], "Invalid value for '--port'", 2),
    (["eval", "/no/such.jsonl"], "does not exist", 2),
    (["info"], "podquote index", 1),
])
def test_cli_bad_input_is_one_line(tmp_path, args, fragment, code):
    result = runner.invoke(cli, [*args, "--index", str(tmp_path / "none")])
    assert fragment in one_line_error(result, code)


def test_cli_usage_error_in_a_real_process_is_one_line(tmp_path):
    import subprocess

    podquote = Path(sys.executable).parent / "podquote"  # the console script pip installed
    result = subprocess.run([str(podquote), "search", "rook", "-k", "0", "--index", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "Error: Invalid value for '-k' / '--top': Input should be greater than or equal to 1 "
        "(see podquote search --help)"]


def test_help_stays_rich():
    result = runner.invoke(cli, ["search", "--help"])
    assert result.exit_code == 0 and "Usage" in result.output and "Example" in result.output
    assert "╭" in result.output  # the boxed rich layout
    assert "Usage" in runner.invoke(cli, []).output


def test_folder_with_no_source_files(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cover.png").write_bytes(b"\x89PNG")
    (folder / ".hidden.md").write_text("# hidden\n\n\"Not read,\" said Nobody.\n")
    line = one_line_error(runner.invoke(cli, ["index", str(folder), "--index", str(tmp_path / "i"), "--embedder", "fake"]), 1)
    assert "no file to index there" in line and str(folder) in line
    assert not (tmp_path / "i" / "CURRENT").exists()


def test_folder_of_unreadable_files(tmp_path, monkeypatch):
    """Tests run as root, where chmod 000 does not stop a read: a FIFO, a folder named like a file and a file
    whose reads fail (open patched to raise EACCES for it) stand in for unreadable files."""
    folder = tmp_path / "locked"
    folder.mkdir()
    os.mkfifo(folder / "pipe.md")  # reading it would block forever: it must not even be opened
    (folder / "folder.md").mkdir()
    secret = folder / "secret.md"
    secret.write_text("# Secret\n\n\"Nobody may read this,\" said Eve.\n")
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if Path(str(file)).name in ("secret.md", "pipe.md"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(Path, "read_bytes", lambda self: guarded_open(self, "rb").read())
    result = runner.invoke(cli, ["index", str(folder), "--index", str(tmp_path / "i"), "--embedder", "fake"])
    line = one_line_error(result, 1)
    assert "secret.md" in line and "Permission denied" in line and "unchanged" in line


def test_unreadable_file_beside_good_ones_is_skipped_and_reported(tmp_path, sources):
    os.mkfifo(sources / "pipe.md")
    (sources / "folder.md").mkdir()
    result = runner.invoke(cli, ["index", str(sources), "--index", str(tmp_path / "i"), "--embedder", "fake"])
    assert result.exit_code == 0, result.output
    assert "passages from 2 files" in result.output


def test_index_folder_that_is_a_file(tmp_path, sources):
    target = tmp_path / "a-file"
    target.write_text("x")
    line = one_line_error(runner.invoke(cli, ["index", str(sources), "--index", str(target), "--embedder", "fake"]), 1)
    assert str(target) in line


# ---- API ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shared_index(tmp_path_factory):
    """One index for the API tests below, which only read it."""
    from helpers import write_example_sources

    sources = write_example_sources(tmp_path_factory.mktemp("api-sources"))
    root = tmp_path_factory.mktemp("api-index") / "index"
    build_index(root, [sources], embedder="fake")
    return root


@pytest.fixture
def client(shared_index):
    app = create_app(shared_index, reload_interval=None)
    with TestClient(app) as client:
        yield client
    assert app.state.internal_errors == 0  # none of the bad input reached the last-resort handler


@pytest.mark.parametrize("path, params, fragment", [
    ("/search", {"q": "x", "foo": "1"}, "Unknown query parameter 'foo'"),
    ("/search", {"q": "x", "speker": "Watts"}, "Unknown query parameter 'speker'"),
    ("/facets", {"limit": "5"}, "Unknown query parameter 'limit'"),
    ("/passages/abc", {"x": "1"}, "Unknown query parameter 'x'"),
    ("/search", {"q": "x" * 1001}, "at most 1000 characters"),
    ("/search", {"q": ""}, "at least 1 character"),
    ("/search", {"q": "\t\r\n "}, "query is empty"),
    ("/search", {"q": "x", "k": "0"}, "greater than or equal to 1"),
    ("/search", {"q": "x", "k": "101"}, "less than or equal to 100"),
    ("/search", {"q": "x", "k": "99999999999999999999999"}, "less than or equal to 100"),
    ("/search", {"q": "x", "k": "1e3"}, "valid integer"),
    ("/search", {"q": "x", "k": "-1"}, "greater than or equal to 1"),
    ("/search", {"q": "x", "context": "11"}, "less than or equal to 10"),
    ("/search", {"q": "x", "speaker": "s" * 201}, "at most 200 characters"),
    ("/search", {"q": "x", "episode": "e" * 201}, "at most 200 characters"),
    ("/search", {"q": "x", "show": "s" * 201}, "at most 200 characters"),
    ("/search", {"q": "x", "source": "s" * 201}, "at most 200 characters"),
    ("/search", {"q": "x", "speaker": ""}, "at least 1 character"),
    ("/search", {"q": "x", "lang": "klingon"}, "'zh', 'en' or 'other'"),
    ("/search", {"q": "x", "date_from": "yesterday"}, "should match pattern"),
    ("/search", {"q": "x", "collapse": "maybe"}, "valid boolean"),
    ("/passages/" + "a" * 65, {}, "at most 64 characters"),
])
def test_api_bad_parameters_are_422_with_the_reason(client, path, params, fragment):
    response = client.get(path, params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert isinstance(body["detail"], str) and fragment in body["detail"], body
    assert isinstance(body["errors"], list) and body["errors"]


@pytest.mark.parametrize("params", [
    {"q": "\x00 storage"}, {"q": "storage", "speaker": "\x00"}, {"q": "😀" * 1000}, {"q": "\ud800".encode(
        "utf-8", "surrogatepass").decode("latin-1")}, {"q": "' OR 1=1 --"}, {"q": "\"unbalanced AND ( NEAR"},
    {"q": "storage", "source": "../../etc/passwd"}, {"q": "storage", "speaker": "%"}, {"q": "*"},
    {"q": "storage", "k": "100", "context": "10"},
])
def test_api_odd_but_valid_input_is_answered(client, params):
    response = client.get("/search", params=params)
    assert response.status_code == 200, response.text
    assert "hits" in response.json()


def test_api_invalid_utf8_in_the_query_string(client):
    response = client.get("/search?q=%ff%fe%fd")
    assert response.status_code in (200, 422)


def test_api_bodies_and_sizes_are_bounded(client):
    response = client.request("GET", "/search?q=rook", content=b"x" * (MAX_BODY_BYTES + 1))
    assert response.status_code == 413
    response = client.request("GET", "/search?q=rook", headers={"content-length": "not-a-number"})
    assert response.status_code == 400
    response = client.request("GET", "/search?q=rook", headers={"content-length": str(10**12)})
    assert response.status_code == 413

    def chunks():
        for _ in range(10):
            yield b"y" * 1024

    response = client.request("POST", "/search?q=rook", content=chunks())  # streamed, no Content-Length
    assert response.status_code in (405, 413)
    assert client.get("/search", params={"q": "x" * (MAX_QUERY_BYTES + 10)}).status_code == 414
    assert client.get("/passages/" + "a" * 5000).status_code == 414
    assert client.post("/search", params={"q": "rook"}).status_code == 405
    assert client.request("DELETE", "/passages/abc").status_code == 405
    # the longest valid request is not refused by the size limits
    longest = {"q": "搜" * 1000, **{name: "索" * 200 for name in ("speaker", "episode", "show", "source")}}
    assert client.get("/search", params=longest).status_code == 200


def test_api_paths_cannot_escape(client):
    assert client.get("/passages/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert client.get("/static/..%2F..%2F..%2Fpyproject.toml").status_code == 404
    assert client.get("/static/../../pyproject.toml").status_code == 404
    assert client.get("/nowhere").status_code == 404


def test_no_reindex_over_http(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert all(set(operations) == {"get"} for operations in paths.values())  # read-only API


def test_last_resort_handler_is_a_generic_500(fake_index, monkeypatch):
    app = create_app(fake_index, reload_interval=None)
    with TestClient(app, raise_server_exceptions=False) as client:
        monkeypatch.setattr(Collection, "search", lambda *a, **k: 1 / 0)
        response = client.get("/search", params={"q": "rook"})
    assert response.status_code == 500 and response.json() == {"detail": "internal error"}
    assert app.state.internal_errors == 1


# ---- nothing outside the roots is read ------------------------------------------------------------------------

@pytest.fixture
def fenced(tmp_path):
    """A root with symlinks (a file, a folder) pointing outside it, and a link that stays inside."""
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "secret.md").write_text("# Secret\n\n\"The outside secret is hidden,\" said Eve.\n")
    (outside / "deep" / "deeper.md").write_text("# Deep\n\n\"The deep outside secret,\" said Eve.\n")
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "talk.md").write_text("# Talk\n\n\"Inside the fence we talk about storage,\" said Ann.\n")
    (root / "linked-folder").symlink_to(outside)
    (root / "sub" / "linked-file.md").symlink_to(outside / "secret.md")
    (root / "sub" / "dotdot.md").symlink_to(Path("..") / ".." / "outside" / "deep" / "deeper.md")
    (root / "sub" / "inside-link.md").symlink_to(root / "talk.md")
    return root, outside


def _opened_under(directory: Path, action) -> list[str]:
    opened: list[str] = []
    prefix = str(directory.resolve())

    def hook(event, args):
        if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
            path = os.fsdecode(args[0])
            if os.path.realpath(path).startswith(prefix):
                opened.append(path)

    _AUDIT.append(hook)
    try:
        action()
    finally:
        _AUDIT.remove(hook)
    return opened


_AUDIT: list = []
sys.addaudithook(lambda event, args: [hook(event, args) for hook in list(_AUDIT)])


def test_walk_skips_links_that_leave_the_root(fenced):
    root, _ = fenced
    found = sorted(f.source for f in walk_root("r", root))
    assert found == ["r/sub/inside-link.md", "r/talk.md"]
    assert all(".." not in f.source for f in walk_root("r", root / "sub" / ".."))


def test_indexing_never_opens_a_file_outside_the_roots(fenced, tmp_path, fake):
    root, outside = fenced
    index = tmp_path / "index"
    assert _opened_under(outside, lambda: build_index(index, [root], embedder="fake")) == []
    collection = Collection.open(index)
    assert "Eve" not in {h.passage.speaker for h in collection.search("outside secret hidden deep", k=20)}
    assert _opened_under(outside, lambda: build_index(index, embedder="fake")) == []  # the update, too


def test_root_given_with_dotdot_is_resolved_and_labelled_without_it(fenced, tmp_path, fake):
    root, outside = fenced
    index = tmp_path / "index"
    build_index(index, [root / "sub" / ".."], embedder="fake")
    sources = Collection.open(index).metadata.sources()
    assert sources and all(".." not in name for name in sources)
    assert set(Collection.open(index).manifest.roots.values()) == {str(root.resolve())}


def test_a_tampered_source_list_is_not_followed(fenced, tmp_path, fake):
    """Paths recorded in an index are never read back: only the roots are walked again."""
    root, outside = fenced
    index = tmp_path / "index"
    build_index(index, [root], embedder="fake")
    shutil.copy(outside / "secret.md", outside / "planted.md")
    collection = Collection.open(index)
    db = collection.metadata.path
    collection.close()
    import sqlite3

    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE sources SET path = ?", (str(outside / "planted.md"),))
    # the edited database no longer matches its checksum: the update refuses it and rebuilds from the roots
    assert _opened_under(outside, lambda: build_index(index, embedder="fake")) == []
