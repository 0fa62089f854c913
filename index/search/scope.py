"""Which talks and chunk rows a question may draw on, and their BM25 scores: the groups
(talks with notes, the notes' own text, the catalog), the explicit filters and those read from
the question's words, and everything of a question that needs no vector (`Lexical`).

A group's chunks are a range of rows (the index keeps them together): a whole group is a
`range`, not a gather over every chunk (at a million chunks, a few milliseconds each)."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..models import Filters, Understood
from .bm25 import bm25_scores
from .dense import Rows, take
from .filters import FilterMask
from .fusion import FusionParams
from .groups import CATALOG, NOTES, ORDER, TEXTS
from .store import StoredIndex


@dataclass(frozen=True)
class Lexical:
    """A group's share of a question that needs no vector (`Retriever.lexical`)."""

    allowed_talks: np.ndarray             # talks of the group within the filters
    allowed_chunks: Rows | None           # their chunk rows (None: every row)
    scale_talks: np.ndarray               # talks the header bonus is scaled among
    scale: Rows | None                    # chunk rows the scores are scaled among (None: allowed)
    bm25: np.ndarray                      # BM25 score of every chunk row (0 outside the group)
    bm25_rows: np.ndarray                 # the best BM25 rows among the allowed ones
    best_bm25: float
    bm25_scale: float
    known_share: float                    # share of the question's terms the group's BM25 knows



class Reading(NamedTuple):
    """A question read before its vector (`Retriever._read`)."""

    understood: Understood
    words: str                            # the words left to search for
    implied: np.ndarray | None            # talks the words' filters allow (None: any)
    lexical: dict[str, Lexical]           # by group, for a question to answer


@functools.cache
def helpers() -> ThreadPoolExecutor:
    """Threads that read questions while they are encoded, and search their vectors while
    they are read (a few each, a few questions at a time)."""
    return ThreadPoolExecutor(4, thread_name_prefix="search")


class Scope:
    """The talks and chunk rows of an index a question may draw on (`catalog_results`: the
    talks known only from the catalog too)."""

    def __init__(self, stored: StoredIndex, params: FusionParams,
                 catalog_results: bool = True) -> None:
        cols = stored.columns
        assert cols is not None, "an index opened by load_index has its columns"
        self.stored = stored
        self.params = params
        self.catalog_results = catalog_results
        self.columns = cols
        self.chunk_talk = cols.chunk_talk
        self.groups = cols.groups                 # each talk's group
        self.in_group = {g: self.groups == g for g in (NOTES, TEXTS, CATALOG)}
        self.has_notes = ~self.in_group[CATALOG]
        self.is_talk = np.asarray(cols.is_talk, dtype=bool)
        self.filter_mask = FilterMask(cols.facets, len(self.groups))
        # Whether each group's chunks are its range of rows (`group_rows`), as an index built
        # by index.build stores them: else a group's rows are found by mask, as any filter's.
        self.grouped = _grouped(self.chunk_talk, cols.group, self.group_rows())
        self._title_pos = {w: i for i, w in enumerate(cols.title_words)}
        self._titled_cache: dict[str, np.ndarray] = {}
        self._bm25_memo: tuple[str, dict[str, np.ndarray]] = ("", {})
        self._chunks_memo: tuple[Filters | None, np.ndarray | None, dict[
            str, tuple[Rows | None, np.ndarray | None]]] = (None, None, {})

    def group_rows(self) -> dict[str, tuple[int, int]]:
        """Chunk rows of each group: talks with notes, the notes' own text, the catalog."""
        a = self.stored.notes_chunks
        b = a + self.stored.text_chunks
        return {NOTES: (0, a), TEXTS: (a, b), CATALOG: (b, len(self.chunk_talk))}

    def talks_allowed(self, filters: Filters, group: str) -> int:
        """How many talks of a group pass the explicit filters."""
        if filters.is_empty() and self.catalog_results:
            return int(self.in_group[group].sum()) if group else len(self.groups)
        return int(self.allowed_talks(filters, group).sum())

    def allowed_talks(self, filters: Filters, group: str = "",
                       implied: np.ndarray | None = None) -> np.ndarray:
        """Talks of a group ("" for every group the answers may cite) that pass the filters
        (and the `implied` mask of the filters read from the question's words)."""
        mask = self.in_group[group].copy() if group else np.ones(len(self.groups), dtype=bool)
        if not self.catalog_results:
            mask &= self.has_notes
        if not filters.is_empty():
            mask &= self.filter_mask(filters)
        if implied is not None:
            mask &= implied
        return mask

    def implied_mask(self, understood: Understood) -> np.ndarray | None:
        """Talks that pass the filters read from the question's words (None: no such filter);
        `events` is any of those events."""
        if understood.is_empty():
            return None
        mask = self.filter_mask(Filters(year=understood.year))
        if understood.company:     # "Spotify's Culture of Failure" is Spotify's talk
            mask &= self.filter_mask(Filters(company=understood.company)) | \
                self.titled(understood.company)
        if understood.speaker:     # notes often name a speaker only in the talk's heading
            mask &= self.filter_mask(Filters(speaker=understood.speaker)) | \
                self.titled(understood.speaker)
        if understood.events:
            mask &= np.logical_or.reduce([self.filter_mask(Filters(event=e))
                                          for e in understood.events])
        return mask

    def titled(self, name: str) -> np.ndarray:
        """Talks whose title names the person or company: every part of the name is a word
        of the title, one letter off allowed in parts of five letters or more (notes misspell
        names). Looked up in an index of title words, and remembered per name."""
        if name not in self._titled_cache:
            from rapidfuzz import process
            from rapidfuzz.distance import Levenshtein
            out = self.is_talk.copy()
            for part in (p.lower() for p in name.split() if p):
                words = [part] if len(part) < 5 else [w for w, _, _ in process.extract(
                    part, self.columns.title_words, scorer=Levenshtein.distance,
                    score_cutoff=1, limit=None)]
                hit = np.zeros(len(self.groups), dtype=bool)
                indptr, members = self.columns.title_indptr, self.columns.title_talks
                for pos in (self._title_pos[w] for w in words if w in self._title_pos):
                    hit[members[indptr[pos]:indptr[pos + 1]]] = True
                out &= hit
            self._titled_cache[name] = out
        return self._titled_cache[name]

    def group_chunks(self, group: str, filters: Filters, implied: np.ndarray | None = None
                     ) -> Rows | None:
        """Chunk rows of a group within the explicit filters and the `implied` mask of talks
        (None: every row); a whole group's rows are a range of rows."""
        return self._chunks(group, filters, implied)[0]

    def _chunks(self, group: str, filters: Filters, implied: np.ndarray | None
                ) -> tuple[Rows | None, np.ndarray | None]:
        """`group_chunks`, and their mask by chunk row unless they are a range or every row.
        Remembered for the last filters: a question asks for its groups' rows a few times
        (a gather over every chunk at each)."""
        if group and implied is None and filters.is_empty() and self.catalog_results and \
                self.grouped:
            start, end = self.group_rows()[group]
            whole = start == 0 and end == len(self.chunk_talk)
            return (None if whole else range(start, end)), None
        memo = self._chunks_memo
        if memo[0] != filters or memo[1] is not implied:
            memo = self._chunks_memo = (filters, implied, {})
        if group not in memo[2]:
            talks = self.allowed_talks(filters, group, implied)
            mask = None if talks.all() else talks[self.chunk_talk]
            memo[2][group] = (None if mask is None else np.flatnonzero(mask), mask)
        return memo[2][group]

    def bm25_of(self, group: str) -> Any:
        found = {CATALOG: self.stored.bm25_catalog, TEXTS: self.stored.bm25_texts}.get(group)
        return found if found is not None else self.stored.bm25

    def bm25_scores(self, text: str, group: str) -> np.ndarray:
        """BM25 scores for every chunk row, each group on its own statistics; rows outside
        the group score 0. The last question's are kept (by group): the relevance floor asks
        again."""
        memo = self._bm25_memo
        if memo[0] != text:
            memo = self._bm25_memo = (text, {})
        if group not in memo[1]:
            memo[1][group] = self._bm25_all(text, group)
        return memo[1][group]

    def _bm25_all(self, text: str, group: str) -> np.ndarray:
        out = np.zeros(len(self.chunk_talk), dtype=np.float32)
        for name, (start, end) in self.group_rows().items():
            index = {NOTES: self.stored.bm25, TEXTS: self.stored.bm25_texts,
                     CATALOG: self.stored.bm25_catalog}[name]
            if group in (name, "") and index is not None and end > start:
                out[start:end] = bm25_scores(index, text)
        return out

    def top_bm25(self, scores: np.ndarray, allowed: np.ndarray | None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """The `depth` best rows with a positive score (among the rows `allowed`, a mask by
        chunk row), best first, ties by row. Only the positive rows are sorted: at a million
        chunks, a question's words occur in a few percent of them; the mask is read at those
        rows (a binary search of each in the allowed rows took 10 ms a question at 1M)."""
        rows = np.flatnonzero(scores > 0)
        if allowed is not None and len(rows):
            rows = rows[allowed[rows]]
        depth = min(self.params.depth, len(rows))
        if depth == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        values = scores[rows]
        threshold = values[np.argpartition(-values, depth - 1)[depth - 1]]
        keep = np.flatnonzero(values >= threshold)
        keep = keep[np.lexsort((rows[keep], -values[keep]))][:depth]
        return rows[keep], values[keep]

    # -- ranking -----------------------------------------------------------------------------
    def lexical(self, text: str, filters: Filters, group: str = "notes",
                implied: np.ndarray | None = None, share: float = 1.0) -> Lexical:
        """What `rank` needs that the question's vector does not change: the group's allowed
        rows, its BM25 candidates and the scales (`share`: the share of the question's terms
        the group's BM25 knows). The retriever works it out while the encoder runs."""
        allowed_talks = self.allowed_talks(filters, group, implied)
        # (a whole group's rows score 0 in its BM25 outside it: no mask needed)
        allowed_chunks, allowed_mask = self._chunks(group, filters, implied)
        # Filters read from the question's words narrow the candidates without changing how
        # the rest score: each group is scaled by its best candidates before that reading (an
        # explicit filter is the asker's own scope, and scales within it).
        scale: Rows | None = None
        if implied is not None:
            scale = self.group_chunks(group, filters)
            if scale is None:      # every row (not None: that would scale within `implied`)
                scale = range(0, len(self.chunk_talk))
        all_bm25 = self.bm25_scores(text, group)
        b_rows, b_scores = self.top_bm25(all_bm25, allowed_mask)
        best_bm25 = float(b_scores[0]) if len(b_scores) else 0.0
        bm25_scale = float(take(all_bm25, scale).max()) if scale is not None and len(scale) \
            else best_bm25
        return Lexical(allowed_talks, allowed_chunks,
                       allowed_talks if scale is None else self.allowed_talks(filters, group),
                       scale, all_bm25, b_rows, best_bm25, bm25_scale, share)


def _grouped(chunk_talk: np.ndarray, talk_groups: np.ndarray,
             rows: dict[str, tuple[int, int]]) -> bool:
    """Whether the chunks of each group's talks are exactly its rows."""
    codes = np.asarray(talk_groups)[chunk_talk]
    return all(bool((codes[start:end] == ORDER.index(g)).all()) for g, (start, end) in
               rows.items()) and sum(end - start for start, end in rows.values()) == len(codes)
