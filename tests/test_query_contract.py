"""One query contract (podquote.query): the same bad request gets the same reason from `podquote search` and from
GET /search, and that reason is the one the core gives a library caller."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from helpers import write_example_sources
from podquote import Collection, Filters, InvalidQuery, build_index
from podquote.api.app import create_app
from podquote.cli import app as cli
from podquote.filtering import AmbiguousFilter, FilterMatchesNothing
from podquote.query import EMPTY_QUERY, MAX_CONTEXT, MAX_K, InvalidParameter, SearchRequest

runner = CliRunner()
HELP_HINT = " (see podquote search --help)"  # after a usage error typer found itself

# (what the CLI is given, what the API is given, what the core is given; the CLI's exit code, the API's status)
BAD_REQUESTS = {
    "bad language": (["rook", "--lang", "klingon"], {"q": "rook", "lang": "klingon"},
                     dict(query="rook", filters=Filters(lang="klingon")), 2, 422),
    "bad from date": (["rook", "--from", "yesterday"], {"q": "rook", "from": "yesterday"},
                      dict(query="rook", filters=Filters(date_from="yesterday")), 2, 422),
    "empty from date": (["rook", "--from", ""], {"q": "rook", "from": ""},
                        dict(query="rook", filters=Filters(date_from="")), 2, 422),
    "bad to date": (["rook", "--to", "2024-5"], {"q": "rook", "to": "2024-5"},
                    dict(query="rook", filters=Filters(date_to="2024-5")), 2, 422),
    "k too small": (["rook", "-k", "0"], {"q": "rook", "k": 0}, dict(query="rook", k=0), 2, 422),
    "k too large": (["rook", "-k", str(MAX_K + 1)], {"q": "rook", "k": MAX_K + 1},
                    dict(query="rook", k=MAX_K + 1), 2, 422),
    "empty query": (["  \t "], {"q": "  \t "}, dict(query="  \t "), 1, 422),
    "context too large": (["rook", "--context", str(MAX_CONTEXT + 1)], {"q": "rook", "context": MAX_CONTEXT + 1},
                          dict(query="rook", context=MAX_CONTEXT + 1), 2, 422),
    "negative context": (["rook", "--context", "-1"], {"q": "rook", "context": -1},
                         dict(query="rook", context=-1), 2, 422),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    folder = write_example_sources(tmp_path_factory.mktemp("sources"))
    (folder / "backups.md").write_text("# Backup talk\n\n\"Restore drills matter more than backups,\" said Carol.\n",
                                       encoding="utf-8")
    root = tmp_path_factory.mktemp("index") / "index"  # its own: basetemp/index is shared by every module
    build_index(root, [folder], embedder="fake")
    return root


@pytest.fixture(scope="module")
def client(index):
    with TestClient(create_app(index, reload_interval=None)) as client:
        yield client


def cli_error(index, args: list[str], code: int) -> str:
    """The one `Error: ...` line the CLI prints, without its prefix."""
    result = runner.invoke(cli, ["search", *args, "--index", str(index)])
    assert result.exit_code == code, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0].removeprefix("Error: ")


def core_reason(request: dict) -> str:
    """What the core says of the request: the reason alone for one bad parameter, else the whole message."""
    with pytest.raises(InvalidQuery) as raised:
        SearchRequest.checked(**request)
    return raised.value.reason if isinstance(raised.value, InvalidParameter) else str(raised.value)


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_the_cli_and_the_api_refuse_a_bad_request_with_the_cores_reason(index, client, case):
    cli_args, api_params, core_request, exit_code, status = BAD_REQUESTS[case]
    reason = core_reason(core_request)
    from_cli = cli_error(index, cli_args, exit_code)
    response = client.get("/search", params=api_params)
    assert response.status_code == status, response.text
    from_api = response.json()["detail"]
    # Each names the parameter its own way (`--lang: `, `Invalid value for '-k' / '--top': `, `lang: `).
    assert said(reason, from_cli) and said(reason, from_api), (from_cli, from_api, reason)


def said(reason: str, message: str) -> bool:
    """`message` is `reason`, after the name of a parameter and before a pointer to --help if any."""
    return message == reason or f": {reason}" in message and message.split(f": {reason}")[1] in ("", HELP_HINT)


def test_a_parameter_is_named_as_each_client_names_it(index, client):
    reason = core_reason(dict(query="rook", filters=Filters(lang="klingon")))
    assert cli_error(index, ["rook", "--lang", "klingon"], 2) == f"--lang: {reason}"
    assert client.get("/search", params={"q": "rook", "lang": "klingon"}).json()["detail"] == f"lang: {reason}"
    assert "klingon" in reason and "'zh', 'en' or 'other'" in reason


def test_an_empty_query_is_one_message_everywhere(index, client):
    assert cli_error(index, ["   "], 1) == EMPTY_QUERY
    assert client.get("/search", params={"q": "   "}).json()["detail"] == f"query: {EMPTY_QUERY}"
    with pytest.raises(InvalidQuery, match="query is empty"):
        Collection.open(index).search("   ")


@pytest.mark.parametrize("option, value, refused", [
    ("episode", "talk", AmbiguousFilter),  # "Storage talk" and "Backup talk"
    ("show", "no such show", FilterMatchesNothing),
    ("speaker", "Zelda", FilterMatchesNothing),
])
def test_a_filter_the_index_cannot_answer_is_explained_in_the_same_words(index, client, option, value, refused):
    """Ambiguous: refused by both. Matching nothing: the CLI's error is the API's notice, beside no hits."""
    collection = Collection.open(index)
    filters = Filters(**{option: value})
    with pytest.raises(refused) as raised:
        if not collection.search("talk", filters=filters):
            collection.why_empty(filters)
    message = str(raised.value)
    assert cli_error(index, ["talk", f"--{option}", value], 1) == message
    response = client.get("/search", params={"q": "talk", option: value})
    if refused is AmbiguousFilter:
        assert response.status_code == 422 and response.json()["detail"] == message
    else:
        assert response.status_code == 200 and response.json()["notice"] == message
        assert response.json()["hits"] == []
