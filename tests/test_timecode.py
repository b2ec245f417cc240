"""Timestamps and links to moments."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from podquote.timecode import format_timecode, media_fragment, parse_timecode


@pytest.mark.parametrize(
    "text, seconds",
    [("4:30", 270), ("27:47", 1667), ("1:02:03.5", 3723.5), ("100:08", 6008), ("00:12:34:12", 754), ("0:00:08.7", 8.7)],
)
def test_parse(text, seconds):
    assert parse_timecode(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["", "4", "unintelligible 01:53", "1:2:3:4:5", "ab:cd"])
def test_parse_refuses_non_timestamps(bad):
    with pytest.raises(ValueError):
        parse_timecode(bad)


@given(st.integers(min_value=0, max_value=100 * 3600))
def test_format_then_parse_round_trip(seconds):
    assert parse_timecode(format_timecode(seconds)) == seconds


def test_links_to_a_moment():
    assert media_fragment("https://changelog.com/podcast/375", 239.9) == "https://changelog.com/podcast/375#t=239"
    assert media_fragment("https://a.example/ep.mp3#t=5", 7) == "https://a.example/ep.mp3#t=7"
    assert media_fragment("https://www.youtube.com/watch?v=42FP22MpdxM", 105) == (
        "https://www.youtube.com/watch?v=42FP22MpdxM&t=105")
    assert media_fragment("https://youtu.be/abc?t=5", 7) == "https://youtu.be/abc?t=7"
    assert media_fragment(None, 5) is None and media_fragment("https://x.example/", None) == "https://x.example/"
