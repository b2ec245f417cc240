"""Timestamps as they appear in show notes and transcripts, to seconds and back."""

from __future__ import annotations

import re

_TIME = re.compile(r"^\d{1,3}(?::\d{1,2}){1,3}(?:[.,]\d+)?$")


def parse_timecode(value: str) -> float:
    """'4:30' -> 270, '1:02:03.5' -> 3723.5, '100:08' -> 6008, 'HH:MM:SS:FF' (frames) -> seconds.

    Two parts are MM:SS, three HH:MM:SS(.cc), four HH:MM:SS:FF; frames are dropped because the rate is unknown
    and a second of error does not matter for a link to the moment.
    """
    value = value.strip()
    if not _TIME.match(value):
        raise ValueError(f"not a timestamp: {value!r}")
    parts = value.replace(",", ".").split(":")
    if len(parts) == 4:
        parts = parts[:3]
    seconds = float(parts[-1])
    minutes = int(parts[-2])
    hours = int(parts[-3]) if len(parts) == 3 else 0
    return hours * 3600 + minutes * 60 + seconds


def format_timecode(seconds: float | None) -> str:
    if seconds is None:
        return ""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


_VIDEO_HOSTS = re.compile(r"^https?://(?:www\.|m\.)?(?:youtube\.com|youtu\.be|vimeo\.com)/", re.I)


def media_fragment(url: str | None, seconds: float | None) -> str | None:
    """A link to a moment: the W3C media-fragment form `#t=SECONDS`, which audio players and pages understand,
    except on video sites that read the start time from the query string instead (`?t=SECONDS`)."""
    if not url or seconds is None:
        return url
    base = url.split("#", 1)[0]
    if _VIDEO_HOSTS.match(base):
        base = re.sub(r"([?&])t=[^&]*&?", r"\1", base).rstrip("?&")
        return f"{base}{'&' if '?' in base else '?'}t={int(seconds)}"
    return f"{base}#t={int(seconds)}"
