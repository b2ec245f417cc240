"""The hit: one found passage as `podquote search --json` prints it and GET /search returns it.

The field tables below are the one statement of that shape: `Hit.to_dict` writes them, and the API's response
models (podquote.api.schemas) are built from them, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .passage import Passage
from .timecode import media_fragment

# name -> (type, what it holds, or None where the name says it); in the order a hit prints them.
HIT_FIELDS: dict[str, tuple[object, str | None]] = {
    "id": (str, None),
    "text": (str, None),
    "speaker": (Optional[str], None),
    "title": (Optional[str], None),
    "source": (str, None),
    "kind": (str, None),
    "lang": (str, None),
    "start": (Optional[float], None),
    "url": (Optional[str], None),
    "score": (float, None),
    # After the core fields: where the match is, and what a client needs to group and cite hits.
    "highlight": (list[int], "[start, end) characters of the best-matching sentences in text"),
    "moment": (Optional[float], "seconds where the best-matching sentence is said (start when not known finer)"),
    "moment_url": (Optional[str], "url, at the moment instead of the passage's start"),
    "end": (Optional[float], None),
    "episode": (Optional[str], None),
    "show": (Optional[str], None),
    "date": (Optional[str], None),
    "collapsed": (list[str], "ids of near-duplicate passages from the same moment, folded in here"),
}
# A neighbouring passage under a hit's "context" (present only when context > 0 was asked).
CONTEXT_FIELDS: dict[str, object] = {
    "id": str, "text": str, "speaker": Optional[str], "kind": str, "start": Optional[float], "url": Optional[str],
}
CONTEXT_DESCRIPTION = "neighbouring passages, when context > 0 was asked"


@dataclass
class Hit:
    passage: Passage
    score: float
    highlight: tuple[int, int] = (0, 0)  # character span of the best-matching sentence(s) in the text
    context: tuple[list[Passage], list[Passage]] | None = None  # neighbours before and after, on request
    collapsed: list[Passage] | None = None  # near-duplicates from the same moment, folded into this hit

    @property
    def moment(self) -> float | None:
        return self.passage.time_at(self.highlight[0])

    @property
    def moment_url(self) -> str | None:
        moment, passage = self.moment, self.passage
        return passage.url if moment == passage.start else media_fragment(passage.url, moment)

    def to_dict(self) -> dict:
        data = self.passage.to_dict()
        data["score"] = round(float(self.score), 6)
        data["highlight"] = list(self.highlight)
        data["moment"], data["moment_url"] = self.moment, self.moment_url
        data["collapsed"] = [p.id for p in self.collapsed or []]
        out = {name: data[name] for name in HIT_FIELDS}
        if self.context is not None:
            before, after = self.context
            out["context"] = {"before": [_neighbour(p) for p in before], "after": [_neighbour(p) for p in after]}
        return out


def _neighbour(passage: Passage) -> dict:
    data = passage.to_dict()
    return {name: data[name] for name in CONTEXT_FIELDS}


def group_by_episode(hits: list[Hit]) -> list[dict]:
    """Hits grouped by episode, groups in the order of their best hit."""
    groups: dict[str, dict] = {}
    for hit in hits:
        p = hit.passage
        key = p.episode or p.source
        group = groups.setdefault(key, {"episode": key, "title": p.title, "show": p.show, "score": round(hit.score, 6),
                                        "hits": []})
        group["hits"].append(hit.to_dict())
    return list(groups.values())
