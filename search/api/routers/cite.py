"""GET /passages/{id}/cite: a passage as a citation, in the formats `podquote cite` prints (podquote.citation)."""

from __future__ import annotations

from typing import Annotated, Optional

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel

from ...citation import CITATION_FORMATS, check_format, cite, render
from ..deps import CollectionDep
from ..schemas import ErrorOut

router = APIRouter(tags=["passages"])
# The format is checked by podquote.citation, in the words the CLI uses too; the schema only documents it.
FORMAT = {"enum": list(CITATION_FORMATS)}
TEXT_FORMATS = ("markdown", "text")


class CitationOut(BaseModel):
    """format=json: the citation's fields (podquote.citation.Citation)."""

    id: str
    quote: str
    speaker: Optional[str]
    show: Optional[str]
    episode_title: Optional[str]
    episode: Optional[str]
    date: Optional[str]
    start: Optional[float]
    end: Optional[float]
    link: Optional[str]
    accessed: str


# One 200 with both media types: text/plain for markdown and text, application/json for json and csl-json.
OK = {
    "description": "markdown and text: the citation to paste (text/plain); json: the citation's fields; csl-json: "
                   "an array with one CSL-JSON item (type interview or broadcast) for Zotero, pandoc or citeproc.",
    "content": {
        "text/plain": {"schema": {"type": "string"}},
        "application/json": {"schema": {"anyOf": [
            CitationOut.model_json_schema(),
            {"type": "array", "minItems": 1, "maxItems": 1, "items": {"type": "object", "required": ["id", "type"]}},
        ]}},
    },
}


@router.get("/passages/{passage_id}/cite",  # JSON by default (errors too); text/plain documented in OK
            responses={200: OK, 404: {"model": ErrorOut, "description": "No passage with this id in the index."}})
def cite_passage(
    collection: CollectionDep,
    passage_id: Annotated[str, Path(min_length=1, max_length=64, description="A passage id from a search hit.")],
    fmt: Annotated[str, Query(alias="format", json_schema_extra=FORMAT,
                              description="How to write the citation.")] = CITATION_FORMATS[0],
) -> Response:
    """The passage as a citation: its quote, speaker, episode title, show, date, time range and link to the
    moment, as Markdown or plain text to paste, as JSON, or as CSL-JSON for a reference manager."""
    check_format(fmt)  # a bad format is a 422 even for an id that does not exist
    text = render(cite(collection.passage(passage_id)), fmt)
    if fmt in TEXT_FORMATS:
        return PlainTextResponse(text)  # text/plain; charset=utf-8
    return Response(text, media_type="application/json")

