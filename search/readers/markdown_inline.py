"""Markdown inline markup to plain text: what a reader keeps of links, emphasis, images and HTML."""

from __future__ import annotations

import re

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")
_AUTOLINK = re.compile(r"<(?:https?|ftp)://[^>\s]+>")
_BARE_URL = re.compile(r"(?:https?|ftp)://[^\s)\]>，。]+")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])")
_URL_ONLY = re.compile(r"^\s*(?:(?:https?|ftp)://\S+\s*)+$")


def strip_inline(text: str) -> str:
    """Plain text of a Markdown fragment: link text kept, URLs, images and tags dropped."""
    text = _IMAGE.sub("", text)
    text = _LINK.sub(lambda m: "" if _URL_ONLY.match(m.group(1)) else m.group(1), text)
    text = _AUTOLINK.sub("", text)
    text = _BARE_URL.sub("", text)
    text = _HTML_TAG.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    return _ESCAPE.sub(r"\1", text)


def is_url_only(text: str) -> bool:
    return bool(_URL_ONLY.match(text))
