"""Which row of the vector matrix holds each vector id.

An approximate index answers with vector ids, and rescoring reads their rows. Vector ids are hashes of passage
ids (podquote.passage.vector_id), spread evenly over int64, so a binary search over the sorted ids is the general
answer, but at 10 million ids it cost 1.4-1.8 ms for one query's 2,000 candidates (23 dependent cache misses
each), a tenth of the 20 ms target. Evenly spread ids allow a bucket table instead: the top bits of an id name a
bucket of about one id, whose start the table holds, and a few vectorised steps find the id within its bucket.
Ids that crowd into a few buckets (not hashes) fall back to the binary search.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

# Past this many ids in one bucket the steps through a bucket cost more than a binary search.
MAX_BUCKET = 48


class IdRows:
    """Rows of vector ids for one `ids` array (row -> id); build a new one when the ids change."""

    def __init__(self, ids: np.ndarray):
        self.ids = np.asarray(ids, dtype=np.int64)

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """Rows of the given ids, ascending, one per id asked; ids not in the matrix are dropped."""
        ids = np.sort(np.asarray(ids, dtype=np.int64))
        if not len(self.ids) or not len(ids):
            return np.zeros(0, dtype=np.int64)
        positions = self._positions(ids) if self._buckets is not None else np.searchsorted(self._sorted_ids, ids)
        rows = self._order[np.minimum(positions, len(self.ids) - 1)]
        return np.sort(rows[self.ids[rows] == ids])

    @cached_property
    def _order(self) -> np.ndarray:
        return np.argsort(self.ids, kind="stable")

    @cached_property
    def _sorted_ids(self) -> np.ndarray:
        # A sorted copy, not `sorter=`: each step of a binary search then reads one array, not two (3 against
        # 6.4 ms for 2,000 ids among 10M).
        return self.ids[self._order]

    @cached_property
    def _buckets(self) -> tuple[int, int, np.ndarray] | None:
        """(lowest id, shift, start of each bucket in the sorted ids), or None where ids crowd into few buckets.
        Bucket of an id: (id - lowest) >> shift, about as many buckets as ids (4 bytes each)."""
        sorted_ids = self._sorted_ids
        low, span = int(sorted_ids[0]), int(sorted_ids[-1]) - int(sorted_ids[0]) + 1
        shift = max(0, span.bit_length() - len(sorted_ids).bit_length() + 1)
        counts = np.bincount((sorted_ids - low) >> shift, minlength=((span - 1) >> shift) + 1)
        if counts.max() > MAX_BUCKET:
            return None
        starts = np.zeros(len(counts) + 1, dtype=np.int32 if len(sorted_ids) < 2**31 else np.int64)
        np.cumsum(counts, out=starts[1:])
        return low, shift, starts

    def _positions(self, ids: np.ndarray) -> np.ndarray:
        """np.searchsorted(sorted ids, ids) for ids within the buckets' reach, found through the buckets."""
        low, shift, starts = self._buckets
        sorted_ids = self._sorted_ids
        high = int(sorted_ids[-1])
        bucket = (np.clip(ids, low, high) - low) >> shift
        position, end = starts[bucket].astype(np.int64), starts[bucket + 1].astype(np.int64)
        active = np.flatnonzero(position < end)
        while len(active):  # step each id on past the smaller ids of its bucket
            behind = sorted_ids[position[active]] < ids[active]
            active = active[behind]
            position[active] += 1
            active = active[position[active] < end[active]]
        return position

    def prepare(self) -> None:
        """Build the lookup now (a server's start) rather than on the first query: 2.4 s at 10M ids, mostly the sort."""
        self._buckets
