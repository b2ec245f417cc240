"""YAML front matter (`---` … `---` at the top of a Markdown file), as Jekyll sites and show-notes repos write it."""

from __future__ import annotations

import re

import yaml

from ..errors import UnreadableSource

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(?P<yaml>.*?)(?:\r?\n)?^---[ \t]*\r?$\n?", re.S | re.M)


def has_front_matter(text: str) -> bool:
    return text.startswith("---") and _FRONT_MATTER.match(text[:50_000]) is not None


def body_start(text: str) -> int:
    """Where the body starts: after the front matter if there is one, else 0. Never parses the YAML."""
    match = _FRONT_MATTER.match(text) if text.startswith("---") else None
    return match.end() if match else 0


def split_front_matter(text: str, name: str) -> tuple[dict, int]:
    """The front matter as a mapping (empty when absent) and the offset where the body starts."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, 0
    try:
        data = yaml.safe_load(match.group("yaml"))
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 2}" if where else ""
        raise UnreadableSource(f"{name}: invalid YAML front matter{line}") from None
    except (ValueError, TypeError, RecursionError) as exc:  # e.g. `date: 2021-13-45` fails in the date constructor
        raise UnreadableSource(f"{name}: invalid YAML front matter ({exc})") from None
    if data is None:
        return {}, match.end()
    if not isinstance(data, dict):
        raise UnreadableSource(f"{name}: the front matter is not a list of `key: value` fields")
    return data, match.end()


def text_field(data: dict, key: str) -> str | None:
    """A scalar field as stripped text ('' and missing are None); dates become ISO strings."""
    value = data.get(key)
    if value is None or isinstance(value, (list, dict)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    value = str(value).strip()
    return value or None
