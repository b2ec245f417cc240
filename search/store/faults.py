"""Named crash points, so tests can kill a build at an exact step (inert unless the variables below are set).

    PODQUOTE_CRASH_AT=name:n     SIGKILL this process the n-th time (1-based) it reaches point `name`
    PODQUOTE_CRASH_TRACE=FILE    append "name:n" for every point reached (to list the points of a build)
    PODQUOTE_CRASH_DELAY=SECONDS sleep this long at every point (stretches a build so timed kills land inside it)

The crash-safety test (tests/test_reliability_crash.py) runs scripts/reindex.py with these set. Reaching a point
costs one dictionary update and three environment look-ups when none is set.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

_reached: Counter[str] = Counter()


def point(name: str) -> None:
    at = os.environ.get("PODQUOTE_CRASH_AT")
    trace = os.environ.get("PODQUOTE_CRASH_TRACE")
    delay = os.environ.get("PODQUOTE_CRASH_DELAY")
    if not (at or trace or delay):
        return
    _reached[name] += 1
    label = f"{name}:{_reached[name]}"
    if trace:
        with open(trace, "a", encoding="utf-8") as handle:
            handle.write(label + "\n")
    if delay:
        time.sleep(float(delay))
    if at == label:
        os.kill(os.getpid(), signal.SIGKILL)
