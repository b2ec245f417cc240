"""Building the FAISS vector index of a new generation while its passages are still being embedded."""

from __future__ import annotations

import os
import queue
import threading
from typing import Sequence

import numpy as np

from .faiss_index import faiss_module
from .faiss_params import IVF_TYPES, choose_index_type
from .faiss_store import FaissStore


class VectorBuilder:
    """The passage vectors, in row order, into a matrix allocated once, and into the FAISS index while the rest is
    still being embedded: FAISS releases the GIL, so on 2 cores the index (an HNSW graph takes minutes at 200,000
    passages) is built on the core the embedder leaves idle instead of after it. An inverted file (IVF-SQ8,
    IVF-PQ) first trains on a sample of all the vectors, so it is built at the end.

    Use: `put` each vector (any order), `advance` after each batch, `finish` for the store (or `abandon`)."""

    STEP = 8192  # rows handed to FAISS at a time

    def __init__(self, vids: Sequence[int] | np.ndarray, dimension: int, index_type: str | None = None):
        self.vids = np.asarray(vids, dtype=np.int64).reshape(-1)
        self.matrix = np.zeros((len(self.vids), dimension), dtype=np.float32)
        self._row = {int(v): r for r, v in enumerate(self.vids)}
        self._filled = np.zeros(len(self.vids), dtype=bool)
        self._ready = self._sent = 0
        self.store = FaissStore(dimension, index_type or choose_index_type(len(self.vids)))
        self.store.vectors, self.store.ids = self.matrix, self.vids
        self.store.start_index(len(self.vids))
        self._incremental = self.store.type not in IVF_TYPES
        self._jobs: queue.Queue = queue.Queue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="podquote-vector-index", daemon=True)
        self._thread.start()

    def put(self, vid: int, vector: np.ndarray) -> None:
        row = self._row[int(vid)]
        self.matrix[row] = vector
        self._filled[row] = True

    def advance(self, final: bool = False) -> None:
        """Hand FAISS the rows filled so far (in row order), in steps, or all of them at the end."""
        while self._ready < len(self._filled) and self._filled[self._ready]:
            self._ready += 1
        if self._incremental and (self._ready - self._sent >= self.STEP or (final and self._ready > self._sent)):
            self._jobs.put((self._sent, self._ready, final))
            self._sent = self._ready

    def _work(self) -> None:
        faiss = faiss_module()
        while True:
            job = self._jobs.get()
            if job is None or self._error is not None:
                return
            lo, hi, final = job
            try:
                # While the embedder runs, leave it a core (OpenMP's thread count is this thread's own).
                faiss.omp_set_num_threads(max(1, (os.cpu_count() or 1) - (0 if final else 1)))
                self.store.add_rows(lo, hi)
            except BaseException as exc:  # re-raised by finish(), in the indexing thread
                self._error = exc

    def finish(self) -> FaissStore:
        """The filled store; raises if a vector is missing or the background build failed."""
        self.advance(final=True)
        if self._ready != len(self.vids):
            raise RuntimeError(f"{len(self.vids) - self._ready} passages have no vector")
        self._jobs.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        if not self._incremental and len(self.vids):
            self.store.train(self.matrix)
            self.store.add_rows(0, len(self.vids))
        return self.store

    def abandon(self) -> None:
        """Stop the background thread (the build failed or was interrupted)."""
        self._jobs.put(None)
