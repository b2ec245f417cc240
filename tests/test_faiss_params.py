"""FAISS index parameters are checked before anything is built or loaded, with a message naming the problem."""

from __future__ import annotations

import pytest

from podquote.vectors.faiss_params import DEFAULT_PARAMS, InvalidIndexParams, checked_params, sized_params
from podquote.vectors.faiss_store import FaissStore


@pytest.mark.parametrize("kind, params, message", [
    ("ivf", {}, "unknown FAISS index type 'ivf'"),
    ("hnsw", {"efSearch": 64}, "no parameter 'efSearch'"),
    ("ivf-sq8", {"quantizer": "pq"}, "quantizer 'pq'"),
    ("hnsw", {"M": -1}, "M must be a whole number"),
    ("ivf-sq8", {"nprobe": 2.5}, "nprobe must be a whole number"),
    ("ivf-pqfs", {"pq_m": 5}, "does not divide the dimension 64"),
])
def test_bad_parameters_are_refused_with_a_clear_message(kind, params, message):
    with pytest.raises(InvalidIndexParams, match=message):
        checked_params(kind, params, 64)
    with pytest.raises(ValueError, match=message):  # what loading an index with a bad manifest reports
        FaissStore(64, kind, params)


def test_defaults_pass_and_zeros_are_sized_by_count():
    for kind in DEFAULT_PARAMS:
        assert checked_params(kind, None, 64) == DEFAULT_PARAMS[kind]
    sized = sized_params("ivf-pqfs", checked_params("ivf-pqfs", None, 64), 64, 1_000_000)
    assert sized["nlist"] == 4000 and sized["nprobe"] == 95 and sized["quantizer"] == "flat"
    assert sized["pq_m"] == 16 and sized_params("hnsw", DEFAULT_PARAMS["hnsw"], 64, 10)["ef_search"] == 256
