"""`podquote serve`: the HTTP API (and its OpenAPI docs) with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import DEFAULT_INDEX, IndexOption, console, errors_to_exit


def register(app: typer.Typer) -> None:
    app.command("serve")(errors_to_exit(serve))


def serve(
    index_dir: IndexOption = DEFAULT_INDEX,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Serve the search API: GET /search?q=..., /passages/{id}, /healthz; docs at /docs.

    Example: podquote serve --index ~/pq-index --port 8080
    """
    import uvicorn

    from ..api.app import create_app
    from ..collection import Collection

    from ..generations import clean_if_idle

    clean_if_idle(index_dir)  # what a killed build left behind, unless a build is running now
    # Every file hashed against the manifest, here, so a damaged index is one clear line rather than a server
    # that starts and then fails requests.
    collection = Collection.open(index_dir, verify=True)
    console(stderr=True).print(f"Serving {index_dir} on http://{host}:{port} (docs at /docs)")
    uvicorn.run(create_app(index_dir, collection), host=host, port=port, log_level="info")
