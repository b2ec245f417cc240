"""scripts/benchkit.py, what every benchmark script measures with: one percentile (numpy's linear interpolation,
so p50s of bench.py, load.py and scale.py compare), a free port, timing."""

from __future__ import annotations

import math
import socket
import statistics
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import PROJECT

sys.path.insert(0, str(PROJECT / "scripts"))
from benchkit import free_port, percentile, timed_ms  # noqa: E402


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=60), st.floats(0, 100))
def test_percentile_is_numpys_linear_interpolation(values, q):
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)), rel=1e-9, abs=1e-6)


def test_percentile_50_is_the_median_and_ends_are_the_extremes():
    values = [5.0, 1.0, 4.0, 2.0]
    assert percentile(values, 50) == statistics.median(values) == 3.0
    assert (percentile(values, 0), percentile(values, 100)) == (1.0, 5.0)
    assert percentile(list(range(101)), 99) == 99.0
    assert math.isnan(percentile([], 50))


def test_free_port_can_be_listened_on_and_blocks_are_timed():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port()))
    times: list[float] = []
    with timed_ms(times):
        pass
    assert len(times) == 1 and 0 <= times[0] < 1000
