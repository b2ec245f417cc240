"""The search page: one static HTML file, its stylesheet and its script (JavaScript modules: app.js imports the
others), all shipped in search/api/static/.

Nothing is built and nothing is fetched from elsewhere at run time; the page calls the JSON API (/search,
/facets, /passages/{id} and its /cite) from the browser. Only the files in the static folder are served, by
exact name. `/?passage=ID` is a moment link: the page opens that passage with its context.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Defence in depth: the page builds its DOM with textContent only, and even so runs no script but its own.
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(tags=["page"])
# HEAD as well as GET: uptime checks and `curl -I` ask with HEAD, and FastAPI (unlike Starlette) does not add it.
# FileResponse answers a HEAD with the GET's headers and no body.
_GET_HEAD = ["GET", "HEAD"]


def _file(name: str) -> FileResponse:
    path = STATIC / name
    if "/" in name or name.startswith(".") or path.suffix not in _TYPES or not path.is_file():
        raise HTTPException(status_code=404, detail=f"no static file {name!r}")
    return FileResponse(path, media_type=_TYPES[path.suffix], headers=_HEADERS)


@router.api_route("/", methods=_GET_HEAD, include_in_schema=False)
def index() -> FileResponse:
    """The search page; a query in the URL (?q=...&speaker=...) runs on load, a passage (?passage=ID) opens."""
    return _file("index.html")


@router.api_route("/static/{name}", methods=_GET_HEAD, include_in_schema=False)
def static(name: str) -> FileResponse:
    return _file(name)
