"""Every reader, fed mangled versions of its own format: a document or UnreadableSource, never a crash."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podquote.errors import UnreadableSource
from podquote.passage import Episode
from podquote.readers import readers
from podquote.segment import MAX_CHARS

# Fragments of every format the readers know, to be shuffled into near-misses of each.
_FRAGMENTS = [
    "---\n", "title: x\n", "num: 'S01E01'\n", "date: 2021-13-45\n", "hosts:\n", "    - name: Jo Be\n", "link: h\n",
    "WEBVTT\n\n", "00:00:01.000 --> 00:00:02.000\n", "00:00:0x.000 --> \n", "<v Jo Be>", "</v>", "&amp;",
    "1\n", "00:00:01,000 --> 00:00:02,000\n", "00:00:05,000 --> 00:00:02,000\n",
    '{"segments": [', '{"start": 1, "end": 2, "text": "hi"}', '{"start": NaN, "text": "x"}', "]}", ",",
    "**Jo Be:** ", "**Break:** ", "\\[12:34\\] ", "\\[laughs\\] ", "\\[00: .25\\]", "[00:12:34.56] ", "[0:00:08.7] CC: ",
    "[INTERVIEW]\n", "EPISODE 009\n", "## 时间线\n", "* 12:34 话题\n", "99:99 x\n", "00:00:12 <v A>hi\n",
    "Rook runs Ceph. ", "存储很重要。", "\n", "\n\n", " ", "\x1d", "\ufeff", "e.g. ", "…", "[", "]", "(", ")",
]
_TEXT = st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=60).map("".join)
_PATHS = ["podcast/the-changelog-1.md", "_episodes/001-x.md", "talk-python/1-x.vtt", "a.txt", "a.srt",
          "a.json", "opensource-f2f/shownotes/S01E01.md", "n.md"]


# The article reader is tested by its own owners (tests/test_article_reader.py); these are the transcript readers.
TRANSCRIPT_READERS = [r for r in readers() if r.name != "article"]


@pytest.mark.parametrize("reader", TRANSCRIPT_READERS, ids=lambda r: r.name)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_TEXT, where=st.sampled_from(_PATHS))
def test_mangled_input_is_read_or_refused_with_a_reason(reader, text, where):
    path = PurePosixPath(where)
    reader.sniff(text, path)  # sniffing never fails either
    try:
        document = reader.read(text, Episode(source=where), path)
    except UnreadableSource as exc:
        assert str(exc) and "\n" not in str(exc)  # a one-line reason
        return
    for passage in document.passages:
        assert passage.text and len(passage.text) <= MAX_CHARS
        assert 0 <= passage.char_start <= passage.char_end <= len(text)
