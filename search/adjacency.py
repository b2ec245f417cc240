"""Which passage is next to which: for each vector row, its vector id, its run, and whether the next row answers it.

Ranking looks at the passages just before and after each candidate: their similarity is context, and a question
lends its match to the turn that answers it (podquote.ranking, point 6): row r + 1 answers row r when r ends in a
question and r + 1 is another speaker's turn (both speakers known).
The indexer writes each source's passages to consecutive rows, in order, so the neighbours of row r are rows
r - 1 and r + 1 when they are in the same run (the same source, at the next position). Read from these arrays that
takes microseconds a query; looked up in SQLite by (source, position) it took ~1.5 ms at 244,000 passages. An
index written before this file reads the arrays from SQLite when opened (0.4 s at 244,000 passages) until
`podquote index` rewrites it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from .segment import is_question

ADJACENCY_FILE = "adjacency.npy"
# run: a number shared by consecutive rows of one source at consecutive positions; answered: the next row
# answers this one.
DTYPE = np.dtype([("vid", "<i8"), ("run", "<i4"), ("answered", "?")])
_ROW = np.dtype([("vid", "<i8"), ("run", "<i4"), ("speaker", "<i4"), ("asks", "?")])


class Adjacency:
    def __init__(self, table: np.ndarray):
        self.table = table

    @classmethod
    def from_store(cls, db: sqlite3.Connection) -> "Adjacency":
        """Read from the passages table (rows in order; the text's tail is enough to tell a question)."""
        cursor = db.execute("SELECT vid, source, position, speaker, substr(text, -8) FROM passages ORDER BY row")
        chunks, speakers = [], {}
        run, last = -1, (None, None)
        while rows := cursor.fetchmany(100_000):  # bounded memory at millions of passages
            chunk = []
            for vid, source, position, speaker, tail in rows:
                if (source, position - 1) != last:
                    run += 1
                last = (source, position)
                chunk.append((vid, run, speakers.setdefault(speaker, len(speakers)) if speaker else -1,
                              is_question(tail)))
            chunks.append(np.array(chunk, dtype=_ROW))
        return cls(_answered(np.concatenate(chunks) if chunks else np.zeros(0, _ROW)))

    def save(self, directory: Path) -> list[str]:
        np.save(directory / ADJACENCY_FILE, self.table, allow_pickle=False)
        return [ADJACENCY_FILE]

    @classmethod
    def load(cls, directory: Path, rows: int) -> "Adjacency | None":
        """The saved arrays, memory-mapped; None if this generation has none. ValueError if they don't fit."""
        path = directory / ADJACENCY_FILE
        if not path.exists():
            return None
        table = np.load(path, mmap_mode="r", allow_pickle=False)
        if table.dtype != DTYPE or table.shape != (rows,):
            raise ValueError(f"holds {table.dtype} {table.shape}, not {rows} rows of {DTYPE}")
        return cls(table.view(np.ndarray))

    def neighbours(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row before, row after) each of `rows` in its run, -1 where there is none."""
        n = len(self.table)
        before, after = rows - 1, rows + 1
        run = self.table["run"][rows]
        before = np.where((before >= 0) & (self.table["run"][np.maximum(before, 0)] == run), before, -1)
        after = np.where((after < n) & (self.table["run"][np.minimum(after, n - 1)] == run), after, -1)
        return before, after

    def answered(self, rows: np.ndarray) -> np.ndarray:
        """Whether the next row answers each row; -1 rows never are."""
        return (rows >= 0) & self.table["answered"][np.maximum(rows, 0)]

    def vids(self, rows: np.ndarray) -> np.ndarray:
        return self.table["vid"][rows]


def _answered(rows: np.ndarray) -> np.ndarray:
    table = np.zeros(len(rows), DTYPE)
    table["vid"], table["run"] = rows["vid"], rows["run"]
    this, after = rows[:-1], rows[1:]
    answered = (this["asks"] & (this["speaker"] >= 0) & (after["speaker"] >= 0)
                & (this["speaker"] != after["speaker"]))
    table["answered"][:-1] = (this["run"] == after["run"]) & answered
    return table
