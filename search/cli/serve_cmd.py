"""`podquote serve`: the HTTP API (and its OpenAPI docs) with uvicorn."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .common import DEFAULT_INDEX, IndexOption, console, errors_to_exit, fail


def register(app: typer.Typer) -> None:
    app.command("serve")(errors_to_exit(serve))


def serve(
    index_dir: IndexOption = DEFAULT_INDEX,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    cache_mb: Annotated[float, typer.Option(
        "--cache-mb", min=0, max=4096, help="Memory for answers to repeated searches (0: no cache).")] = 64,
) -> None:
    """Serve the search API: GET /search?q=..., /passages/{id}, /healthz; docs at /docs.

    A new index generation (podquote index or scripts/reindex.py on the same folder) is served within about a
    second, without a restart and without failing a request.

    Example: podquote serve --index ~/pq-index --port 8080
    """
    check_port_free(host, port)  # before the index is read (seconds on a large one) and "Serving" is printed
    import uvicorn

    from ..api.app import create_app
    from ..collection import Collection
    from ..store import clean_if_idle

    log_to_stderr("%(levelname)s:     %(message)s")
    clean_if_idle(index_dir)  # what a killed build left behind, unless a build is running now
    # Every file hashed against the manifest, here, so a damaged index is one clear line rather than a server
    # that starts and then fails requests.
    collection = Collection.open(index_dir, verify=True, preload=True)
    console(stderr=True).print(f"Serving {index_dir} on http://{host}:{port} (docs at /docs)")
    # Keep-alive longer than clients keep idle connections (httpx, requests and browsers: 5-60 s), so the client
    # closes first: a server closing at the moment a client reuses the connection fails that request.
    uvicorn.run(create_app(index_dir, collection, cache_mb=cache_mb), host=host, port=port, log_level="info",
                timeout_keep_alive=75)


def check_port_free(host: str, port: int, option: str = "--port") -> None:
    """One clear line and exit 1 when uvicorn could not listen on host:port, rather than its error after "Serving
    on". Tries every address the host resolves to, as uvicorn's listener (asyncio's create_server) binds them.
    `option`: the one that picks the port (`podquote mcp` takes it as --http)."""
    import errno
    import socket

    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        fail(f"cannot listen on {host}: {exc.strerror}; pick another with --host")
    for family, kind, proto, _, address in addresses:
        try:
            _try_bind(socket.socket(family, kind, proto), address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(f"port {port} on {host} is in use; pick another with {option}")
            fail(f"cannot listen on port {port} on {host}: {exc.strerror}")


def _try_bind(probe, address) -> None:
    """Bind and let go at once (the port is uvicorn's to take), with the options create_server sets: SO_REUSEADDR,
    so a port in TIME_WAIT after a server just stopped counts as free; IPV6_V6ONLY, so an IPv4 listener on the
    same port does not make an IPv6 address look busy."""
    import socket

    with probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if probe.family == socket.AF_INET6:
            probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        probe.bind(address)


def log_to_stderr(line_format: str) -> None:
    """podquote's own log lines (a new generation served or refused, a last-resort error) on stderr, beside
    uvicorn's (serve) or where MCP clients keep a server's log (mcp)."""
    import logging

    logger = logging.getLogger("podquote")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(line_format))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
