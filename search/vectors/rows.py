"""Random rows of a large `.npy` matrix, read with `pread` instead of through a memory map.

A query reads a few hundred scattered rows of `vectors.npy` (exact rescoring of approximate candidates, lexical
candidates, neighbouring passages). Through a memory map each of those page faults maps much more than the row:
on this machine's kernel (6.18, large page-cache folios) 200 random 2 KB rows mapped ~250 MB into the process,
so the resident set of a server grows towards the size of the file (20 GB at 10 million passages), and a row
that is not cached reads a whole folio from disk. `pread` copies just the row out of the page cache, and
POSIX_FADV_RANDOM keeps the kernel from reading ahead around it: the server's memory stays its own, and a
cache miss costs one small read.

`RowFile` answers the indexing a query path uses (`rows[i]`, `rows[[i, j, ...]]`, `rows[a:b]`) with plain
arrays, so it can stand in for the memory-mapped array.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


class RowFile:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        with open(self.path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = reader(handle)
            self._offset = handle.tell()
        if fortran or len(shape) != 2:
            raise ValueError(f"{self.path} is not a C-ordered matrix")
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.ndim = 2
        self._row_bytes = self.shape[1] * self.dtype.itemsize
        self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(self._fd, 0, 0, os.POSIX_FADV_RANDOM)

    def __len__(self) -> int:
        return self.shape[0]

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _read(self, start: int, count: int) -> np.ndarray:
        size = count * self._row_bytes
        data = os.pread(self._fd, size, self._offset + start * self._row_bytes)
        if len(data) != size:
            raise OSError(f"{self.path}: short read ({len(data)} of {size} bytes) at row {start}")
        return np.frombuffer(data, dtype=self.dtype).reshape(count, self.shape[1])

    def __getitem__(self, key):
        n = self.shape[0]
        if isinstance(key, (int, np.integer)):
            row = int(key) + n if key < 0 else int(key)
            if not 0 <= row < n:
                raise IndexError(f"row {key} out of range for {n} rows")
            return self._read(row, 1)[0]
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            if step != 1:
                return self[np.arange(start, stop, step)]
            return self._read(start, max(0, stop - start)) if stop > start else np.zeros((0, self.shape[1]), self.dtype)
        rows = np.asarray(key, dtype=np.int64).ravel()
        if rows.size and (rows.min() < -n or rows.max() >= n):
            raise IndexError(f"row out of range for {n} rows")
        rows = np.where(rows < 0, rows + n, rows)
        out = np.empty((len(rows), self.shape[1]), dtype=self.dtype)
        if not len(rows):
            return out
        order = np.argsort(rows, kind="stable")
        ordered = rows[order]
        # one read per run of consecutive rows (neighbouring passages often are)
        breaks = np.flatnonzero(np.diff(ordered) != 1) + 1
        for run in np.split(np.arange(len(ordered)), breaks):
            first, count = int(ordered[run[0]]), len(run)
            out[order[run]] = self._read(first, count)
        return out

    def __array__(self, dtype=None, copy=None):
        whole = self._read(0, self.shape[0])
        return whole.astype(dtype) if dtype is not None else whole


ROW_READERS = ("mmap", "random", "pread")


def open_rows(path: Path | str, how: str = "mmap"):
    """The float32 rows of a `.npy` as a query reads them: numpy's memory map ("mmap"), the same advised
    MADV_RANDOM so the kernel reads no pages around a row ("random"), or `RowFile` ("pread")."""
    if how not in ROW_READERS:
        raise ValueError(f"rows are read by one of {', '.join(ROW_READERS)}, not {how!r}")
    if how == "pread":
        return RowFile(path)
    rows = np.load(path, mmap_mode="r", allow_pickle=False)
    if how == "random":
        import mmap

        mapped = getattr(rows, "_mmap", None)  # numpy's own map of the file (a memmap keeps it there)
        if mapped is not None:
            mapped.madvise(mmap.MADV_RANDOM)
    return rows
