"""Who said a quoted statement: attributions written before or after the quote, in Chinese or English.

Covers `傅说`, `Watts 说`, `X 表示：`, `X said`, `said X`, `X says`, `according to X` and pronoun attributions
(`he said`), which point back at the last named speaker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ZH_VERBS = r"(?:说道|说(?![明服法话])|表示|指出|认为|补充道|补充说|解释道|解释说|强调|写道|回忆道|称(?![为之作]))"
_EN_VERBS = r"(?:said|says|adds|added|explained|explains|noted|notes|told\s+\w+|recalled|recalls|continued|argued)"
_LATIN_NAME = r"[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|de|van|von|der|da))*"
# A name does not start with a pronoun, demonstrative or particle (这说明, 我们认为 are not attributions).
_HAN_NAME = r"(?![这那我你它的了是在和与也就都还又但而所因如])[\u4e00-\u9fff·]{1,4}"
_PRONOUN = r"(?:he|she|they|He|She|They|他|她|他们|她们)"

# Attribution right after a closing quote mark; the comma usually sits inside the quote.
_AFTER = [
    re.compile(rf"^\s*[,，]?\s*(?P<name>{_LATIN_NAME}|{_PRONOUN})\s*{_ZH_VERBS}"),
    re.compile(rf"^\s*[,，]?\s*(?P<name>{_HAN_NAME}?){_ZH_VERBS}"),
    re.compile(rf"^\s*[,，]?\s*(?P<name>{_LATIN_NAME}|{_PRONOUN})\s+{_EN_VERBS}\b"),
    re.compile(rf"^\s*[,，]?\s*{_EN_VERBS}\s+(?P<name>{_LATIN_NAME}|{_PRONOUN})"),
    re.compile(rf"^\s*[,，]?\s*according\s+to\s+(?P<name>{_LATIN_NAME})", re.I),
]
# Attribution right before an opening quote mark.
_BEFORE = [
    re.compile(rf"(?P<name>{_LATIN_NAME}|{_PRONOUN})\s*{_ZH_VERBS}\s*[:：,，]?\s*$"),
    re.compile(rf"(?P<name>{_HAN_NAME}){_ZH_VERBS}\s*[:：,，]?\s*$"),
    re.compile(rf"(?P<name>{_LATIN_NAME}|{_PRONOUN})\s+{_EN_VERBS}\s*[:,]?\s*$"),
    re.compile(rf"\b{_EN_VERBS}\s+(?P<name>{_LATIN_NAME})\s*[:,]?\s*$"),
    re.compile(rf"\b[Aa]ccording\s+to\s+(?P<name>{_LATIN_NAME})\s*[:,]?\s*$"),
]
_TRAILING = re.compile(r"^[\s.,;:!?。，；：！？]*")
_EN_STOP = {"The", "This", "That", "It", "We", "I", "You", "But", "And", "So", "As", "In", "On", "A", "An"}
_PRONOUNS = {"he", "she", "they", "他", "她", "他们", "她们"}


@dataclass
class Attribution:
    name: str | None  # None for a pronoun: the caller decides whom it points at
    span: tuple[int, int]  # characters of the attribution in the searched text


def _clean(name: str) -> str | None:
    name = name.strip().rstrip(".")
    if name in _PRONOUNS or name.lower() in _PRONOUNS:
        return None
    return name


def after_quote(text: str, known: set[str]) -> Attribution | None:
    """Attribution at the start of `text` (the text after a quote). Han names must be `known` or short."""
    for pattern in _AFTER:
        match = pattern.match(text)
        if not match:
            continue
        name = match.group("name")
        if not name or name in _EN_STOP:
            continue
        end = match.end() + _TRAILING.match(text[match.end():]).end()
        return Attribution(_clean(name), (0, end))
    return None


def before_quote(text: str, known: set[str]) -> Attribution | None:
    """Attribution at the end of `text` (the text before a quote).

    A Han name before `说` is ambiguous (也就是说, 换句话说 end the same way), so it is only accepted when the
    document attributes a quote to that name elsewhere, after the quote, where the pattern is unambiguous.
    """
    for pattern in _BEFORE:
        match = pattern.search(text)
        if not match:
            continue
        name = match.group("name")
        if name in _EN_STOP:
            continue
        if re.fullmatch(_HAN_NAME, name):
            name = next((k for k in sorted(known, key=len, reverse=True) if name.endswith(k)), "")
            if not name:
                continue
            return Attribution(name, (match.end() - len(match.group()) + match.group().index(name), len(text)))
        return Attribution(_clean(name), (match.start(), len(text)))
    return None


def names_after_quotes(paragraphs: list[str], quote_ends: list[list[int]]) -> set[str]:
    """Names attributed right after a quote anywhere in the document: the unambiguous ones."""
    names: set[str] = set()
    for text, ends in zip(paragraphs, quote_ends):
        for end in ends:
            found = after_quote(text[end:], set())
            if found and found.name:
                names.add(found.name)
    return names
