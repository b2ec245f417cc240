"""A citation: one quote with what a reader needs to find it again, rendered for pasting or for a reference manager.

Formats: `markdown` and `text` are one paste-able string (the quote, then "— Speaker, *Episode* (Show), date,
12:34–13:05, <link>", leaving out what is unknown); `json` is the citation's fields; `csl-json` is a one-item
CSL-JSON array (the format Zotero, pandoc and citeproc read), typed `interview` when the speaker is known (the
speaker is the interviewee, so the author) and `broadcast` otherwise.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import date

from .passage import Passage
from .query import InvalidParameter
from .timecode import format_timecode

CITATION_FORMATS = ("markdown", "text", "json", "csl-json")
# "Given Family" split only when every part looks like a capitalised name; anything else ("Watts", "傅",
# "Guido van Rossum", a handle) stays one literal name, which citation styles print as it is.
_NAME_PART = re.compile(r"^[A-Z][\w'’.-]*$")
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass
class Citation:
    id: str
    quote: str
    speaker: str | None
    show: str | None
    episode_title: str | None
    episode: str | None
    date: str | None
    start: float | None
    end: float | None
    link: str | None
    accessed: str  # ISO date the quote was looked up: reference styles print it next to an online source


def cite(passage: Passage, *, quote: str | None = None, accessed: date | None = None) -> Citation:
    """The citation of `passage`, quoting `quote` (e.g. a hit's highlight) instead of the whole text when given."""
    return Citation(
        id=passage.id, quote=(quote or passage.text).strip(), speaker=passage.speaker, show=passage.show,
        episode_title=passage.title, episode=passage.episode, date=passage.date, start=passage.start,
        end=passage.end, link=passage.url, accessed=(accessed or date.today()).isoformat(),
    )


def check_format(fmt: str) -> str:
    if fmt not in CITATION_FORMATS:
        raise InvalidParameter("format", f"{fmt!r} is not one of {', '.join(CITATION_FORMATS)}")
    return fmt


def render(citation: Citation, fmt: str) -> str:
    check_format(fmt)
    if fmt == "markdown":
        quoted = "\n".join(f"> {line}".rstrip() for line in citation.quote.splitlines() or [""])
        return f"{quoted}\n\n— {source_line(citation, markdown=True)}"
    if fmt == "text":
        return f"“{citation.quote}”\n— {source_line(citation, markdown=False)}"
    if fmt == "json":
        return json.dumps(asdict(citation), ensure_ascii=False, indent=2)
    return json.dumps([csl_item(citation)], ensure_ascii=False, indent=2)


def source_line(citation: Citation, *, markdown: bool) -> str:
    """'Speaker, *Episode* (Show), date, 12:34–13:05, <link>': who, where, when, the moment, the way back."""
    title, show = citation.episode_title, citation.show
    if markdown:  # a title's own * or _ must not turn the rest of the line into emphasis
        title, show = title and f"*{_escape_markdown(title)}*", show and _escape_markdown(show)
    if title and show:
        title = f"{title} ({show})"
    elif not title:
        title = show
    link = citation.link and (f"<{citation.link}>" if markdown else citation.link)
    parts = [citation.speaker, title, citation.date, time_range(citation.start, citation.end), link]
    return ", ".join(part for part in parts if part)


def time_range(start: float | None, end: float | None) -> str:
    """'12:34–13:05' (H:MM:SS past an hour), '12:34' with no end, '' with no start."""
    if start is None:
        return ""
    if end is None or int(end) <= int(start):
        return format_timecode(start)
    return f"{format_timecode(start)}–{format_timecode(end)}"


def csl_item(citation: Citation) -> dict:
    """One CSL-JSON item (https://citeproc-js.readthedocs.io/en/latest/csl-json/markup.html)."""
    item: dict = {"id": citation.id, "type": "interview" if citation.speaker else "broadcast",
                  "title": citation.episode_title or citation.episode or citation.show or citation.id}
    if citation.speaker:
        item["author"] = [csl_name(citation.speaker)]
    if citation.show:
        item["container-title"] = citation.show
    issued = csl_date(citation.date)
    if issued:
        item["issued"] = issued
    if citation.link:
        item["URL"] = citation.link
    item["accessed"] = csl_date(citation.accessed)
    item["genre"] = "Podcast"
    item["abstract"] = citation.quote
    moment = time_range(citation.start, citation.end)
    # Zotero keeps `note` as the item's Extra field: the quote with its moment, so the item says what it cites.
    item["note"] = f"“{citation.quote}” ({moment})" if moment else f"“{citation.quote}”"
    return item


def csl_name(name: str) -> dict:
    parts = name.split()
    if 2 <= len(parts) <= 3 and all(_NAME_PART.match(part) for part in parts):
        return {"family": parts[-1], "given": " ".join(parts[:-1])}
    return {"literal": name}


def csl_date(value: str | None) -> dict | None:
    """'2025-05-29' -> {"date-parts": [[2025, 5, 29]]}; a date in another form is kept as a literal."""
    if not value:
        return None
    match = _ISO_DATE.match(value)
    if not match:
        return {"literal": value}
    return {"date-parts": [[int(part) for part in match.groups() if part]]}


def _escape_markdown(text: str) -> str:
    return re.sub(r"([\\*_`\[\]])", r"\\\1", text)
