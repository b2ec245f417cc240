"""Response models. A hit is built from podquote.hits' field tables: the same shape as `podquote search --json`."""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field, create_model

from ..hits import CONTEXT_DESCRIPTION, CONTEXT_FIELDS, HIT_FIELDS

ContextPassage = create_model("ContextPassage", **{name: (kind, ...) for name, kind in CONTEXT_FIELDS.items()})


class Context(BaseModel):
    before: list[ContextPassage]
    after: list[ContextPassage]


HitOut = create_model(
    "HitOut",
    **{name: (kind, Field(description=about) if about else ...) for name, (kind, about) in HIT_FIELDS.items()},
    context=(Optional[Context], Field(None, description=CONTEXT_DESCRIPTION)),
)


class GroupOut(BaseModel):
    episode: str
    title: Optional[str]
    show: Optional[str]
    score: float
    hits: list[HitOut]


class SearchOut(BaseModel):
    query: str
    hits: list[HitOut]
    groups: Optional[list[GroupOut]] = Field(None, description="the hits by episode, when group=episode")
    notice: Optional[str] = Field(None, description="why filters that each match something left no hits together")


class PassageOut(BaseModel):
    id: str
    text: str
    kind: str
    speaker: Optional[str]
    title: Optional[str]
    episode: Optional[str]
    show: Optional[str]
    source: str
    position: int = Field(ge=0)
    lang: str
    start: Optional[float]
    end: Optional[float]
    url: Optional[str]
    date: Optional[str]
    char_start: int
    char_end: int
    context: Optional[Context] = Field(None, description=CONTEXT_DESCRIPTION)


class HealthOut(BaseModel):
    status: str
    passages: int
    embedder: str
    generation: str


class ErrorOut(BaseModel):
    detail: str
