"""Response models: the same hit shape as `podquote search --json`."""

from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field


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


class SearchOut(BaseModel):
    query: str
    hits: list[HitOut]


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
