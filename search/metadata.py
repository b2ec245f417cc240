"""The metadata store: passages and sources in SQLite, the source of truth for everything but the vectors."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from .bm25 import LexicalIndex, write_lexicon
from .fts_terms import DROP_LEXICON, FTS_TOKENIZE
from .passage import Passage, vector_id
from .speakers import filter_key, key_column

DB_FILE = "passages.sqlite"
FACET_COLUMNS = ("show", "speaker", "lang")  # what MetadataStore.facet counts by

_SCHEMA = f"""
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
    speaker_alias TEXT,
    title TEXT,
    episode TEXT,
    episode_alias TEXT,
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
    body, content='', tokenize='{FTS_TOKENIZE}'
);
-- Passage.marks as JSON [[offset, seconds], ...], for the passages that have any. A table of its own, so an index
-- written before it still reads (its hits link to their passages' starts).
CREATE TABLE IF NOT EXISTS passage_marks (
    vid INTEGER PRIMARY KEY,
    marks TEXT NOT NULL
);
"""

_PASSAGE_FIELDS = [f.name for f in fields(Passage) if f.name != "marks"]  # marks: in passage_marks
_COLUMNS = ["vid", "id", "row", *_PASSAGE_FIELDS, "content_hash", "speaker_key"]
_PASSAGE_COLUMNS = ", ".join(f'"{name}"' for name in _PASSAGE_FIELDS)  # in Passage's field order


@dataclass
class SourceRecord:
    source: str
    root: str
    path: str
    sha256: str
    format: str
    passages: int


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
            # A full name, one part of it, or a Han name's pinyin: "watts" finds "Jared Watts", "fu" finds 傅; or
            # the label a transcript wrote ("CC"). The alias is no name key: a question saying "js" names nobody.
            key = filter_key(self.speaker)
            clauses.append("(instr(speaker_key, ?) > 0 OR lower(speaker_alias) = ?)")
            params += [f"|{key}|", key]
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


# What ranking and folding near-duplicates read of a candidate, in Passage's field order.
_BRIEF_FIELDS = ("source", "position", "text", "kind", "speaker", "lang", "start")
_BRIEF_COLUMNS = ", ".join(f'"{name}"' for name in _BRIEF_FIELDS)


def _brief_passage(source, position, text, kind, speaker, lang, start) -> Passage:
    return Passage(source, position, text, kind, speaker, lang=lang, start=start)


def _row_to_passage(row: sqlite3.Row, marks: tuple[tuple[int, float], ...] = ()) -> Passage:
    return Passage(**{name: row[name] for name in _PASSAGE_FIELDS}, marks=marks)



class MetadataStore:
    def __init__(self, path: Path, *, readonly: bool = False):
        self.path = path
        if readonly:
            self.db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        else:
            self.db = sqlite3.connect(path, check_same_thread=False)
            self.db.executescript(_SCHEMA)
        self.db.row_factory = sqlite3.Row
        self._bm25 = LexicalIndex(self.db)

    def close(self) -> None:
        self.db.close()

    # writing
    def add_passages(self, passages: Iterable[Passage], hashes: Iterable[str]) -> None:
        """Rows are numbered in insertion order: row r is row r of the vector files."""
        passages = list(passages)  # read twice: the rows, then the marks of those that have them
        rows = (
            (vector_id(p.id), p.id, row, *(getattr(p, f) for f in _PASSAGE_FIELDS), h, key_column(p.speaker))
            for row, (p, h) in enumerate(zip(passages, hashes))
        )
        placeholders = ", ".join("?" * len(_COLUMNS))
        columns = ", ".join(f'"{c}"' for c in _COLUMNS)
        self.db.executemany(f"INSERT INTO passages ({columns}) VALUES ({placeholders})", rows)
        self.db.executemany("INSERT INTO passage_marks VALUES (?, ?)",
                            ((vector_id(p.id), json.dumps(p.marks)) for p in passages if p.marks))

    def add_terms(self, vids: Iterable[int], bodies: Iterable[str]) -> None:
        """Index each passage's words (see podquote.lexical.document_terms) for lexical search."""
        self.db.executemany("INSERT INTO passages_fts (rowid, body) VALUES (?, ?)", zip(map(int, vids), bodies))
        # The lexicon and what was kept were read before these terms: write_lexicon again once all are in.
        self.db.executescript(DROP_LEXICON)
        self._bm25 = LexicalIndex(self.db)

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
        rows = self.db.execute("SELECT * FROM passages WHERE source = ? ORDER BY position", (source,)).fetchall()
        marks = self.marks_of([row["vid"] for row in rows])
        for row in rows:
            yield _row_to_passage(row, marks.get(row["vid"], ())), row["row"], row["content_hash"]

    def rows_by_hash(self) -> dict[str, int]:
        return {h: row for h, row in self.db.execute("SELECT content_hash, row FROM passages")}

    def by_vids(self, vids: Iterable[int], *, brief: bool = False) -> dict[int, tuple[Passage, int, tuple[str, ...]]]:
        """vector id -> (passage, row, speaker keys). `brief`: only the fields ranking reads (`_BRIEF_COLUMNS`;
        the others stay at their defaults): a query reads ~200 candidates and shows ten."""
        vids = [int(v) for v in vids]
        if not vids:
            return {}
        # Plain tuples, not sqlite3.Row: a query reads ~70 candidates, and by-name access was a third of the time.
        cursor = self.db.cursor()
        cursor.row_factory = None
        columns = _BRIEF_COLUMNS if brief else _PASSAGE_COLUMNS
        rows = cursor.execute(f"SELECT vid, row, speaker_key, {columns} FROM passages "
                              f"WHERE vid IN ({', '.join('?' * len(vids))})", vids)
        make = _brief_passage if brief else Passage
        found = {vid: (make(*fields), row, tuple(filter(None, (keys or "").split("|"))))
                 for vid, row, keys, *fields in rows}
        for vid, marks in ({} if brief else self.marks_of(found)).items():
            found[vid][0].marks = marks
        return found

    def marks_of(self, vids: Iterable[int]) -> dict[int, tuple[tuple[int, float], ...]]:
        """vector id -> Passage.marks, for those of `vids` that have any (none in an index written before them)."""
        vids = [int(v) for v in vids]
        try:
            rows = self.db.execute(f"SELECT vid, marks FROM passage_marks WHERE vid IN ({', '.join('?' * len(vids))})",
                                   vids).fetchall() if vids else []
        except sqlite3.OperationalError:  # no such table: an index written before marks were kept
            return {}
        return {vid: tuple((int(at), float(seconds)) for at, seconds in json.loads(marks)) for vid, marks in rows}

    def passages(self, *, lang: str | None = None, limit: int | None = None) -> Iterator[Passage]:
        """Every passage (only those in `lang`, at most `limit`), in vector id order."""
        where, params = Filters(lang=lang).sql()
        cursor = self.db.cursor()
        cursor.row_factory = None
        rows = cursor.execute(f"SELECT {_PASSAGE_COLUMNS} FROM passages WHERE {where} ORDER BY vid LIMIT ?",
                              [*params, -1 if limit is None else limit])
        return (Passage(*row) for row in rows)

    def by_id(self, pid: str) -> Passage | None:
        row = self.db.execute("SELECT * FROM passages WHERE id = ?", (pid,)).fetchone()
        return _row_to_passage(row, self.marks_of([row["vid"]]).get(row["vid"], ())) if row else None

    def neighbours(self, source: str, position: int, n: int) -> tuple[list[Passage], list[Passage]]:
        """Up to n passages before and after `position` in the same source, in order."""
        rows = self.db.execute(
            "SELECT * FROM passages WHERE source = ? AND position BETWEEN ? AND ? AND position != ? ORDER BY position",
            (source, position - n, position + n, position),
        )
        passages = [_row_to_passage(row) for row in rows]
        return [p for p in passages if p.position < position], [p for p in passages if p.position > position]

    def lexical(self, match: str, limit: int, filters: Filters | None = None,
                weights: dict[str, float] | None = None) -> list[tuple[int, float]]:
        """(vid, BM25 score) of the passages matching an FTS5 expression, best first (higher is better); `weights`
        (term -> factor, terms as `fts_match` was given them) scale their shares (podquote.bm25)."""
        quoted = {t.replace('"', '""'): w for t, w in weights.items()} if weights else None
        return self._bm25.search(match, limit, *(filters or Filters()).sql(), weights=quoted)

    def lexical_scores(self, terms: list[str], vids: np.ndarray, weights: dict[str, float] | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(BM25 of each of `vids` for an OR of `terms`, unquoted words, whether or not in the lexical top; which
        vid holds which term; in how many passages each term is, -1 if too common): LexicalIndex.scores_of."""
        quoted = [t.replace('"', '""') for t in terms]
        return self._bm25.scores_of(quoted, vids, {q: weights[t] for q, t in zip(quoted, terms)} if weights else None)

    def preload_lexicon(self) -> int:
        """Read the lexicon into memory (podquote.bm25.LexicalIndex.preload): for a server's start."""
        return self._bm25.preload()

    def write_lexicon(self) -> int:
        """Once every passage's terms are in: each word's BM25 postings (podquote.bm25), for fast queries."""
        written = write_lexicon(self.db, self.count())
        self._bm25 = LexicalIndex(self.db)
        return written

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

    def count_matching(self, filters: Filters) -> int:
        where, params = filters.sql()
        return self.db.execute(f"SELECT count(*) FROM passages WHERE {where}", params).fetchone()[0]

    def distinct(self, column: str, filters: Filters | None = None) -> list[str]:
        """The non-empty values of one column, within `filters`."""
        where, params = (filters or Filters()).sql()
        rows = self.db.execute(f'SELECT DISTINCT "{column}" FROM passages WHERE {where} AND "{column}" IS NOT NULL '
                               f'AND "{column}" != \'\' ORDER BY 1', params)
        return [value for (value,) in rows]

    def episodes(self) -> list[dict]:
        """Every episode: its id, title, date, show, the source files it was read from, its passage count and
        ("aliases") the ids its sources give it themselves. One scan."""
        rows = self.db.execute(
            "SELECT episode, min(title), min(date), min(show), count(*) AS n, json_group_array(DISTINCT source), "
            "json_group_array(DISTINCT episode_alias) FROM passages WHERE episode IS NOT NULL AND episode != '' "
            "GROUP BY episode ORDER BY n DESC, episode")
        return [{"value": episode, "title": title, "date": date, "show": show, "sources": sorted(json.loads(sources)),
                 "aliases": [a for a in json.loads(aliases) if a is not None], "count": n}
                for episode, title, date, show, n, sources, aliases in rows]

    def counts_by(self, column: str, table: str = "passages") -> dict[str, int]:
        rows = self.db.execute(f'SELECT "{column}", count(*) FROM {table} GROUP BY "{column}"')
        return {str(key): n for key, n in rows}

    def facets(self) -> dict[str, list[dict]]:
        """What the index can be filtered by, with passage counts: shows, speakers, languages and episodes.

        Each is a list of {"value", "count"} (episodes also carry their "title", "date" and "show"), most passages
        first; empty values are left out. Read-only.
        """
        return {
            "shows": self.facet("show"),
            "speakers": self.facet("speaker"),
            "languages": self.facet("lang"),
            "episodes": [{key: e[key] for key in ("value", "title", "date", "show", "count")} for e in self.episodes()],
        }

    def facet(self, column: str, filters: Filters | None = None) -> list[dict]:
        """One facet's {"value", "count"} list, most passages first, within `filters` when given."""
        if column not in FACET_COLUMNS:
            raise ValueError(f"no facet {column!r} (one of {', '.join(FACET_COLUMNS)})")
        where, params = filters.sql() if filters else ("1", [])
        rows = self.db.execute(
            f'SELECT "{column}", count(*) AS n FROM passages WHERE ({where}) AND "{column}" IS NOT NULL '
            f'AND "{column}" != \'\' GROUP BY "{column}" ORDER BY n DESC, "{column}"', params)
        return [{"value": value, "count": n} for value, n in rows]
