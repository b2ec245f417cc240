"""The metadata store: passages and sources in SQLite, the source of truth for everything but the vectors."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .passage import Passage, vector_id
from .sentences import is_question
from .speakers import key_column

DB_FILE = "passages.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS passages (
    vid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    row INTEGER NOT NULL,
    source TEXT NOT NULL,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    kind TEXT NOT NULL,
    speaker TEXT,
    speaker_key TEXT,
    title TEXT,
    episode TEXT,
    show TEXT,
    lang TEXT NOT NULL,
    start REAL,
    "end" REAL,
    url TEXT,
    date TEXT,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    content_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_source ON passages(source, position);
CREATE INDEX IF NOT EXISTS passages_speaker ON passages(speaker COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS passages_hash ON passages(content_hash);
CREATE INDEX IF NOT EXISTS passages_lang ON passages(lang, vid);
CREATE TABLE IF NOT EXISTS sources (
    source TEXT PRIMARY KEY,
    root TEXT NOT NULL,
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    format TEXT NOT NULL,
    passages INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS roots (
    label TEXT PRIMARY KEY,
    path TEXT NOT NULL
);
-- Contentless: the words are only an index (rowid = vid); the text itself lives in `passages`.
CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
    body, content='', tokenize='porter unicode61 remove_diacritics 2'
);
"""

# Lexical search: a query term found in more passages than this share of the index (and than COMMON_TERM_MIN) is
# "common". FTS5 computes bm25() for every passage matching any term of an OR query, about 1 us each: the common
# terms match most of them (at 244,000 passages "one" is in 73,000, 80 ms a query). So FTS5 scores only the rare
# terms; each common term's BM25 share of every passage is read once (one FTS5 query of that term alone, the same
# bm25 numbers) and kept, and added with numpy. The scores and the top passages are those of the one OR query.
COMMON_TERM_SHARE = 0.001
COMMON_TERM_MIN = 200
# A term in more passages than this share of them (and than TOO_COMMON_MIN) is dropped from the query: its IDF is
# under ~4.6, and reading its postings the first time costs ~2.5 us each (0.5 s for 200,000 at 10M passages).
# On the judged dev set (244,000 passages) no term is that common and nothing changes.
TOO_COMMON_SHARE = 0.01
TOO_COMMON_MIN = 20_000
COMMON_POSTINGS_KEPT = 4_000_000  # postings of common terms kept between queries (12 to 20 bytes each)
COMMON_MERGE_MAX = 30_000  # up to this many postings in a query, merged by sorting; past it, summed in an array
# of every passage (its vids are read once, ~50 ms at 244,000 passages: not worth it for a cold CLI's one query)
_QUOTED_OR = re.compile(r'\s*"((?:[^"]|"")*)"\s*(?:OR|$)')
_PASSAGE_FIELDS = [f.name for f in fields(Passage)]
_COLUMNS = ["vid", "id", "row", *_PASSAGE_FIELDS, "content_hash", "speaker_key"]


@dataclass
class SourceRecord:
    source: str
    root: str
    path: str
    sha256: str
    format: str
    passages: int


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A passage next to a candidate, as far as ranking looks at it."""

    vid: int
    row: int
    speaker: str | None
    asks: bool  # ends in a question


@dataclass
class Filters:
    """Podquote's own filter terms; each backend compiles them its own way."""

    speaker: str | None = None
    lang: str | None = None
    source: str | None = None
    episode: str | None = None
    show: str | None = None
    date_from: str | None = None  # ISO dates, inclusive; passages with no known date never match a range
    date_to: str | None = None

    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    def sql(self) -> tuple[str, list]:
        clauses, params = [], []
        if self.speaker:
            # A full name, one part of it, or a Han name's pinyin: "watts" finds "Jared Watts", "fu" finds 傅.
            key = " ".join(self.speaker.lower().split()).replace("|", " ")
            clauses.append("instr(speaker_key, ?) > 0")
            params.append(f"|{key}|")
        for name in ("lang", "source", "episode"):
            value = getattr(self, name)
            if value:
                clauses.append(f"{name} = ?")
                params.append(value)
        if self.show:
            clauses.append("show = ? COLLATE NOCASE")
            params.append(self.show)
        if self.date_from:
            clauses.append("date >= ?")
            params.append(self.date_from)
        if self.date_to:
            clauses.append("date <= ?")
            params.append(self.date_to + "\uffff")  # a bare date includes that whole day
        return " AND ".join(clauses) or "1", params


def _keys(row: sqlite3.Row) -> tuple[str, ...]:
    return tuple(filter(None, (row["speaker_key"] or "").split("|")))


def _row_to_passage(row: sqlite3.Row) -> Passage:
    return Passage(**{name: row[name] for name in _PASSAGE_FIELDS})


class MetadataStore:
    def __init__(self, path: Path, *, readonly: bool = False):
        self.path = path
        if readonly:
            self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        else:
            self.db = sqlite3.connect(path, check_same_thread=False)
            self.db.executescript(_SCHEMA)
        self.db.row_factory = sqlite3.Row
        self._term_counts: dict[tuple[str, int], int] = {}  # (term, limit) -> passages with it, see _term_count
        self._postings: OrderedDict[str, list] = OrderedDict()  # term -> [vids, shares, slots], _common_postings
        self._passages: int | None = None
        self._all_vids: np.ndarray | None = None
        self._cache_lock = threading.Lock()  # the server searches from several threads

    def close(self) -> None:
        self.db.close()

    # writing
    def add_passages(self, passages: Iterable[Passage], hashes: Iterable[str]) -> None:
        """Rows are numbered in insertion order: row r is row r of the vector files."""
        rows = (
            (vector_id(p.id), p.id, row, *(getattr(p, f) for f in _PASSAGE_FIELDS), h, key_column(p.speaker))
            for row, (p, h) in enumerate(zip(passages, hashes))
        )
        placeholders = ", ".join("?" * len(_COLUMNS))
        columns = ", ".join(f'"{c}"' for c in _COLUMNS)
        self.db.executemany(f"INSERT INTO passages ({columns}) VALUES ({placeholders})", rows)

    def add_terms(self, vids: Iterable[int], bodies: Iterable[str]) -> None:
        """Index each passage's words (see search.lexical.document_terms) for lexical search."""
        self.db.executemany("INSERT INTO passages_fts (rowid, body) VALUES (?, ?)", zip(map(int, vids), bodies))
        self._term_counts.clear()
        self._postings.clear()
        self._passages = self._all_vids = None

    def add_source(self, record: SourceRecord) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?)",
            (record.source, record.root, record.path, record.sha256, record.format, record.passages),
        )

    def set_roots(self, roots: dict[str, str]) -> None:
        self.db.execute("DELETE FROM roots")
        self.db.executemany("INSERT INTO roots VALUES (?, ?)", roots.items())

    def commit(self) -> None:
        self.db.commit()

    # reading
    def roots(self) -> dict[str, str]:
        return {row["label"]: row["path"] for row in self.db.execute("SELECT label, path FROM roots")}

    def sources(self) -> dict[str, SourceRecord]:
        rows = self.db.execute("SELECT source, root, path, sha256, format, passages FROM sources")
        return {row["source"]: SourceRecord(*row) for row in rows}

    def passages_of(self, source: str) -> Iterator[tuple[Passage, int, str]]:
        """(passage, row, content hash) of one source, in order."""
        rows = self.db.execute("SELECT * FROM passages WHERE source = ? ORDER BY position", (source,))
        for row in rows:
            yield _row_to_passage(row), row["row"], row["content_hash"]

    def rows_by_hash(self) -> dict[str, int]:
        return {h: row for h, row in self.db.execute("SELECT content_hash, row FROM passages")}

    def by_vids(self, vids: Iterable[int]) -> dict[int, tuple[Passage, int, tuple[str, ...]]]:
        """vector id -> (passage, row, speaker keys)."""
        vids = [int(v) for v in vids]
        if not vids:
            return {}
        rows = self.db.execute(f"SELECT * FROM passages WHERE vid IN ({', '.join('?' * len(vids))})", vids)
        return {row["vid"]: (_row_to_passage(row), row["row"], _keys(row)) for row in rows}

    def by_id(self, pid: str) -> Passage | None:
        row = self.db.execute("SELECT * FROM passages WHERE id = ?", (pid,)).fetchone()
        return _row_to_passage(row) if row else None

    def neighbours(self, source: str, position: int, n: int) -> tuple[list[Passage], list[Passage]]:
        """Up to n passages before and after `position` in the same source, in order."""
        rows = self.db.execute(
            "SELECT * FROM passages WHERE source = ? AND position BETWEEN ? AND ? AND position != ? ORDER BY position",
            (source, position - n, position + n, position),
        )
        passages = [_row_to_passage(row) for row in rows]
        return [p for p in passages if p.position < position], [p for p in passages if p.position > position]

    def lexical(self, match: str, limit: int, filters: Filters | None = None) -> list[tuple[int, float]]:
        """(vid, BM25 score) of the passages matching an FTS5 expression, best first (higher is better)."""
        where, params = (filters or Filters()).sql()
        if where == "1":
            with self._cache_lock:
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
                return self._lexical_with_common(split[0], common, all_vids, limit)
        join = "" if where == "1" else f" AND rowid IN (SELECT vid FROM passages WHERE {where})"
        rows = self.db.execute(
            f"SELECT rowid, -bm25(passages_fts) FROM passages_fts WHERE passages_fts MATCH ?{join} "
            "ORDER BY bm25(passages_fts) LIMIT ?",
            [match, *params, limit],
        )
        return [(int(vid), float(score)) for vid, score in rows]

    def _common_split(self, match: str) -> tuple[list[str], list[str]] | None:
        """(rare, common) quoted terms of an `OR` of quoted terms (search.lexical.fts_match), None for any other
        expression. Common: in more passages than COMMON_TERM_SHARE of them; past TOO_COMMON_SHARE, dropped."""
        found = list(_QUOTED_OR.finditer(match))
        if not found or sum(len(m.group(0)) for m in found) != len(match):
            return None
        if self._passages is None:
            self._passages = self.count()
        limit = max(COMMON_TERM_MIN, int(COMMON_TERM_SHARE * self._passages))
        cap = max(TOO_COMMON_MIN, int(TOO_COMMON_SHARE * self._passages))  # always above `limit`
        # One count per term, read up to the higher bound, sorts it into rare, common and too common.
        counts = {m.group(1): self._term_count(m.group(1), cap) for m in found}
        rare = [term for term, n in counts.items() if n <= limit]
        common = [term for term, n in counts.items() if limit < n <= cap]
        if not rare and not common and counts:  # only too common terms: the least common one still finds something
            common = [min(counts, key=counts.get)]
        return rare, common

    def _term_count(self, quoted: str, limit: int) -> int:
        """Passages containing the term (as FTS5 tokenizes and stems it), counted up to limit + 1: cached, and
        reading at most limit + 1 entries of its posting list."""
        key = (quoted, limit)
        if key not in self._term_counts:
            if len(self._term_counts) >= 100_000:  # a long-running server: bounded memory
                self._term_counts.clear()
            self._term_counts[key] = self.db.execute(
                "SELECT count(*) FROM (SELECT 1 FROM passages_fts WHERE passages_fts MATCH ? LIMIT ?)",
                (f'"{quoted}"', limit + 1),
            ).fetchone()[0]
        return self._term_counts[key]

    def _common_postings(self, quoted: str) -> list:
        """[vids, BM25 shares, slots or None] of every passage with the term. The share is its bm25() in a query
        of the term alone, which is its share of the bm25() of any OR query (FTS5 sums the phrases' shares, each
        with its own IDF). A slot is the passage's place in `_fts_vids`, set once a query needs it."""
        if quoted in self._postings:
            self._postings.move_to_end(quoted)
            return self._postings[quoted]
        rows = self.db.execute("SELECT rowid, -bm25(passages_fts) FROM passages_fts WHERE passages_fts MATCH ?",
                               (f'"{quoted}"',)).fetchall()
        vids = np.array([r[0] for r in rows], dtype=np.int64)
        shares = np.array([r[1] for r in rows], dtype=np.float64)
        entry = self._postings[quoted] = [vids, shares, None]
        while sum(len(e[0]) for e in self._postings.values()) > COMMON_POSTINGS_KEPT and len(self._postings) > 1:
            self._postings.popitem(last=False)
        return entry

    def _fts_vids(self) -> np.ndarray:
        """Every passage's vid in FTS5, ascending (read once: 2 MB at 244,000 passages)."""
        if self._all_vids is None:
            rows = self.db.execute("SELECT id FROM passages_fts_docsize ORDER BY id")
            self._all_vids = np.fromiter((v for (v,) in rows), dtype=np.int64)
        return self._all_vids

    def _lexical_with_common(self, rare: list[str], common: list[list], all_vids: np.ndarray | None,
                             limit: int) -> list[tuple[int, float]]:
        """What `lexical` finds for `"rare" OR ... OR "common" OR ...`: FTS5 scores the passages with a rare term,
        and numpy adds the common terms' shares from their kept postings (1-2 ms for 100,000 postings). Ties are
        in vid order (FTS5's order among equal scores is its own)."""
        rows = self.db.execute("SELECT rowid, -bm25(passages_fts) FROM passages_fts WHERE passages_fts MATCH ?",
                               (" OR ".join(f'"{t}"' for t in rare),)).fetchall() if rare else []
        rare_vids = np.array([r[0] for r in rows], dtype=np.int64)
        rare_scores = np.array([r[1] for r in rows], dtype=np.float64)
        if all_vids is None:  # few postings: merge them
            vids, inverse = np.unique(np.concatenate([e[0] for e in common] + [rare_vids]), return_inverse=True)
            total = np.bincount(inverse, weights=np.concatenate([e[1] for e in common] + [rare_scores]))
        else:
            every = np.zeros(len(all_vids), dtype=np.float64)
            for _, shares, slots in common:
                every[slots] += shares  # a term's slots are distinct
            every[np.searchsorted(all_vids, rare_vids)] += rare_scores
            slots = np.flatnonzero(every)  # every share is above 0 (FTS5 keeps an IDF of at least 1e-6)
            vids, total = all_vids[slots], every[slots]
        if len(total) > limit:  # the best `limit`, and any tied with the last of them
            keep = total >= np.partition(total, len(total) - limit)[len(total) - limit]
            vids, total = vids[keep], total[keep]
        best = np.lexsort((vids, -total))[:limit]
        return [(int(vids[i]), float(total[i])) for i in best]

    def at_places(self, places: list[tuple[str, int]]) -> dict[tuple[str, int], "Neighbour"]:
        """(source, position) -> what ranking needs of the passage there, for the places that exist. No
        passage is built: a query looks at a few hundred neighbours and keeps a handful."""
        if not places:
            return {}
        values = ", ".join("(?, ?)" for _ in places)
        # A join from the places, so each is one lookup in the (source, position) index: written as
        # `(source, position) IN (VALUES ...)`, SQLite scans the whole table (150 ms at 200,000 passages).
        # The tail of the text is enough to tell a question (search.sentences.is_question).
        rows = self.db.execute(
            f"WITH place(source, position) AS (VALUES {values}) "
            "SELECT passages.source, passages.position, vid, row, speaker, substr(text, -8) "
            "FROM place CROSS JOIN passages ON passages.source = place.source AND passages.position = place.position",
            [x for place in places for x in place],
        )
        return {(source, position): Neighbour(vid, row, speaker, is_question(tail))
                for source, position, vid, row, speaker, tail in rows}

    def vids_and_rows(self, filters: Filters) -> tuple[np.ndarray, np.ndarray]:
        """Vector ids and vector rows of the passages matching `filters`, in row order."""
        where, params = filters.sql()
        found = self.db.execute(f"SELECT vid, row FROM passages WHERE {where} ORDER BY row", params).fetchall()
        pairs = np.array(found, dtype=np.int64).reshape(-1, 2)
        return pairs[:, 0], pairs[:, 1]

    def vids_matching(self, filters: Filters) -> list[int]:
        where, params = filters.sql()
        return [row[0] for row in self.db.execute(f"SELECT vid FROM passages WHERE {where}", params)]

    def count(self, table: str = "passages") -> int:
        return self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def counts_by(self, column: str, table: str = "passages") -> dict[str, int]:
        rows = self.db.execute(f'SELECT "{column}", count(*) FROM {table} GROUP BY "{column}"')
        return {str(key): n for key, n in rows}

    def facets(self) -> dict[str, list[dict]]:
        """What the index can be filtered by, with passage counts: shows, speakers, languages and episodes.

        Each is a list of {"value", "count"} (episodes also carry their "title"), most passages first; empty values
        are left out. Read-only.
        """

        def counted(column: str) -> list[dict]:
            rows = self.db.execute(
                f'SELECT "{column}", count(*) AS n FROM passages WHERE "{column}" IS NOT NULL AND "{column}" != \'\' '
                f'GROUP BY "{column}" ORDER BY n DESC, "{column}"'
            )
            return [{"value": value, "count": n} for value, n in rows]

        episodes = self.db.execute(
            "SELECT episode, min(title), count(*) AS n FROM passages WHERE episode IS NOT NULL AND episode != '' "
            "GROUP BY episode ORDER BY n DESC, episode"
        )
        return {
            "shows": counted("show"),
            "speakers": counted("speaker"),
            "languages": counted("lang"),
            "episodes": [{"value": value, "title": title, "count": n} for value, title, n in episodes],
        }
