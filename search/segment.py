"""Quote-level cutting: a speaker's turn into passages of one to a few whole sentences.

Readers clean a turn's text first, then ask `cut_turn` where to cut it. The answer is a list of character spans
into that cleaned text, so every passage is a faithful slice of what the reader cleaned: nothing is rewritten,
reordered or invented here.

Bounds are in characters, not tokens, because they must hold the same way for English and Chinese without a
tokenizer. A quote people search for and cite is one to a few sentences: about 350 characters is three spoken
English sentences or a short Chinese paragraph, and stays well inside the input window of the sentence
encoders we embed with (USE-m3 and MiniLM read roughly 128–256 tokens well; 600 characters of English is about
130 tokens). Longer passages dilute the embedding of the one sentence a user is looking for.

The same sentences are what ranking sees: questions (`is_question`), and short fillers merged into a neighbour
before they are embedded (`merge_short`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .lexical import EN_STOP, ZH_STOP, words

# A passage grows sentence by sentence up to about this many characters.
TARGET_CHARS = 350
# No passage is longer than this; a single sentence longer than this is cut at a clause break or a space.
MAX_CHARS = 600
# A piece shorter than this ("Yeah.", "Right.", "Sure, go ahead.") is not a statement of its own: it is merged
# into a neighbouring sentence of the same turn.
MIN_CHARS = 40

# Sentence-final punctuation, with any closing quotes or brackets that belong to the sentence.
_CLOSERS = re.escape("\"'”’」』）)]")
# Abbreviations after which a period does not end the sentence (in any case: "Dr.", "DR.", "e.g.", "E.G.").
# Not "no": in conversation "they said no." ends far more sentences than "No. 5" abbreviates "number".
_ABBREVIATIONS = (
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "e.g", "i.e", "cf", "inc", "ltd", "co", "corp",
    "vol", "fig", "approx", "dept", "est", "u.s", "a.m", "p.m", "ph.d", "mt", "gen", "rev", "sen",
)


def _not_after_abbreviation() -> str:
    """Look-behinds, one per abbreviation length (each must be fixed-width): "Dr." and initials ("B.") go on."""
    by_length: dict[int, list[str]] = {}
    for word in _ABBREVIATIONS:
        by_length.setdefault(len(word), []).append(re.escape(word))
    # The abbreviation is a whole token: it starts the text or follows a space or an opening bracket or quote
    # ("don't.", "R&D.", "s**t.", "Posit.co." end their sentences).
    start = r"(?<![^\s(\[{\"“‘])"
    behinds = [rf"(?<!{start}(?i:{'|'.join(words)})\.)" for _, words in sorted(by_length.items())]
    return "".join(behinds) + rf"(?<!{start}(?i:[a-hj-z])\.)"  # a single-letter initial, but not "I."


# Chinese sentence marks end a sentence wherever they are. English ones only before whitespace or the end
# ("3.5", "node.js" go on), not before a lower-case word ("e.g. the", "... and then") and not after an
# abbreviation. A line break always does. The whitespace after a sentence is matched too, so the next sentence
# starts where the match ends. The pattern opens with one character class so the regex engine can skip ahead
# to candidates (ten times faster than an alternation up front).
_SENTENCE_END = re.compile(
    rf"[。！？；.!?…\n](?:(?<=[。！？；])[。！？；]*[{_CLOSERS}]*\s*"
    rf"|(?<=[.!?…])[.!?…]*[{_CLOSERS}]+(?:\s+(?![\sa-z])|$)"  # 'by Y." But' ends, whatever the word
    rf"|(?<=[.!?…]){_not_after_abbreviation()}[.!?…]*(?:\s+(?![\sa-z])|$)"
    rf"|(?<=\n)\s*)"
)
_CLAUSE = re.compile(r"[,，、;；:：—–]\s*")
_SPACE = re.compile(r"\s+")

# Words that carry no topic in a short turn: backchannel ("Yeah.", "Mm-hmm."), reactions ("That's right.", "Oh,
# my gosh...", "Really?"), greetings ("Bye, friends.") and interjections ("Yay!", "Boom."). See `is_filler`.
_FILLER_WORDS = frozenset("""
    yeah yes yep yup yea ya no nope nah right okay ok sure cool nice wow whoa oh uh um uhm hm hmm mm mmm mhm
    mm-hmm mm-hm uh-huh uh-oh huh ah aha ha haha hahaha lol exactly totally absolutely definitely indeed true
    great awesome amazing fantastic excellent wonderful brilliant beautiful neat sweet fun funny hilarious
    alright all gotcha interesting fair enough thanks thank welcome cheers sorry please bye goodbye hi hello hey
    friends everyone everybody guys man dude gosh god my me too same here now then again also just really very
    much lot of course so well and but or a an the i i'm i'll you we it it's its is was are am be been do does
    did don't not have had got get see say said mean guess think know agree like love that that's this there
    what why who how one good point question idea kind sort maybe probably could would wait let's go
    for correct agreed perfect precisely seriously crazy wild hundred percent goodness boy sir ooh uuh dang
    appreciate makes sense depends yet they he she us having going ahead hopefully congratulations will can
    what's how's you're can't didn't doesn't isn't wasn't won't
    yay yo woo hoo aww aw bam boom amen omg ahh heck darn gee geez jeez yikes oops meh eh
    嗯 对 是 是的 好 好的 对对 对对对 哈哈 哈哈哈 嗯嗯 没错 对的
""".split())
_FILLER_TOKEN = re.compile(r"[\w'’-]+")


_STOP_WORDS = EN_STOP | ZH_STOP


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences of `text` as (start, end) spans, whitespace trimmed; a line break always ends a sentence."""
    spans: list[tuple[int, int]] = []
    start = len(text) - len(text.lstrip())
    for match in _SENTENCE_END.finditer(text):
        found = match.group()
        if found[0] == "\n":
            end = match.start()  # a line break: the sentence ends before it (and its trailing spaces)
            while end > start and text[end - 1].isspace():
                end -= 1
        else:
            end = match.start() + len(found.rstrip())
        if end > start:
            spans.append((start, end))
        start = match.end()
    end = len(text.rstrip())
    if end > start:
        spans.append((start, end))
    return spans


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))


def _best_cut(text: str, lo: int, hi: int, aim: int, breaks: Sequence[int]) -> int | None:
    """A cut position in (lo, hi], as close to `aim` as possible, preferring given breaks, then clauses, then spaces."""
    for candidates in (
        [b for b in breaks if lo < b <= hi],
        [m.end() for m in _CLAUSE.finditer(text, lo, hi)],
        [m.start() for m in _SPACE.finditer(text, lo, hi)],
    ):
        if candidates:
            return min(candidates, key=lambda pos: abs(pos - aim))
    return None


def _split_long(text: str, span: tuple[int, int], target: int, max_chars: int, min_chars: int,
                breaks: Sequence[int]) -> list[tuple[int, int]]:
    """Cut one over-long sentence into pieces of at most `max_chars`, near `target` where possible."""
    start, end = span
    pieces: list[tuple[int, int]] = []
    while end - start > max_chars:
        cut = _best_cut(text, start + min_chars, start + max_chars, start + target, breaks)
        if cut is None or cut <= start:
            cut = start + target  # no space or clause mark at all (unpunctuated CJK): a hard cut
        _append_trimmed(text, start, cut, pieces)
        start = cut
    _append_trimmed(text, start, end, pieces)
    return pieces


def cut_turn(
    text: str,
    *,
    target: int = TARGET_CHARS,
    max_chars: int = MAX_CHARS,
    min_chars: int = MIN_CHARS,
    breaks: Sequence[int] = (),
) -> list[tuple[int, int]]:
    """Passages of one turn as (start, end) spans into `text`.

    Whole sentences are grouped up to `target` characters; no span exceeds `max_chars`; a piece under
    `min_chars` joins its neighbour. `breaks` are extra positions where an over-long sentence may be cut
    first (subtitle boundaries in unpunctuated ASR text).
    """
    if len(text) <= target:
        # Grouping would join every sentence of a text this short anyway; most turns are this short.
        whole: list[tuple[int, int]] = []
        _append_trimmed(text, 0, len(text), whole)
        return whole
    pieces: list[tuple[int, int]] = []
    for span in sentence_spans(text):
        if span[1] - span[0] > max_chars:
            pieces.extend(_split_long(text, span, target, max_chars, min_chars, breaks))
        else:
            pieces.append(span)
    return _group(pieces, target, max_chars, min_chars)


def _group(pieces: list[tuple[int, int]], target: int, max_chars: int, min_chars: int) -> list[tuple[int, int]]:
    groups: list[tuple[int, int]] = []
    for start, end in pieces:
        if groups:
            g_start, g_end = groups[-1]
            merged = end - g_start
            short = g_end - g_start < min_chars or end - start < min_chars
            if merged <= target or (short and merged <= max_chars):
                groups[-1] = (g_start, end)
                continue
        groups.append((start, end))
    # A tiny last piece that could not join forward joins backward.
    if len(groups) > 1 and groups[-1][1] - groups[-1][0] < min_chars and groups[-1][1] - groups[-2][0] <= max_chars:
        groups[-2:] = [(groups[-2][0], groups[-1][1])]
    return groups


# A turn shorter than this (CJK characters counting three: a Han character carries about a word) with at most
# FILLER_TOPIC_WORDS words outside the filler list and no name is filler. On the shared corpus (243,915 passages)
# this touches 15,871 turns ("Usually.", "Ahhhh.", "I forget.", "That's a good one. I had it on my list."):
# docs/retrieval.md has the samples and what it did to the judged set.
FILLER_CHARS = 60
FILLER_TOPIC_WORDS = 1
_ELONGATED = re.compile(r"([^\W\d_])\1{2,}")  # "Ahhhh", "Nooo", "Byee" read as "Ah", "No"
_SENTENCE_START = re.compile(r"(?:^|[.!?…。！？]\s*|[\"“(]\s*)$")


def is_filler(text: str) -> bool:
    """A whole turn that says nothing quotable: short, with at most one topic word and no name or product
    ("Yeah.", "Usually.", "Mm-hmm, right.", "嗯，对。"; not "It is Kubernetes." or "SQLite.")."""
    text = text.strip()
    if not text or len(text) + 2 * sum(map(_is_cjk, text)) >= FILLER_CHARS:
        return False
    topic = 0
    for match in _FILLER_TOKEN.finditer(text):
        token = match.group()
        if _names_something(token, text[:match.start()]):
            return False
        word = _ELONGATED.sub(r"\1", token.lower().replace("’", "'"))
        if word not in _FILLER_WORDS and word not in _STOP_WORDS:
            topic += 1 if not _is_cjk(word[0]) else len(_cut(word))
    return topic <= FILLER_TOPIC_WORDS


def _names_something(token: str, before: str) -> bool:
    """A name, product or number: a digit, a capital inside the word ("SQLite", "K8s"), or a capital word that
    does not start a sentence ("It is Kubernetes.", "How about you, Carlisia?")."""
    if any(c.isdigit() for c in token) or any(c.isupper() for c in token[1:]) and token not in ("OK", "TV"):
        return True
    return token[:1].isupper() and token not in _ALWAYS_CAPITAL and not _SENTENCE_START.search(before)


_ALWAYS_CAPITAL = frozenset(["I", "I'm", "I'll", "I've", "I'd", "I’m", "I’ll", "I’ve", "I’d", "Oh", "OK"])


def _cut(han: str) -> list[str]:
    """Han words that carry a topic (jieba's cut, stop words left out)."""
    return [w for w in words(han) if w not in _STOP_WORDS and w not in _FILLER_WORDS]


def joiner(left: str, right: str) -> str:
    """What goes between two pieces of running text: nothing between two CJK characters, else a space."""
    if left and right and _is_cjk(left[-1]) and _is_cjk(right[0]):
        return ""
    return " "


def _is_cjk(char: str) -> bool:
    return "\u3000" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\uff00" <= char <= "\uffef"

def is_question(sentence: str) -> bool:
    return sentence.rstrip(" ”’\"')）」").endswith(("?", "？"))


def merge_short(spans: list[tuple[int, int]], min_chars: int) -> list[tuple[int, int]]:
    """Join sentences shorter than `min_chars` to a neighbour: "Yeah." or "也就是说" alone match anything."""
    merged: list[tuple[int, int]] = []
    carry: int | None = None  # start of a short first sentence waiting for the next one
    for lo, hi in spans:
        if carry is not None:
            lo, carry = carry, None
        if hi - lo >= min_chars:
            merged.append((lo, hi))
        elif merged:
            merged[-1] = (merged[-1][0], hi)
        else:
            carry = lo
    if carry is not None:
        merged.append((carry, spans[-1][1]))
    return merged
