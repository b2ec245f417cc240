"""Response models: the same hit shape as `podquote search --json`."""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field


class ContextPassage(BaseModel):
    id: str
    text: str
    speaker: Optional[str]
    kind: str
    start: Optional[float]
    url: Optional[str]


class Context(BaseModel):
    before: list[ContextPassage]
    after: list[ContextPassage]


class HitOut(BaseModel):
    id: str
    text: str
    speaker: Optional[str]
    title: Optional[str]
    source: str
    kind: str
    lang: str
    start: Optional[float]
    url: Optional[str]
    score: float
    highlight: list[int] = Field(description="[start, end) characters of the best-matching sentences in text")
    end: Optional[float]
    episode: Optional[str]
    show: Optional[str]
    date: Optional[str]
    collapsed: list[str] = Field(description="ids of near-duplicate passages from the same moment, folded in here")
    context: Optional[Context] = Field(None, description="neighbouring passages, when context > 0 was asked")


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


class HealthOut(BaseModel):
    status: str
    passages: int
    embedder: str
    generation: str


class ErrorOut(BaseModel):
    detail: str
