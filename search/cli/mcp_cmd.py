"""`podquote mcp`: the index as an MCP server, for AI assistants (podquote.mcp)."""

from __future__ import annotations

import contextlib
import sys
from typing import Annotated, Optional

import typer

from .common import DEFAULT_INDEX, IndexOption, console, errors_to_exit, fail
from .serve_cmd import check_port_free, log_to_stderr

INSTALL_HINT = "podquote mcp needs the MCP SDK, an optional extra: pip install 'podquote[mcp]'"


def register(app: typer.Typer) -> None:
    app.command("mcp")(errors_to_exit(mcp))


def mcp(
    index_dir: IndexOption = DEFAULT_INDEX,
    http: Annotated[Optional[int], typer.Option(
        "--http", min=1, max=65535, metavar="PORT",
        help="Serve streamable HTTP on http://127.0.0.1:PORT/mcp instead of stdio.")] = None,
) -> None:
    """Let an AI assistant search the index: an MCP (Model Context Protocol) server with the tools
    search_quotes, get_passage, list_speakers, list_shows and list_episodes.

    By default it speaks MCP over stdin/stdout: the assistant starts this command itself. Add it to the
    client's configuration, e.g. Claude Desktop's claude_desktop_config.json:

      {"mcpServers": {"podquote": {"command": "podquote", "args": ["mcp", "--index", "/path/to/index"]}}}

    (use the full path of podquote, e.g. ~/.venv/bin/podquote, if the client does not see your PATH). Then ask
    it "what did Watts say about Crossplane?": it answers with verbatim quotes, speakers, dates and links.

    With --http PORT it serves streamable HTTP on 127.0.0.1 only, for clients that connect to a URL:
    http://127.0.0.1:PORT/mcp.

    The index is opened once; a rebuilt index (podquote index on the same folder) is picked up within about a
    second, without a restart. Needs the optional extra: pip install 'podquote\\[mcp]'.

    Examples:

      podquote mcp --index ~/pq-index

      podquote mcp --index ~/pq-index --http 8765
    """
    try:
        from ..mcp.server import create_server
    except ImportError as exc:
        if (exc.name or "").split(".")[0] != "mcp":
            raise  # one of podquote's own imports: a bug, not a missing extra
        fail(INSTALL_HINT)
    from ..api.reload import CollectionHolder
    from ..store import clean_if_idle

    if http:
        check_port_free("127.0.0.1", http, "--http")  # before the index is read (seconds on a large one)
    log_to_stderr("podquote %(levelname)s: %(message)s")  # MCP clients keep stderr as the server's log
    clean_if_idle(index_dir)  # what a killed build left behind, unless a build is running now
    holder = CollectionHolder(index_dir)
    with contextlib.redirect_stdout(sys.stderr):  # on stdio, stdout is the protocol's: nothing else may print there
        collection = holder.open()  # every file checked against its manifest: a damaged index is one line here
    where = f"http://127.0.0.1:{http}/mcp" if http else "stdio"
    console(stderr=True).print(f"podquote MCP server for {index_dir} ({len(collection):,} passages) on {where}")
    server = create_server(holder)
    holder.start()
    try:
        if http:
            server.run("streamable-http", host="127.0.0.1", port=http)
        else:
            server.run("stdio")
    finally:
        holder.stop()
