"""Language of a passage or query: zh, en or other, from the scripts it is written in."""

from __future__ import annotations

import re

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")  # a Han character
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_OTHER_LETTER = re.compile(r"[^\W\d_A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# A Chinese sentence quoting "Kubernetes" or "Rook" is still Chinese; one English word carries about as much
# as one and a half Han characters, so words are weighted that way before comparing.
_WORD_WEIGHT = 1.5
_ZH_SHARE = 0.4
UNKNOWN_LANGUAGE = "other"  # no letters, or a script podquote does not tell apart


def detect_language(text: str) -> str:
    han = len(HAN.findall(text))
    words = len(_LATIN_WORD.findall(text))
    other = len(_OTHER_LETTER.findall(text))
    if han == 0 and words == 0:
        return UNKNOWN_LANGUAGE
    if han and han / (han + _WORD_WEIGHT * words) >= _ZH_SHARE:
        return "zh"
    if other > 2 * sum(len(w) for w in _LATIN_WORD.findall(text)):
        return UNKNOWN_LANGUAGE
    return "en" if words else "zh"
