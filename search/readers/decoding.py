"""A source file's bytes as text: UTF-8 when it is; otherwise the likeliest older encoding, with a warning.

Transcripts saved by Windows tools are often cp1252 (Windows Western), Chinese ones GBK; rejecting them loses
whole episodes for a few accented letters or curly quotes. The guess is said in a warning, so a wrong one can be
fixed by saving the file as UTF-8.
"""

from __future__ import annotations

import codecs
import re

from ..errors import UnreadableSource

_CP1252_ERRORS = "podquote-cp1252"
# Runs of bytes >= 0x80. Accented letters of a Latin-script text stand mostly alone between ASCII letters ("café");
# Chinese, Japanese, Cyrillic or Greek text in an older encoding is runs of them, one or two bytes a letter.
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
_LATIN_RUN = 2  # "Größe" has a run of two: still Latin
# Short Chinese text in GBK is also valid Korean or Japanese; Chinese is this project's other language.
_PREFERRED = ("gb18030",)


def _byte_as_cp1252(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined are read as latin-1 does
        return chr(byte)


_CP1252 = [_byte_as_cp1252(b) for b in range(256)]


def _cp1252_errors(exc: UnicodeError) -> tuple[str, int]:
    """A codec error handler: the bytes that fail to decode are read as cp1252 (never fails)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "".join(_CP1252[b] for b in exc.object[exc.start:exc.end]), exc.end


codecs.register_error(_CP1252_ERRORS, _cp1252_errors)


def decode_text(data: bytes, name: str) -> tuple[str, list[str]]:
    """The text of a file, and a warning when it was not UTF-8 (which encoding it was read in)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Notepad's "Unicode": no guess needed
        return data.decode("utf-16", errors="replace"), []
    if b"\x00" in data[:8192]:
        raise UnreadableSource(f"{name}: this looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        bad = exc.start
    line = data.count(b"\n", 0, bad) + 1
    where = f"byte {bad}, line {line}"
    if not data[:bad].isascii():
        # Good multi-byte UTF-8 before the bad byte: a UTF-8 file with a stray byte or garbage, not another
        # encoding; reading it all as cp1252 would garble every letter that is fine.
        text = data.decode("utf-8-sig", errors=_CP1252_ERRORS)
        return text, [f"not valid UTF-8 at {where}; the bytes that are not UTF-8 were read as cp1252"]
    encoding = guess_encoding(data)
    return data.decode(encoding, errors=_CP1252_ERRORS), [f"not UTF-8 text ({where}); read as {encoding}"]


def guess_encoding(data: bytes) -> str:
    """cp1252 for Latin-script text, else what charset-normalizer detects (cp1252 when it finds nothing)."""
    runs = [len(run) for run in _HIGH_RUN.findall(data)]
    if sum(n for n in runs if n <= _LATIN_RUN) * 2 >= sum(runs):
        # Detection is not asked here: on short Western text it picks cp1250 or mac_roman ("naïve" as "naďve").
        return "cp1252"
    from charset_normalizer import from_bytes  # imported when needed: most files are UTF-8

    found = [match.encoding for match in from_bytes(data)]
    return next((name for name in _PREFERRED if name in found), found[0] if found else "cp1252")
