"""BM25 search over the FTS5 table, with the scores FTS5 gives, read from a lexicon written with the index.

FTS5 computes bm25() for every passage matching any term of an OR query, about 2.5 us each; a common word matches
most of them (at 244,000 passages "one" is in 73,000, "like" in 68,663: 173 ms). A term's BM25 share of each
passage with it (its bm25() in a query of that term alone) is its share of any OR query: FTS5 sums the phrases'
shares, each with its own IDF. So every word's shares are read from FTS5 once, when the index is built, into the
`lexicon` table (podquote.fts_terms), and a query adds its words' shares with numpy: the scores and the top passages are those of the
one OR query. At 244,000 passages that is 32,111 words and 3.5M postings (56 MB, 12 s to write); lexical search's
first-pass p50 went 1.06 -> 0.62 ms against the lexicon of common words alone, and from tens of ms before any
lexicon.

A query finds its words' tokens with FTS5's own tokenizer (an in-memory FTS5 table, so porter stemming is exactly
what the index holds), then each token's count and shares in the lexicon. A word FTS5 reads as several tokens (a
phrase) is scored by FTS5. An index written before the lexicon, or a store still being written, scores rare words
in FTS5 and reads a common word's shares from FTS5 on first use, keeping them.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections import OrderedDict
from functools import cached_property

import numpy as np

from .fts_terms import DROP_LEXICON, LEXICON_SCHEMA, Tokenizer, fts_postings, quote_term, words_for

# Without a lexicon, a query term found in more passages than this share of the index (and than COMMON_TERM_MIN) is
# "common": its postings are read from FTS5 once and kept; rarer terms are scored by FTS5 in each query.
COMMON_TERM_SHARE = 0.001
COMMON_TERM_MIN = 200
# A term in more passages than this share of them (and than TOO_COMMON_MIN) is dropped from the query: its IDF is
# under ~4.6, and its postings are the longest (200,000 at 10M passages). On the judged dev set (244,000
# passages) no term is that common and nothing changes.
TOO_COMMON_SHARE = 0.01
TOO_COMMON_MIN = 20_000
COMMON_POSTINGS_KEPT = 4_000_000  # postings kept between queries (16 to 20 bytes each)
PRELOAD_BYTES = 256 << 20  # lexicon rows a server reads at its start (podquote.collection.Collection.warm)
COMMON_MERGE_MAX = 30_000  # up to this many postings in a query, merged by sorting; past it, summed in an array
# of every passage
_QUOTED_OR = re.compile(r'\s*"((?:[^"]|"")*)"\s*(?:OR|$)')


def bounds(passages: int) -> tuple[int, int]:
    """(common, too common): a term in more passages than the first is common, than the second too common."""
    return (max(COMMON_TERM_MIN, int(COMMON_TERM_SHARE * passages)),
            max(TOO_COMMON_MIN, int(TOO_COMMON_SHARE * passages)))


def write_lexicon(db: sqlite3.Connection, passages: int) -> int:
    """Write every token's postings and shares (see the module's notes) into `lexicon`, once FTS5 holds every
    passage; a too common token only with its count. Returns the number of tokens written."""
    db.executescript(DROP_LEXICON + LEXICON_SCHEMA)
    db.execute("CREATE VIRTUAL TABLE temp.lexicon_vocab USING fts5vocab(main, passages_fts, row)")
    cap = bounds(passages)[1]
    try:
        counted = db.execute("SELECT term, doc FROM temp.lexicon_vocab").fetchall()
    finally:
        db.execute("DROP TABLE temp.lexicon_vocab")
    words = words_for(Tokenizer(), [token for token, n in counted if n <= cap])
    every = np.fromiter((v for (v,) in db.execute("SELECT id FROM passages_fts_docsize ORDER BY id")), np.int64)
    for token, n in counted:
        slots = shares = None
        if token in words:
            vids, shares = fts_postings(db, quote_term(words[token]))
            slots, shares = np.searchsorted(every, vids).astype(np.int32).tobytes(), shares.tobytes()
        db.execute("INSERT INTO lexicon VALUES (?, ?, ?, ?)", (token, n, slots, shares))
    db.execute("INSERT INTO lexicon_vids VALUES (?)", (every.tobytes(),))
    return len(counted)


class LexicalIndex:
    """BM25 search over a store's FTS5 table, with what it has read kept for later queries (bounded)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self._has_lexicon: bool | None = None
        self._postings_column: str | None = None  # "slots", or "vids" in a lexicon written before slots
        self._tokens: dict[str, str | None] = {}  # quoted term -> its FTS5 token, see _tokenize
        self._term_counts: dict[tuple[str, int], int] = {}  # (term, limit) -> passages with it, see _term_count
        self._postings: OrderedDict[str, list] = OrderedDict()  # term -> [vids, shares, slots], _common_postings
        self._postings_kept = 0  # postings in _postings
        self._passages: int | None = None
        self._preloaded: dict[str, tuple] = {}  # token -> (passages, slots, shares), see `preload`
        self._all_vids: np.ndarray | None = None
        self._sums: np.ndarray | None = None  # one score per passage of _fts_vids, all 0 between queries
        self._lock = threading.Lock()  # the server searches from several threads

    def search(self, match: str, limit: int, where: str = "1", params: list | tuple = (),
               weights: dict[str, float] | None = None) -> list[tuple[int, float]]:
        """(vid, BM25 score) of the passages matching an FTS5 expression, best first (higher is better); `where`
        is a condition on `passages` they must meet. `weights` (quoted term -> factor, default 1) scale each
        term's share of an OR of quoted terms: FTS5 scores filtered queries itself, unweighted."""
        if where == "1":
            with self._lock:
                split = self._common_split(match)
                if split and split[1]:
                    common = [self._common_postings(term) for term in split[1]]
                    all_vids = None
                    if sum(len(entry[0]) for entry in common) > COMMON_MERGE_MAX:
                        all_vids = self._fts_vids()
                        for entry in common:
                            if entry[2] is None:
                                entry[2] = np.searchsorted(all_vids, entry[0]).astype(np.int32)
            if split and split[1]:
                factors = [(weights or {}).get(term, 1.0) for term in split[1]]
                rare_factor = max([(weights or {}).get(term, 1.0) for term in split[0]], default=1.0)
                return self._with_common(split[0], common, all_vids, limit, factors, rare_factor)
        join = "" if where == "1" else f" AND rowid IN (SELECT vid FROM passages WHERE {where})"
        rows = self.db.execute(
            f"SELECT rowid, -bm25(passages_fts) FROM passages_fts WHERE passages_fts MATCH ?{join} "
            "ORDER BY bm25(passages_fts) LIMIT ?",
            [match, *params, limit],
        )
        return [(int(vid), float(score)) for vid, score in rows]

    def scores_of(self, terms: list[str], vids: np.ndarray,
                  weights: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(BM25 of each of `vids` for an OR of the quoted terms, as `search` scores it, passages outside its top
        included; which vid holds which term, (len(vids), len(terms)) bool; in how many passages each term is,
        -1 for one too common to search, which is left out here as there)."""
        total = np.zeros(len(vids), dtype=np.float64)
        hits = np.zeros((len(vids), len(terms)), dtype=bool)
        counts = np.full(len(terms), -1, dtype=np.int64)
        if not len(vids) or not terms:
            return total, hits, counts
        with self._lock:
            if self._passages is None:
                self._passages = self.db.execute("SELECT count(*) FROM passages").fetchone()[0]
            cap = bounds(self._passages)[1]
            if self._lexicon():
                self._tokenize(terms)
            for j, term in enumerate(terms):
                count = self._term_count(term, cap)
                if count > cap:
                    continue
                counts[j] = count
                if not count:
                    continue
                posted, shares, _ = self._common_postings(term)
                at = np.minimum(np.searchsorted(posted, vids), len(posted) - 1)
                hits[:, j] = posted[at] == vids
                total[hits[:, j]] += shares[at[hits[:, j]]] * (weights or {}).get(term, 1.0)
        return total, hits, counts

    def _common_split(self, match: str) -> tuple[list[str], list[str]] | None:
        """(rare, common) quoted terms of an `OR` of quoted terms (podquote.lexical.fts_match), None for any other
        expression. FTS5 scores the rare ones, numpy adds the common ones' shares. Common: with a lexicon, any
        term in it; without, in more passages than COMMON_TERM_SHARE of them. Past TOO_COMMON_SHARE, dropped."""
        found = list(_QUOTED_OR.finditer(match))
        if not found or sum(len(m.group(0)) for m in found) != len(match):
            return None
        if self._passages is None:
            self._passages = self.db.execute("SELECT count(*) FROM passages").fetchone()[0]
        limit, cap = bounds(self._passages)
        if self._lexicon():
            self._tokenize([m.group(1) for m in found])
            limit = 0  # every word's shares are in the lexicon: FTS5 scores only the words that have none
        # One count per term, read up to the higher bound, sorts it into rare, common and too common.
        counts = {m.group(1): self._term_count(m.group(1), cap) for m in found}
        rare = [term for term, n in counts.items() if n <= limit]
        common = [term for term, n in counts.items() if limit < n <= cap]
        if not rare and not common and counts:  # only too common terms: the least common one still finds something
            common = [min(counts, key=counts.get)]
        return rare, common

    @cached_property
    def _tokenizer(self) -> Tokenizer:
        return Tokenizer()  # only once a query meets a lexicon: a store opened to write or count needs none

    def _lexicon(self) -> bool:
        if self._has_lexicon is None:
            columns = {row[1] for row in self.db.execute("PRAGMA table_info(lexicon)")}
            self._has_lexicon = bool(columns)
            self._postings_column = "slots" if "slots" in columns else "vids"
        return self._has_lexicon

    def _tokenize(self, quoted: list[str]) -> None:
        """Find the FTS5 token of each term not seen yet (one call for them all); None for a term FTS5 reads as
        several tokens (a phrase), which the lexicon can't answer."""
        new = [term for term in quoted if term not in self._tokens]
        if len(self._tokens) + len(new) > 100_000:  # a long-running server: bounded memory
            self._tokens.clear()
            new = quoted
        made = self._tokenizer.tokens([term.replace('""', '"') for term in new]) if new else []
        self._tokens.update((term, tokens[0] if len(tokens) == 1 else None) for term, tokens in zip(new, made))

    def _lexicon_row(self, quoted: str, columns: str) -> tuple | None:
        """`columns` of the term's token in the lexicon: None when the lexicon can't say (no lexicon, or a term
        FTS5 reads as several tokens), () for a token not there (in no passage)."""
        if not self._lexicon():
            return None
        self._tokenize([quoted])
        token = self._tokens[quoted]
        if token is None:
            return None
        if token in self._preloaded:
            count, postings, shares = self._preloaded[token]
            return (count,) if columns == "passages" else (postings, shares)
        return self.db.execute(f"SELECT {columns} FROM lexicon WHERE token = ?", (token,)).fetchone() or ()

    def preload(self, budget: int = PRELOAD_BYTES) -> int:
        """Read the lexicon's rows into memory now, the most common words first, up to `budget` bytes of postings
        (a server's start): a server's first queries otherwise each read their words' rows from SQLite (3 ms a
        query on the shared corpus, while the hand-set ranking's words and their translations are new).
        Returns the number of words read."""
        if not self._lexicon() or self._postings_column != "slots":
            return 0
        used = 0
        rows = self.db.execute("SELECT token, passages, slots, shares FROM lexicon ORDER BY passages DESC")
        for token, count, slots, shares in rows:
            used += len(slots or b"") + len(shares or b"")
            if used > budget:
                break
            self._preloaded[token] = (count, slots, shares)
        return len(self._preloaded)

    def _term_count(self, quoted: str, limit: int) -> int:
        """Passages containing the term (as FTS5 tokenizes and stems it), counted up to limit + 1: from the
        lexicon, or from FTS5 reading at most limit + 1 entries of its posting list. Cached."""
        key = (quoted, limit)
        if key not in self._term_counts:
            if len(self._term_counts) >= 100_000:  # a long-running server: bounded memory
                self._term_counts.clear()
            found = self._lexicon_row(quoted, "passages")  # the count only: not the postings' blobs
            if found is None:
                found = self.db.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM passages_fts WHERE passages_fts MATCH ? LIMIT ?)",
                    (f'"{quoted}"', limit + 1),
                ).fetchone()
            self._term_counts[key] = min(found[0], limit + 1) if found else 0
        return self._term_counts[key]

    def _common_postings(self, quoted: str) -> list:
        """[vids, BM25 shares, slots or None] of every passage with the term, from the lexicon or else FTS5. A
        slot is the passage's place in `_fts_vids`, set once a query needs it."""
        if quoted in self._postings:
            self._postings.move_to_end(quoted)
            return self._postings[quoted]
        self._lexicon()  # sets _postings_column
        column = self._postings_column
        found = self._lexicon_row(quoted, f"{column}, shares")
        slots = None
        if found and found[0] is not None and column == "slots":
            slots, shares = np.frombuffer(found[0], dtype=np.int32), np.frombuffer(found[1], dtype=np.float64)
            vids = self._fts_vids()[slots]
        elif found and found[0] is not None:
            vids, shares = np.frombuffer(found[0], dtype=np.int64), np.frombuffer(found[1], dtype=np.float64)
        else:
            vids, shares = fts_postings(self.db, f'"{quoted}"')
        kept = self._postings[quoted] = [vids, shares, slots]
        self._postings_kept += len(vids)  # a running count: summing every entry's on each insert was quadratic
        while self._postings_kept > COMMON_POSTINGS_KEPT and len(self._postings) > 1:
            self._postings_kept -= len(self._postings.popitem(last=False)[1][0])
        return kept

    def _summed(self, common: list[list], factors: list[float], rare_slots: np.ndarray, rare_scores: np.ndarray,
                all_vids: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """(vids, summed scores) of the passages with any of the terms, or at least of those that can be among
        the best `limit` (with ties). Summed in one array of every passage, kept between queries and cleared
        where it was written: allocating, zeroing and scanning a fresh one cost 25 ms a query at 10M passages."""
        if self._sums is None or len(self._sums) != len(all_vids):
            self._sums = np.zeros(len(all_vids), dtype=np.float64)
        sums = self._sums
        for (_, shares, slots), factor in zip(common, factors):
            sums[slots] += shares if factor == 1.0 else shares * factor  # a term's slots are distinct
        sums[rare_slots] += rare_scores
        written = np.concatenate([e[2] for e in common] + [rare_slots])
        totals = sums[written]
        # A passage is written once per term it has, so the best `limit` passages are among the best
        # limit x terms writes; the rest need no sorting.
        keep = limit * (len(common) + 1)
        best = written[totals >= np.partition(totals, len(totals) - keep)[len(totals) - keep]] \
            if len(totals) > keep else written
        slots = np.unique(best)
        found = all_vids[slots], sums[slots].copy()
        sums[written] = 0.0
        return found

    def _fts_vids(self) -> np.ndarray:
        """Every passage's vid in FTS5, ascending (2 MB at 244,000 passages), from the lexicon or else FTS5."""
        if self._all_vids is None:
            stored = self.db.execute("SELECT vids FROM lexicon_vids").fetchone() if self._lexicon() else None
            if stored:
                self._all_vids = np.frombuffer(stored[0], dtype=np.int64)
            else:
                rows = self.db.execute("SELECT id FROM passages_fts_docsize ORDER BY id")
                self._all_vids = np.fromiter((v for (v,) in rows), dtype=np.int64)
        return self._all_vids

    def _with_common(self, rare: list[str], common: list[list], all_vids: np.ndarray | None, limit: int,
                     factors: list[float], rare_factor: float = 1.0) -> list[tuple[int, float]]:
        """What `search` finds for `"rare" OR ... OR "common" OR ...`: FTS5 scores the passages with a rare term,
        and numpy adds the common terms' shares (1-2 ms for 100,000 postings). Ties are in vid order (FTS5's
        order among equal scores is its own)."""
        rare_vids, rare_scores = fts_postings(self.db, " OR ".join(f'"{t}"' for t in rare)) if rare else (
            np.zeros(0, np.int64), np.zeros(0, np.float64))
        rare_scores = rare_scores * rare_factor
        if all_vids is None:  # few postings: merge them
            vids, inverse = np.unique(np.concatenate([e[0] for e in common] + [rare_vids]), return_inverse=True)
            total = np.bincount(inverse, weights=np.concatenate([e[1] * f for e, f in zip(common, factors)]
                                                                + [rare_scores]))
        else:
            with self._lock:
                vids, total = self._summed(common, factors, np.searchsorted(all_vids, rare_vids), rare_scores,
                                           all_vids, limit)
        if len(total) > limit:  # the best `limit`, and any tied with the last of them
            keep = total >= np.partition(total, len(total) - limit)[len(total) - limit]
            vids, total = vids[keep], total[keep]
        best = np.lexsort((vids, -total))[:limit]
        return [(int(vids[i]), float(total[i])) for i in best]
