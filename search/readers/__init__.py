"""Source readers, one module per format, and the choice of reader for a file.

A reader is chosen by what the text looks like, with the file extension as a hint, so a Markdown article saved
as `.txt` is still read as an article.

Formats: Markdown articles (`article`), Changelog-style `**Name:**` transcripts (`changelog`), The Podlets'
`[0:00:08.7] XX:` transcripts (`podlets`), show notes with a chapter timeline (`shownotes`), WebVTT (`webvtt`)
and its `HH:MM:SS <v Name>` cue-text twin (`cue-text`), SRT (`srt`), Whisper JSON (`whisper-json`), the
Podcasting 2.0 feed formats (JSON transcripts `podcast-json`, HTML transcripts `html-transcript`, JSON chapters
`chapters-json`) and plain text (`text`, the fallback). Transcript readers share `turns.py` and cut quotes with
`podquote.segment`.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from ..errors import UnreadableSource
from ..feeds.episode_passages import apply_sidecar, episode_of
from ..feeds.sidecar import read_sidecar
from ..passage import Episode
from . import decoding
from .article import ArticleReader
from .base import Document, DocumentBuilder, Reader
from .changelog import ChangelogReader
from .chapters_json import ChaptersJsonReader
from .html_transcript import HtmlTranscriptReader
from .plain import PlainTextReader
from .podcast_json import PodcastJsonReader
from .podlets import PodletsReader
from .shownotes import ShowNotesReader
from .srt_reader import SrtReader
from .webvtt_reader import CueTextReader, WebVTTReader, is_cue_twin
from .whisper_json import WhisperJsonReader

# Transcript readers claim their formats by content (a sniff near 0.9 or above); the article reader stays the
# choice for a Markdown article and plain text the fallback for anything else.
# Raised whenever a reader's output changes: an index built by older readers re-reads its files on the next
# update (unchanged text keeps its embeddings, by content hash), so reader fixes reach existing indexes.
READERS_VERSION = 8  # 8: Passage.marks (the times inside a passage); 7: Podcasting 2.0 JSON/HTML transcripts and chapters
_READERS: list[Reader] = [
    ArticleReader(),
    PlainTextReader(),
    ChangelogReader(),
    PodletsReader(),
    ShowNotesReader(),
    WebVTTReader(),
    CueTextReader(),
    SrtReader(),
    WhisperJsonReader(),
    PodcastJsonReader(),
    HtmlTranscriptReader(),
    ChaptersJsonReader(),
]

# A reader whose extension matches the file gets this much added to its sniff score.
_EXTENSION_HINT = 0.25
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def register_reader(reader: Reader) -> None:
    """Add a reader; a later reader with the same name replaces the earlier one."""
    _READERS[:] = [r for r in _READERS if r.name != reader.name] + [reader]


def readers() -> list[Reader]:
    return list(_READERS)


def choose_reader(text: str, path: PurePosixPath) -> Reader:
    suffix = path.suffix.lower()

    def score(reader: Reader) -> float:
        return reader.sniff(text, path) + (_EXTENSION_HINT if suffix in reader.extensions else 0.0)

    return max(_READERS, key=score)


def decode_text(data: bytes, name: str) -> tuple[str, list[str]]:
    """A file's text, and a warning when it was not UTF-8 (podquote.readers.decoding)."""
    if not data.strip():
        raise UnreadableSource(f"{name}: the file is empty")
    text, warnings = decoding.decode_text(data, name)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Control characters (U+001D in a Go Time transcript) are dropped; a regex is ~4x faster than translate.
    return (_CONTROL.sub("", text) if _CONTROL.search(text) else text), warnings


def decode_source(data: bytes, name: str) -> str:
    """`decode_text` for callers that show no warnings."""
    return decode_text(data, name)[0]


def read_document(path: Path, source: str) -> tuple[str, Document]:
    """Read one file into passages; returns the format name and the document (with its warnings)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableSource(f"{path}: cannot read ({exc.strerror})") from None
    text, warnings = decode_text(data, str(path))
    rel = PurePosixPath(source)
    reader = choose_reader(text, rel)
    # A file taken from a feed has the feed's word on its episode beside it (podquote.feeds.sidecar).
    sidecar = read_sidecar(path)
    document = reader.read(text, episode_of(source, sidecar) if sidecar else Episode(source=source), rel)
    if sidecar:
        apply_sidecar(document.passages, sidecar)
    document.warnings[:0] = warnings
    return reader.name, document


__all__ = [
    "Document",
    "DocumentBuilder",
    "Reader",
    "choose_reader",
    "decode_source",
    "decode_text",
    "is_cue_twin",
    "read_document",
    "readers",
    "register_reader",
]
