"""`podquote mcp` driven by the official MCP SDK's own client: the real command in a subprocess, over stdio and over
streamable HTTP on 127.0.0.1, on real indexes built with the fake embedder (one Podlets episode and a dated
开源面对面 show note from ../shared/corpus, plus the tests' usual two articles)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from helpers import CORPUS, write_example_sources
from podquote import build_index
from podquote.query import EMPTY_QUERY

PODQUOTE = Path(sys.executable).with_name("podquote")  # the installed command, as a client configuration names it
TOOLS = {"search_quotes", "get_passage", "list_speakers", "list_shows", "list_episodes"}
HIT_KEYS = {"id", "text", "speaker", "show", "episode", "date", "start", "link", "score"}
NEW_QUOTE = "# Garden\n\n\"Gardening teaches patience better than any course,\" said Una.\n"


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> Path:
    import fake_embedder  # noqa: F401  (conftest registers it too; a module fixture may run before it is imported)

    folder = write_example_sources(tmp_path_factory.mktemp("sources"))
    shutil.copy(CORPUS / "thepodlets" / "site" / "_episodes" / "006-joe-beda.md", folder)
    shows = folder / "opensource-f2f-episode"  # the folder names the show, as in the corpus
    shows.mkdir()
    shutil.copy(CORPUS / "opensource-f2f-episode" / "shownotes" / "S03E05-daocloud.md", shows)
    root = tmp_path_factory.mktemp("index") / "index"  # its own: basetemp/index is shared by every module
    build_index(root, [folder], embedder="fake")
    return root


def stdio(index: Path) -> Client:
    # The SDK passes a server only a few safe variables (PATH, HOME...): the fake embedder's plugin is named here.
    env = {name: os.environ[name] for name in ("PODQUOTE_PLUGINS", "PYTHONPATH") if name in os.environ}
    return Client(StdioServerParameters(command=str(PODQUOTE), args=["mcp", "--index", str(index)], env=env),
                  read_timeout_seconds=60)


async def call(client: Client, tool: str, **arguments):
    """(structured result, None) or (None, the error's text)."""
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text if result.content else ""
    return (None, text) if result.is_error else (result.structured_content, None)


def cli_error(*args: str) -> str:
    """What `podquote ...` prints after "Error: " (one line on stderr)."""
    done = subprocess.run([str(PODQUOTE), *args], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and done.stderr.startswith("Error: "), done.stderr
    return " ".join(done.stderr[len("Error: "):].split())


# ---- stdio -----------------------------------------------------------------------------------------------------

def test_tools_list_with_schemas_an_assistant_can_fill_in(index):
    async def scenario():
        async with stdio(index) as client:
            return {tool.name: tool for tool in (await client.list_tools()).tools}

    tools = asyncio.run(scenario())
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert len(tool.description) > 60 and tool.input_schema["type"] == "object" and tool.output_schema
        assert tool.annotations.read_only_hint
        assert all(p.get("description") for p in tool.input_schema["properties"].values()), tool.name
    search = tools["search_quotes"].input_schema
    assert search["required"] == ["query"]
    assert set(search["properties"]) == {"query", "k", "speaker", "show", "episode", "lang", "date_from", "date_to"}
    assert search["properties"]["query"] | {"type": "string", "minLength": 1} == search["properties"]["query"]
    assert (search["properties"]["k"]["type"], search["properties"]["k"]["minimum"],
            search["properties"]["k"]["maximum"], search["properties"]["k"]["default"]) == ("integer", 1, 100, 10)
    lang = search["properties"]["lang"]["anyOf"]
    assert {"type": "string", "enum": ["zh", "en", "other"]} in lang and {"type": "null"} in lang
    assert any("pattern" in branch for branch in search["properties"]["date_from"]["anyOf"])
    passage = tools["get_passage"].input_schema
    assert passage["required"] == ["id"] and passage["properties"]["id"]["type"] == "string"
    assert (passage["properties"]["context"]["type"], passage["properties"]["context"]["maximum"]) == ("integer", 10)
    assert not tools["list_shows"].input_schema.get("required")
    assert "show" in tools["list_speakers"].input_schema["properties"]
    assert "show" in tools["list_episodes"].input_schema["properties"]


def test_search_with_filters_passage_with_context_and_the_lists(index):
    async def scenario():
        async with stdio(index) as client:
            found = await call(client, "search_quotes", query="kubernetes extensibility", k=5, speaker="beda",
                               show="podlets", lang="en")
            top = found[0]["hits"][0]
            return (found, await call(client, "get_passage", id=top["id"], context=2),
                    await call(client, "search_quotes", query="开源", date_from="2025-01", date_to="2025-12"),
                    await call(client, "list_shows"), await call(client, "list_speakers", show="PODLETS", limit=2),
                    await call(client, "list_speakers"), await call(client, "list_episodes", show="开源面对面"))

    found, passage, dated, shows, speakers, everyone, episodes = asyncio.run(scenario())
    hits = found[0]["hits"]
    assert found[1] is None and 1 <= len(hits) <= 5
    for hit in hits:
        assert HIT_KEYS <= set(hit)
        assert (hit["speaker"], hit["show"], hit["episode"]) == ("Joe Beda", "The Podlets", "podlets/6")
        assert hit["text"] and hit["start"] is not None and hit["link"].startswith("http")
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)

    body = passage[0]
    assert body["passage"]["id"] == hits[0]["id"] and body["passage"]["text"] == hits[0]["text"]
    assert 1 <= len(body["before"]) <= 2 and 1 <= len(body["after"]) <= 2  # a turn mid-episode has both sides
    ids = [t["id"] for t in body["before"]] + [body["passage"]["id"]] + [t["id"] for t in body["after"]]
    assert len(set(ids)) == len(ids) and all(t["text"] for t in body["before"] + body["after"])
    assert body["citation"].startswith(f"“{hits[0]['text']}”") and "Joe Beda" in body["citation"]

    assert dated[0]["hits"] and {h["date"] for h in dated[0]["hits"]} == {"2025-05-29"}
    assert [s["value"] for s in shows[0]["shows"]] == ["The Podlets", "开源面对面"]
    assert speakers[0]["show"] == "The Podlets" and speakers[0]["shown"] == 2 < speakers[0]["total"]
    assert speakers[0]["speakers"][0] == {"value": "Joe Beda", "passages": 123}
    assert "Alice" in {s["value"] for s in everyone[0]["speakers"]}  # no show: the whole index
    assert "Alice" not in {s["value"] for s in speakers[0]["speakers"]}
    assert [e["id"] for e in episodes[0]["episodes"]] == ["opensource-f2f/S03E05"]


def test_bad_arguments_are_tool_errors_in_the_clis_words(index):
    async def scenario():
        async with stdio(index) as client:
            answers = {
                "empty": await call(client, "search_quotes", query="   "),
                "k": await call(client, "search_quotes", query="storage", k=0),
                "lang": await call(client, "search_quotes", query="storage", lang="fr"),
                "date": await call(client, "search_quotes", query="storage", date_from="May 2024"),
                "speaker": await call(client, "search_quotes", query="storage", speaker="Nobody Atall"),
                "show": await call(client, "search_quotes", query="storage", show="no such show"),
                "passage": await call(client, "get_passage", id="0123456789abcdef"),
                "context": await call(client, "get_passage", id="0123456789abcdef", context=99),
                "limit": await call(client, "list_shows", limit=0),
                "type": await call(client, "search_quotes", query="storage", k="many"),
                "list show": await call(client, "list_episodes", show="no such show"),
            }
            return answers, await call(client, "search_quotes", query="backups", k=1)  # still answering

    answers, after = asyncio.run(scenario())
    assert all(result is None and message for result, message in answers.values()), answers
    errors = {name: message for name, (_, message) in answers.items()}
    assert errors["empty"] == EMPTY_QUERY
    assert errors["k"] == "k: Input should be greater than or equal to 1"
    lang = cli_error("search", "storage", "--lang", "fr", "--index", str(index))  # "--lang: ..." (an option)
    assert "--" + errors["lang"] == lang == "--lang: 'fr' is not one of 'zh', 'en' or 'other'"
    assert errors["date"].startswith("date_from: 'May 2024' is not a date")
    speaker = cli_error("search", "storage", "--speaker", "Nobody Atall", "--index", str(index))
    assert errors["speaker"] == speaker and "matches no passage" in speaker
    show = cli_error("search", "storage", "--show", "no such show", "--index", str(index))
    assert errors["show"] == show == errors["list show"]
    assert errors["passage"] == "no passage with id '0123456789abcdef' in this index"
    assert errors["context"] == "context: Input should be less than or equal to 10"
    assert errors["limit"] == "limit: Input should be greater than or equal to 1"
    assert "k" in errors["type"] and "integer" in errors["type"]  # the SDK's own check of the schema's types
    assert after[1] is None and after[0]["hits"]


def test_a_rebuilt_index_is_followed_without_a_restart(fake_index, sources):
    async def top_speaker(client) -> str | None:
        result, error = await call(client, "search_quotes", query="gardening patience", k=1)
        assert error is None, error
        return result["hits"][0]["speaker"]

    async def scenario():
        async with stdio(fake_index) as client:
            before = await top_speaker(client)
            (sources / "garden.md").write_text(NEW_QUOTE, encoding="utf-8")
            await asyncio.to_thread(build_index, fake_index, [sources], embedder="fake")
            deadline = time.monotonic() + 20
            while (after := await top_speaker(client)) != "Una" and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            return before, after

    before, after = asyncio.run(scenario())
    assert before != "Una" and after == "Una"


# ---- streamable HTTP -------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def http_server(index):
    port = free_port()
    process = subprocess.Popen([str(PODQUOTE), "mcp", "--index", str(index), "--http", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        def listening() -> bool:
            assert process.poll() is None, process.stderr.read()
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", port)) == 0

        deadline = time.monotonic() + 60
        while not listening():
            assert time.monotonic() < deadline, "podquote mcp --http did not start listening"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_streamable_http(http_server):
    async def scenario():
        async with Client(http_server, read_timeout_seconds=60) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            return (names, await call(client, "search_quotes", query="Ceph object storage", k=3, lang="en"),
                    await call(client, "search_quotes", query="", k=3),
                    await call(client, "get_passage", id="nope"),
                    await call(client, "list_episodes", show="podlets"))

    names, found, empty, missing, episodes = asyncio.run(scenario())
    assert names == TOOLS
    assert found[0]["hits"] and all(h["lang"] == "en" and HIT_KEYS <= set(h) for h in found[0]["hits"])
    assert empty == (None, EMPTY_QUERY) and missing == (None, "no passage with id 'nope' in this index")
    assert [e["id"] for e in episodes[0]["episodes"]] == ["podlets/6"]


# ---- the command -----------------------------------------------------------------------------------------------

def test_missing_index_is_one_line_and_help_teaches_the_client_configuration(tmp_path):
    missing = tmp_path / "nope"
    assert cli_error("mcp", "--index", str(missing)).startswith(f"no index at {missing}")
    shown = subprocess.run([str(PODQUOTE), "mcp", "--help"], capture_output=True, text=True, timeout=60,
                           env={**os.environ, "COLUMNS": "200"})
    assert '"command": "podquote", "args": ["mcp", "--index", "/path/to/index"]' in shown.stdout
    assert "--http" in shown.stdout and "podquote[mcp]" in shown.stdout


def test_without_the_sdk_the_command_says_how_to_install_it(index):
    blocked = "import sys; sys.modules['mcp'] = None; from podquote.cli import main; main()"  # as if not installed
    done = subprocess.run([sys.executable, "-c", blocked, "mcp", "--index", str(index)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.strip() == (
        "Error: podquote mcp needs the MCP SDK, an optional extra: pip install 'podquote[mcp]'")
