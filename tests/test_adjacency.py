"""Neighbour arrays: runs of one source at consecutive positions, answers to questions, the saved file."""

import sqlite3

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from podquote.adjacency import ADJACENCY_FILE, Adjacency


@pytest.fixture
def adjacency():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE passages (vid INTEGER PRIMARY KEY, row INTEGER, source TEXT, position INTEGER, "
               "speaker TEXT, text TEXT)")
    turns = [  # (source, position, speaker, text), in row order
        ("a", 0, "Host", "Why Rook?"), ("a", 1, "Guest", "Because bare metal."), ("a", 2, "Guest", "Right?"),
        ("a", 3, "Guest", "Yes."),  # the same speaker after a question: not an answer
        ("b", 0, "Host", "And Ceph？”"),  # a new source: not next to row 3
        ("b", 1, None, "Nobody knows."),  # no speaker: not an answer
        ("b", 5, "Guest", "Later."),  # a gap in positions: not next to row 5
    ]
    db.executemany("INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?)",
                   [(1000 - row, row, *turn) for row, turn in enumerate(turns)])
    return Adjacency.from_store(db)


def test_neighbours_stay_within_a_run(adjacency):
    before, after = adjacency.neighbours(np.arange(7))
    assert before.tolist() == [-1, 0, 1, 2, -1, 4, -1]
    assert after.tolist() == [1, 2, 3, -1, 5, -1, -1]


def test_answers_need_a_question_and_another_known_speaker(adjacency):
    # row 0 asks and Guest answers; row 2 asks but the same Guest goes on; row 4 asks, nobody known answers;
    # -1 (no row) is never answered
    assert adjacency.answered(np.array([0, 1, 2, 3, 4, 5, 6, -1])).tolist() == [
        True, False, False, False, False, False, False, False]
    assert adjacency.vids(np.array([0, 6])).tolist() == [1000, 994]


def test_saved_and_loaded(adjacency, tmp_path):
    assert adjacency.save(tmp_path) == [ADJACENCY_FILE]
    loaded = Adjacency.load(tmp_path, 7)
    assert np.array_equal(loaded.table, adjacency.table)
    with pytest.raises(ValueError, match="not 8 rows"):
        Adjacency.load(tmp_path, 8)
    assert Adjacency.load(tmp_path / "nowhere", 7) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 6), st.sampled_from(["Ann", "Bo", None]),
                          st.sampled_from(["Why?", "Because.", "Right？”"])), max_size=25))
def test_neighbours_and_answers_match_a_lookup_by_place(turns):
    """Whatever order rows come in, neighbours are the same source's previous and next positions, and an answer
    is another known speaker's turn right after a question."""
    turns = list({(source, position): (source, position, speaker, text)
                  for source, position, speaker, text in turns}.values())  # (source, position) is unique
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE passages (vid INTEGER PRIMARY KEY, row INTEGER, source TEXT, position INTEGER, "
               "speaker TEXT, text TEXT)")
    db.executemany("INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?)",
                   [(row + 1, row, *turn) for row, turn in enumerate(turns)])
    adjacency = Adjacency.from_store(db)
    rows = np.arange(len(turns))
    before, after = adjacency.neighbours(rows) if len(turns) else (rows, rows)
    place = {(s, p): row for row, (s, p, _, _) in enumerate(turns)}
    for row, (source, position, speaker, text) in enumerate(turns):
        # rows are only neighbours when consecutive: a place found elsewhere in the row order is not used
        expected_before = place.get((source, position - 1), -1)
        expected_after = place.get((source, position + 1), -1)
        assert before[row] == (expected_before if expected_before == row - 1 else -1)
        assert after[row] == (expected_after if expected_after == row + 1 else -1)
        if after[row] >= 0:
            nxt = turns[row + 1]
            expected = text != "Because." and bool(speaker) and bool(nxt[2]) and speaker != nxt[2]
            assert adjacency.answered(np.array([row]))[0] == expected
        else:
            assert not adjacency.answered(np.array([row]))[0]
