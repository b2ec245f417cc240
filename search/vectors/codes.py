"""8-bit codes of the passage vectors: what an index of tens of millions of passages keeps in memory instead of
float32.

Each dimension is mapped linearly from its range over a training sample onto 0..255 (a value outside the range
is clipped to it), so a row costs a quarter of its float32 bytes and decodes to within half a step per
dimension. A large index rescores its approximate candidates, and ranking reads the rows of neighbouring passages,
from these codes: at 10M passages the float32 vectors (20 GB) do not fit in memory beside the metadata, and each
row read from them is a disk read, while the codes (5 GB) do.

Saved as two plain `.npy` files (codes, uint8 n x d; range, float32 2 x d: low and step), memory-mapped on load.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CODES_FILE = "codes.npy"
CODE_RANGE_FILE = "code_range.npy"
ENCODE_CHUNK = 262_144  # rows encoded at a time: bounds the float32 temporaries


class VectorCodes:
    """Rows of 8-bit codes that index like a float32 matrix: `codes[rows]` decodes those rows."""

    def __init__(self, codes: np.ndarray, low: np.ndarray, step: np.ndarray):
        self.codes, self.low, self.step = codes, low.astype(np.float32), step.astype(np.float32)

    @classmethod
    def train(cls, sample: np.ndarray, dimension: int) -> "VectorCodes":
        """Empty codes whose range is the sample's (a few hundred thousand rows say all a range can say)."""
        sample = np.asarray(sample, dtype=np.float32)
        low = sample.min(axis=0) if len(sample) else np.full(dimension, -1.0, np.float32)
        high = sample.max(axis=0) if len(sample) else np.full(dimension, 1.0, np.float32)
        step = np.maximum(high - low, 1e-6) / 255
        return cls(np.zeros((0, dimension), dtype=np.uint8), low, step)

    @property
    def shape(self) -> tuple[int, int]:
        return self.codes.shape

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, rows) -> np.ndarray:
        return self.codes[rows].astype(np.float32) * self.step + (self.low + self.step / 2)

    def similarities(self, rows, vector: np.ndarray) -> np.ndarray:
        """`self[rows] @ vector` with the decoding folded into the vector: one float32 temporary, not three (0.8
        against 4-5 ms for 2,000 rows of 10M, the rescoring of one query)."""
        vector = np.asarray(vector, dtype=np.float32)
        offset = float(vector @ (self.low + self.step / 2))
        return self.codes[rows].astype(np.float32) @ (vector * self.step) + np.float32(offset)

    def encode(self, vectors: np.ndarray) -> np.ndarray:
        out = np.empty((len(vectors), len(self.low)), dtype=np.uint8)
        for lo in range(0, len(vectors), ENCODE_CHUNK):
            chunk = np.asarray(vectors[lo:lo + ENCODE_CHUNK], dtype=np.float32)
            out[lo:lo + len(chunk)] = np.clip(np.floor((chunk - self.low) / self.step), 0, 255)
        return out

    def extend(self, vectors: np.ndarray) -> None:
        grown = np.empty((len(self.codes) + len(vectors), self.codes.shape[1]), dtype=np.uint8)
        grown[:len(self.codes)] = self.codes
        grown[len(self.codes):] = self.encode(vectors)
        self.codes = grown

    def keep(self, mask: np.ndarray) -> None:
        self.codes = np.asarray(self.codes)[mask]

    def save(self, directory: Path) -> list[str]:
        np.save(directory / CODES_FILE, np.asarray(self.codes), allow_pickle=False)
        np.save(directory / CODE_RANGE_FILE, np.stack([self.low, self.step]), allow_pickle=False)
        return [CODES_FILE, CODE_RANGE_FILE]

    @classmethod
    def load(cls, directory: Path, count: int, dimension: int) -> "VectorCodes":
        try:
            codes = np.load(directory / CODES_FILE, mmap_mode="r", allow_pickle=False)
            bounds = np.load(directory / CODE_RANGE_FILE, allow_pickle=False)
        except (OSError, EOFError) as exc:  # a missing or truncated file: the caller names it as damaged
            raise ValueError(f"{CODES_FILE} or {CODE_RANGE_FILE} cannot be read ({exc})") from None
        if codes.dtype != np.uint8 or codes.shape != (count, dimension) or bounds.shape != (2, dimension):
            raise ValueError(f"{CODES_FILE} {codes.dtype}{codes.shape} and {CODE_RANGE_FILE} {bounds.shape} do not "
                             f"fit {count} vectors of {dimension}")
        # A plain ndarray view of the mapping: the same pages without np.memmap's per-slice overhead.
        return cls(codes.view(np.ndarray), bounds[0], bounds[1])


def row_similarities(matrix, rows, vector: np.ndarray) -> np.ndarray:
    """Dot products of `vector` with some rows of a float32 matrix (in memory, memory-mapped or a RowFile) or of
    VectorCodes: what ranking reads a passage's cosine from."""
    if isinstance(matrix, VectorCodes):
        return matrix.similarities(rows, vector)
    return np.asarray(matrix[rows], dtype=np.float32) @ np.asarray(vector, dtype=np.float32)
