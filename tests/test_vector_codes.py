"""8-bit vector codes (podquote.vectors.codes): what an ivf-pqfs index rescores from and ranking reads rows from."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from podquote.vectors.codes import VectorCodes, row_similarities

finite = st.floats(-1.0, 1.0, allow_nan=False, width=32)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 40), st.integers(1, 16)), elements=finite))
def test_a_row_decodes_to_within_half_a_step_of_each_value(vectors):
    codes = VectorCodes.train(vectors, vectors.shape[1])
    codes.extend(vectors)
    error = np.abs(codes[np.arange(len(vectors))] - vectors)
    assert np.all(error <= codes.step / 2 + 1e-6)


@settings(max_examples=30, deadline=None)
@given(arrays(np.float32, (20, 8), elements=finite), arrays(np.float32, (5, 8), elements=st.floats(-4, 4, width=32)))
def test_values_outside_the_trained_range_decode_to_its_ends(sample, outside):
    codes = VectorCodes.train(sample, 8)
    codes.extend(outside)
    decoded = codes[np.arange(5)]
    low, high = codes.low, codes.low + 255 * codes.step
    assert np.all(decoded >= low - 1e-6) and np.all(decoded <= high + codes.step)
    assert np.all(np.abs(decoded - np.clip(outside, low, high)) <= codes.step / 2 + 1e-5)


def test_cosines_from_codes_are_close_to_float32_cosines():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(2000, 512)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    codes = VectorCodes.train(vectors, 512)
    codes.extend(vectors)
    query = vectors[:10] + 0.3 * rng.normal(size=(10, 512)).astype(np.float32)
    query /= np.linalg.norm(query, axis=1, keepdims=True)
    exact = vectors @ query.T
    approximate = codes[np.arange(2000)] @ query.T
    assert np.abs(exact - approximate).max() < 0.01
    assert np.all(np.argmax(approximate, axis=0) == np.argmax(exact, axis=0))


@settings(max_examples=60, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 30), st.integers(1, 12)), elements=finite), st.data())
def test_similarities_equal_the_decoded_rows_dot_the_vector(vectors, data):
    """The fused dot (decoding folded into the vector) is the decoded rows' dot, for codes and float32 alike."""
    codes = VectorCodes.train(vectors, vectors.shape[1])
    codes.extend(vectors)
    rows = np.array(data.draw(st.lists(st.integers(0, len(vectors) - 1), max_size=10)), dtype=np.int64)
    vector = data.draw(arrays(np.float32, vectors.shape[1], elements=finite))
    assert np.allclose(row_similarities(codes, rows, vector), codes[rows] @ vector, atol=1e-4)
    assert np.allclose(row_similarities(vectors, rows, vector), vectors[rows] @ vector, atol=1e-5)
    assert row_similarities(codes, rows, vector).shape == (len(rows),)


def test_save_load_keep_and_extend(tmp_path):
    rng = np.random.default_rng(1)
    vectors = rng.uniform(-1, 1, size=(30, 6)).astype(np.float32)
    codes = VectorCodes.train(vectors, 6)
    codes.extend(vectors[:20])
    codes.extend(vectors[20:])
    assert codes.shape == (30, 6) and codes.codes.dtype == np.uint8
    names = codes.save(tmp_path)
    loaded = VectorCodes.load(tmp_path, 30, 6)
    assert set(names) == {p.name for p in tmp_path.iterdir()}
    assert np.array_equal(loaded[[3, 7, 29]], codes[[3, 7, 29]])
    mask = np.ones(30, dtype=bool)
    mask[[0, 5]] = False
    loaded.keep(mask)
    assert len(loaded) == 28 and np.array_equal(loaded[[0]], codes[[1]])


def test_codes_that_do_not_fit_the_index_are_refused(tmp_path):
    codes = VectorCodes.train(np.zeros((4, 6), np.float32), 6)
    codes.extend(np.zeros((4, 6), np.float32))
    codes.save(tmp_path)
    with pytest.raises(ValueError, match="do not fit"):
        VectorCodes.load(tmp_path, 5, 6)
    with pytest.raises(ValueError, match="do not fit"):
        VectorCodes.load(tmp_path, 4, 8)
