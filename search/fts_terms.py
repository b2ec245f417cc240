"""Terms as FTS5 sees them: the tokens its tokenizer makes of words, a word that stems to a given token, a term's
postings with their BM25 shares, and the `lexicon` tables where podquote.bm25 keeps every token's postings.
"""

from __future__ import annotations

import sqlite3
import threading

import numpy as np

FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"
# An index written before slots held each token's passages as `vids` (int64) instead: still read, their places in
# lexicon_vids then found at query time (5 ms for a word in 100,000 of 10M passages).
LEXICON_SCHEMA = """
CREATE TABLE IF NOT EXISTS lexicon (
    token TEXT PRIMARY KEY,  -- as FTS5 indexed it: stemmed, lowercased
    passages INTEGER NOT NULL,  -- how many passages have it
    slots BLOB,  -- int32, the passages with it as places in lexicon_vids; NULL when too common, or when no word
                 -- was found that stems to it
    shares BLOB  -- float64, its bm25() share in each of them, in the same order
);
CREATE TABLE IF NOT EXISTS lexicon_vids (vids BLOB NOT NULL);  -- int64, every passage in FTS5, ascending
"""
DROP_LEXICON = "DROP TABLE IF EXISTS lexicon; DROP TABLE IF EXISTS lexicon_vids;"
# Endings tried on a token to find a word FTS5 stems to it: a stem is not always its own stem ("deploy" is
# indexed as "deploi", and "deploi" would be searched as "deploi"; "agree" -> "agre" -> "agr").
_ENDINGS = ("", "e", "s", "y", "ed", "es", "al", "ing", "ion", "er", "ly")


class Tokenizer:
    """FTS5's tokenizer, on an in-memory table: the tokens FTS5 makes of each of a list of words."""

    def __init__(self):
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(f"CREATE VIRTUAL TABLE words USING fts5(body, tokenize='{FTS_TOKENIZE}')")
        self._db.execute("CREATE VIRTUAL TABLE tokens USING fts5vocab(words, 'instance')")
        self._lock = threading.Lock()

    def tokens(self, words: list[str]) -> list[list[str]]:
        found: list[list[str]] = [[] for _ in words]
        with self._lock:
            self._db.execute("DELETE FROM words")
            self._db.executemany("INSERT INTO words (rowid, body) VALUES (?, ?)", enumerate(words))
            for doc, term in self._db.execute("SELECT doc, term FROM tokens ORDER BY doc, offset"):
                found[doc].append(term)
        return found


def words_for(tokenizer: Tokenizer, tokens: list[str]) -> dict[str, str]:
    """token -> a word FTS5 makes that one token of, to query its postings with. A token none of the tried words
    stems to is left out: its postings are read from FTS5 when a query first needs them."""
    found: dict[str, str] = {}
    for ending in (*_ENDINGS, "i>y"):
        todo = [t for t in tokens if t not in found and (ending != "i>y" or t.endswith("i"))]
        tried = [t[:-1] + "y" if ending == "i>y" else t + ending for t in todo]
        for token, word, made in zip(todo, tried, tokenizer.tokens(tried) if tried else []):
            if made == [token]:
                found[token] = word
    return found


def quote_term(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts_postings(db: sqlite3.Connection, match: str) -> tuple[np.ndarray, np.ndarray]:
    rows = db.execute("SELECT rowid, -bm25(passages_fts) FROM passages_fts WHERE passages_fts MATCH ?",
                      (match,)).fetchall()
    return np.array([r[0] for r in rows], dtype=np.int64), np.array([r[1] for r in rows], dtype=np.float64)
