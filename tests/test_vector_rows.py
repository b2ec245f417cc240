"""podquote.vectors.rows.RowFile reads the same rows as numpy's memory map, with pread (used by scripts/scale.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from podquote.vectors.rows import RowFile

ROWS, DIM = 37, 8


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    path = tmp_path_factory.mktemp("rows") / "vectors.npy"
    data = np.random.default_rng(3).standard_normal((ROWS, DIM)).astype(np.float32)
    np.save(path, data, allow_pickle=False)
    return path, data


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-ROWS, ROWS - 1), max_size=20))
def test_fancy_rows_match_numpy(matrix, rows):
    path, data = matrix
    assert np.array_equal(RowFile(path)[rows], data[rows].reshape(len(rows), DIM))


@pytest.mark.parametrize("key", [0, 5, -1, slice(3, 9), slice(0, ROWS, 4), slice(10, 10), slice(-5, None)])
def test_ints_and_slices_match_numpy(matrix, key):
    path, data = matrix
    assert np.array_equal(RowFile(path)[key], data[key])


def test_out_of_range_and_not_a_matrix(matrix, tmp_path):
    path, data = matrix
    rows = RowFile(path)
    assert rows.shape == data.shape and len(rows) == ROWS and np.array_equal(np.asarray(rows), data)
    with pytest.raises(IndexError):
        rows[ROWS]
    with pytest.raises(IndexError):
        rows[[0, ROWS]]
    np.save(tmp_path / "flat.npy", np.zeros(5, np.float32))
    with pytest.raises(ValueError):
        RowFile(tmp_path / "flat.npy")
