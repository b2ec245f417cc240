"""What a query is, before it is searched: its language, its content words, and whether it is a keyword or a question.

A keyword query ("etcd", "Crossplane", "服务网格") asks for passages about that thing: ranking puts the passages
that contain it first whenever any do. A question ("why Rook on bare metal", "Joe Beda 怎么看 etcd") is left to
the ranking's features.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lang import HAN, detect_language
from .lexical import query_terms, words

# A keyword is a name or a term, not a sentence: at most this many words (Han text: characters).
KEYWORD_WORDS = 3
KEYWORD_HAN = 8
_QUESTION_WORD = re.compile(
    r"\b(who|what|when|where|which|why|how|does|do|did|is|are|can|could|should|would|will)\b"
    r"|什么|为什么|为何|怎么|怎样|如何|哪|谁|吗|呢|是否|有没有", re.IGNORECASE)
_LATIN_WORD = re.compile(r"[A-Za-z0-9][\w.+#-]*")
_SENTENCE_START = re.compile(r"(?:^|[.!?。！？]\s*|[\"“(]\s*)$")


@dataclass(frozen=True)
class Question:
    text: str
    lang: str
    terms: tuple[str, ...]  # content words, for BM25 (podquote.lexical.query_terms)
    words: frozenset[str]  # every word, lowercased: what names are looked for in
    keyword: bool  # a keyword or a name alone
    names: tuple[str, ...] = ()  # the terms that are names: "Rook" in "why Rook on bare metal" (see `names_in`)

    @property
    def phrase(self) -> str:
        """The whole query as one lowercased term, as a keyword is translated (podquote.expansion)."""
        return " ".join(self.text.lower().split())


def analyse(text: str) -> Question:
    terms = tuple(query_terms(text))
    lang = detect_language(text)
    return Question(text, lang, terms, frozenset(words(text)), is_keyword(text, terms), names_in(text, terms, lang))


def names_in(text: str, terms: tuple[str, ...], lang: str) -> tuple[str, ...]:
    """The terms a question writes as names: capitalised inside an English sentence or written with a capital
    inside the word ("Rook", "KubeEdge", "Joe Beda"); in a Chinese question, its words in Latin letters."""
    names = set()
    for match in _LATIN_WORD.finditer(text):
        word = match.group()
        inner = any(c.isupper() for c in word[1:])
        capital = word[:1].isupper() and not _SENTENCE_START.search(text[:match.start()])
        if lang == "zh" or inner or capital:
            names.add(word.lower())
    return tuple(t for t in terms if t in names)


def is_keyword(text: str, terms: tuple[str, ...] | list[str]) -> bool:
    """A few words with content and no question form: "etcd", "Leslie Lamport", "服务网格"."""
    text = text.strip()
    if not terms or "?" in text or "？" in text or _QUESTION_WORD.search(text):
        return False
    return len(HAN.findall(text)) <= KEYWORD_HAN and len(_LATIN_WORD.findall(text)) <= KEYWORD_WORDS
