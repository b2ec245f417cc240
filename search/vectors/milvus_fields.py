"""The fields of a podquote Milvus collection: each row is a passage's vector id, its vector and the scalar fields
`Filters` can test (`VectorAttributes`), so that filters run inside Milvus as a boolean expression with the same
meaning as `Filters.sql()` in SQLite.
"""

from __future__ import annotations

import numpy as np

from .base import VectorAttributes

ID, VECTOR = "id", "vector"
SCALARS = ("lang", "source", "episode", "show", "date")
SPEAKER_KEYS = "speaker_keys"
MAX_VARCHAR = 65535  # Milvus's longest VARCHAR
MAX_KEYS = 4096  # Milvus's largest ARRAY capacity
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_SIMPLE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def fold_show(show: str) -> str:
    """Shows match case-insensitively like SQLite's NOCASE: ASCII letters only."""
    return show.translate(_ASCII_LOWER)


def milvus_literal(value: str) -> str | None:
    """A Milvus expression string literal for `value`: quotes and backslashes escaped, newlines and tabs as \\n \\t.

    None when `value` holds another control character: Milvus servers read \\u escapes but milvus-lite does not, so
    such a value has no literal that every backend reads the same (`filter_expression` then falls back to ids).
    """
    out = []
    for char in value:
        if char in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            return None
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def filter_expression(filters) -> str | None:
    """`Filters` as a Milvus boolean expression over the stored scalar fields, with the same meaning as
    `Filters.sql()` in SQLite; None if a value cannot be written as a literal (see `milvus_literal`)."""
    clauses: list[str] = []

    def add(template: str, value: str) -> bool:
        literal = milvus_literal(value)
        if literal is None:
            return False
        clauses.append(template.format(literal))
        return True

    if filters.speaker:
        key = " ".join(filters.speaker.lower().split()).replace("|", " ")
        if not add(f"array_contains({SPEAKER_KEYS}, {{}})", key):
            return None
    for name in ("lang", "source", "episode"):
        value = getattr(filters, name)
        if value and not add(f"{name} == {{}}", value):
            return None
    if filters.show and not add("show == {}", fold_show(filters.show)):
        return None
    if filters.date_from or filters.date_to:
        clauses.append('date != ""')  # passages with no known date never match a range, as in SQLite
        if filters.date_from and not add("date >= {}", filters.date_from):
            return None
        if filters.date_to and not add("date <= {}", filters.date_to + "\uffff"):  # a bare date: that whole day
            return None
    return " and ".join(clauses)


def milvus_row(vid: int, vector: np.ndarray, attributes: VectorAttributes) -> dict:
    """One row to insert: the id, the vector and the fields a filter expression tests."""
    if len(attributes.speaker_keys) > MAX_KEYS:
        raise ValueError(f"passage {vid} has {len(attributes.speaker_keys)} speaker keys; Milvus stores {MAX_KEYS}")
    row = {ID: vid, VECTOR: vector.tolist(), SPEAKER_KEYS: list(attributes.speaker_keys)}
    for name in SCALARS:
        row[name] = getattr(attributes, name)
    row["show"] = fold_show(row["show"])
    return row
