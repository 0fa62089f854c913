"""A long list of talks kept as numpy arrays, made into `Ranked` talks only where it is read.

Listing the talks of an event or a year ("Which talks from KubeCon Barcelona 2019 do we have
notes on?") matches a good share of the talks: at a million chunks, making a `Ranked` of each
took 120 ms of a 220 ms question, to show three of them and count the rest."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from .fusion import Ranked
from .rowfile import ByRow


class Listing(ByRow[Ranked]):
    """`head` (ranked talks), then the talks `talks` with their first chunk rows `rows`, each
    at score 1.0 (talks of the head left out of the rest)."""

    def __init__(self, talks: np.ndarray, rows: np.ndarray,
                 head: Sequence[Ranked] = ()) -> None:
        self.head = list(head)
        if self.head:
            keep = ~np.isin(talks, np.fromiter((r.talk for r in self.head), dtype=np.int64))
            talks, rows = talks[keep], rows[keep]
        self.talks = np.asarray(talks, dtype=np.int64)
        self.rows = np.asarray(rows, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.head) + len(self.talks)

    def _at(self, i: int) -> Ranked:
        if i < len(self.head):
            return self.head[i]
        j = i - len(self.head)
        return Ranked(int(self.talks[j]), 1.0, (int(self.rows[j]),))

    def __iter__(self) -> Iterator[Ranked]:
        yield from self.head
        for talk, row in zip(self.talks.tolist(), self.rows.tolist()):
            yield Ranked(talk, 1.0, (row,))

    def talk_ids(self) -> np.ndarray:
        """Every talk, in order."""
        return np.concatenate([np.fromiter((r.talk for r in self.head), dtype=np.int64),
                               self.talks])
