"""Rows of a 2-D .npy file read on demand with pread, for vectors too many to hold in memory.

A memory map would do the same with less code, but on current kernels a page fault in a file
the page cache holds in large folios maps the whole folio (up to 2 MB): at a million chunks, a
few hundred re-scored rows per question mapped most of the 1.5 GB `vectors.npy` into the
bot's resident memory within a few dozen questions. pread copies only the rows asked for
(1.5 KB each); adjacent rows are read in one call."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np


class NpyRows:
    """A read-only 2-D array on disk: `rows[ids]` reads those rows; `np.asarray(rows)` maps
    the whole file (for whole-index passes such as the benchmarks' recall)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with open(self.path, "rb") as fh:
            version = np.lib.format.read_magic(fh)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read(fh)
            self.offset = fh.tell()
        if len(shape) != 2 or fortran or dtype.hasobject:
            raise ValueError(f"{self.path.name} is not a 2-D C-ordered array")
        self.shape: tuple[int, int] = (int(shape[0]), int(shape[1]))
        self.dtype = dtype
        self.row_bytes = self.shape[1] * dtype.itemsize
        self._fd = os.open(self.path, os.O_RDONLY)

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: Any) -> np.ndarray:
        """The given rows (an array of row numbers, any order, repeats allowed)."""
        rows = np.asarray(rows, dtype=np.int64).ravel()
        if len(rows) and (rows.min() < 0 or rows.max() >= self.shape[0]):
            raise IndexError(f"row out of range 0..{self.shape[0] - 1}")
        if not len(rows):
            return np.empty((0, self.shape[1]), dtype=self.dtype)
        order = np.argsort(rows, kind="stable")
        wanted = rows[order]
        out = np.empty((len(rows), self.shape[1]), dtype=self.dtype)
        sorted_out = out if np.array_equal(order, np.arange(len(rows))) else np.empty_like(out)
        buf = memoryview(sorted_out).cast("B")
        # Runs of consecutive rows (a repeated row is read again: it is rare) in one read each.
        breaks = np.flatnonzero(np.diff(wanted) != 1) + 1
        starts = np.r_[0, breaks].tolist()
        ends = np.r_[breaks, len(wanted)].tolist()
        first = wanted[starts].tolist()
        size = self.row_bytes
        for a, b, row in zip(starts, ends, first):
            want = (b - a) * size
            if os.preadv(self._fd, [buf[a * size:b * size]], self.offset + row * size) != want:
                raise OSError(f"{self.path.name} is shorter than its header says")
        if sorted_out is not out:
            out[order] = sorted_out
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        array = np.load(self.path, mmap_mode="r")
        return np.asarray(array, dtype=dtype)
