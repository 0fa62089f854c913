"""Records kept one JSON object a line, read by row number through an array of line offsets.

An index of a million talks and chunks opens without parsing them: opening reads the offsets
(memory-mapped), and only the rows a search shows (a few talks, their passages) are read and
decoded. The file stays open, so an index swapped in by a rebuild does not change what an
already opened one reads."""

from __future__ import annotations

import json
import os
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

import numpy as np

T = TypeVar("T")
CACHE_ROWS = 4096          # decoded rows kept per file (results and overviews ask for the same)


def write_rows(path: Path, offsets_path: Path, records: Iterable[dict[str, Any]]) -> int:
    """Write the records as JSON lines and their byte offsets (n + 1 of them); returns n."""
    offsets = [0]
    with open(path, "wb") as fh:
        for rec in records:
            line = (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8")
            fh.write(line)
            offsets.append(offsets[-1] + len(line))
        fh.flush()
        os.fsync(fh.fileno())
    np.save(offsets_path, np.asarray(offsets, dtype=np.int64))
    return len(offsets) - 1


class ByRow(Sequence[T], Generic[T]):
    """A read-only sequence whose rows are made on demand (`_at(i)`, 0 <= i < len): indexing
    by int (negative from the end) or by slice."""

    @abstractmethod
    def _at(self, i: int) -> T:
        """Row i, 0 <= i < len(self)."""

    @overload
    def __getitem__(self, i: int) -> T: ...

    @overload
    def __getitem__(self, i: slice) -> list[T]: ...

    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            return [self._at(j) for j in range(*i.indices(len(self)))]
        n = len(self)
        i = int(i)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"row {i} of {n}")
        return self._at(i)


class RowFile(ByRow[T]):
    """A read-only sequence over a JSON-lines file: row i is `decode(json of line i)`."""

    def __init__(self, path: Path, offsets_path: Path, decode: Callable[[dict[str, Any]], T]
                 ) -> None:
        self.path = Path(path)
        self.offsets = np.load(offsets_path, mmap_mode="r")
        size = os.path.getsize(self.path)
        if self.offsets.ndim != 1 or len(self.offsets) == 0 or int(self.offsets[-1]) != size:
            raise ValueError(f"{Path(offsets_path).name} does not match {self.path.name}")
        self.decode = decode
        self._fd = os.open(self.path, os.O_RDONLY)
        self._cached = lru_cache(maxsize=CACHE_ROWS)(self._read)

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def _at(self, i: int) -> T:
        return self._cached(i)

    def _read(self, i: int) -> T:
        start, end = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.decode(json.loads(os.pread(self._fd, end - start, start)))

    def __iter__(self) -> Iterator[T]:
        """Every row in order, streamed (for whole-index passes: the Home tab, the tests)."""
        with open(self.path, encoding="utf-8") as fh:
            for line in fh:
                yield self.decode(json.loads(line))
