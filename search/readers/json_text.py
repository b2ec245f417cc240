"""JSON source files (Whisper JSON, Podcasting 2.0 JSON transcripts and chapters): parsed with errors that say where
the file is broken, times read leniently, and a string value found in the file as written, for passage spans."""

from __future__ import annotations

import json
import math

from ..errors import UnreadableSource
from ..timecode import parse_timecode


def load_json(text: str, name: str) -> object:
    """The parsed JSON of a file; UnreadableSource saying where it is broken."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableSource(f"{name}: invalid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise UnreadableSource(f"{name}: invalid JSON (nested too deeply)") from None
    except ValueError as exc:  # a number of over 4,300 digits
        raise UnreadableSource(f"{name}: invalid JSON ({exc})") from None


def seconds(value: object) -> float | None:
    """A time in seconds: a finite non-negative number, or a string of one ("1.5", "00:01:02"); else None."""
    if isinstance(value, str):
        value = value.strip()
        try:
            return seconds(float(value))
        except ValueError:
            pass
        try:
            return parse_timecode(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None  # true, null, a list: JSON allows them anywhere
    try:
        value = float(value)
    except OverflowError:  # an integer too large for a float
        return None
    return value if math.isfinite(value) and value >= 0 else None


def locate(text: str, words: str, cursor: int) -> tuple[int, int]:
    """Where a string value sits in the JSON file from `cursor` on, as written (escaped either way json.dump may
    write it); (cursor, cursor) when it is not found."""
    for encoded in (json.dumps(words, ensure_ascii=False)[1:-1], json.dumps(words)[1:-1]):
        found = text.find(encoded, cursor) if encoded else -1
        if found >= 0:
            return found, found + len(encoded)
    return cursor, cursor
