"""Vector id -> row lookup (podquote.vectors.id_rows): buckets for hash-like ids, a binary search otherwise."""

from __future__ import annotations

import hashlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from podquote.passage import vector_id
from podquote.vectors.id_rows import MAX_BUCKET, IdRows

ID = st.integers(0, 2**63 - 1)


def expected_rows(ids: np.ndarray, wanted: list[int]) -> np.ndarray:
    where = {int(v): row for row, v in enumerate(ids)}
    return np.array(sorted(where[v] for v in wanted if v in where), dtype=np.int64)  # one row per id asked


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(ID, unique=True, max_size=80),  # spread like hashes
                 st.lists(st.integers(0, 300), unique=True, max_size=80)),  # crowded: a few buckets hold them all
       st.data())
def test_rows_are_those_of_a_dict_from_id_to_row(distinct, data):
    ids = np.array(distinct, dtype=np.int64)
    known = st.sampled_from(distinct) if distinct else st.nothing()
    wanted = data.draw(st.lists(st.one_of(known, ID, st.integers(-5, 305)), max_size=30))
    found = IdRows(ids).rows(np.array(wanted, dtype=np.int64))
    assert found.dtype == np.int64
    assert np.array_equal(found, expected_rows(ids, wanted))


def test_hashed_ids_use_buckets_and_crowded_ids_a_binary_search(monkeypatch):
    # Which way a lookup went shows in whether it called numpy's binary search (the buckets never do).
    searches = []
    binary_search = np.searchsorted
    monkeypatch.setattr(np, "searchsorted", lambda *a, **kw: searches.append(1) or binary_search(*a, **kw))
    hashed = np.array([vector_id(hashlib.sha256(str(i).encode()).hexdigest()[:16]) for i in range(5000)])
    lookup = IdRows(hashed)
    lookup.prepare()
    assert np.array_equal(lookup.rows(hashed[::-1]), np.arange(len(hashed)))
    assert searches == []
    crowded = np.concatenate([np.arange(MAX_BUCKET + 1), [2**62]])  # every id but one in the first bucket
    lookup = IdRows(crowded)
    assert np.array_equal(lookup.rows(crowded), np.arange(len(crowded)))
    assert searches == [1]


def test_no_ids():
    assert len(IdRows(np.zeros(0, dtype=np.int64)).rows(np.array([1, 2]))) == 0
    assert len(IdRows(np.arange(3)).rows(np.zeros(0, dtype=np.int64))) == 0
