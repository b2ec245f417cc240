"""Neighbour arrays: runs of one source at consecutive positions, answers to questions, the saved file."""

import sqlite3

import numpy as np
import pytest

from search.adjacency import ADJACENCY_FILE, Adjacency


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
