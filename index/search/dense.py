"""Nearest-neighbour search over normalised vectors: FAISS, with exact re-scoring.

`DenseIndex` holds the vectors (row number = id) and, when built with one, a FAISS index over
them: exact (flat inner product) up to EXACT_LIMIT rows, IVF with 8-bit scalar quantisation
beyond. Scores are cosines (the vectors are L2-normalised); quantised candidates are re-scored
exactly from the vectors. Used for the chunk vectors and for the talk-header vectors (which
get a FAISS index only beyond EXACT_LIMIT talks; fewer are scanned with numpy). The shape
follows txtai's FAISS wrapper: build, search, save, load."""

from __future__ import annotations

import functools
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any, Union

import numpy as np

from .npyrows import NpyRows

Rows = Union[np.ndarray, range]   # row ids, sorted, or a range of rows (a group's)
EXACT_LIMIT = 20_000          # up to this many rows the FAISS index is exact (flat)
SCAN_LIMIT = 20_000           # a filter allowing at most this many rows is searched in every list
# Beyond EXACT_LIMIT: IVF with 8-bit scalar quantisation (IVF-SQ8). nlist ~ sqrt(n) lists and
# nprobe = nlist / IVF_PROBE_DIV lists searched; candidates are re-scored exactly from the
# vectors. On bench/'s synthetic corpora (bench/README.md) this gave recall@10 >= 0.98
# against exact search at 100k and 1M chunks; HNSW (M=32) reached only ~0.93 there and took
# minutes to build at 1M on 2 cores.
IVF_PROBE_DIV = ((300_000, 4), (None, 8))   # up to 300k rows: nlist/4; beyond: nlist/8


def build_faiss(vectors: np.ndarray) -> Any:
    """Exact inner-product index up to EXACT_LIMIT rows, IVF-SQ8 beyond (see above)."""
    import faiss
    dim = vectors.shape[1]
    n = len(vectors)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    index: Any
    if n <= EXACT_LIMIT:
        index = faiss.IndexFlatIP(dim)
    else:
        nlist = int(np.sqrt(n))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                              faiss.METRIC_INNER_PRODUCT)
        div = next(d for limit, d in IVF_PROBE_DIV if limit is None or n <= limit)
        index.nprobe = max(1, nlist // div)
        sample = vectors[np.random.default_rng(0).choice(n, min(n, nlist * 50), replace=False)]
        index.train(sample)
    if n:
        index.add(vectors)
    return index


@functools.cache
def _blas() -> Any:
    from threadpoolctl import ThreadpoolController
    return ThreadpoolController().select(user_api="blas")


def one_blas_thread() -> Any:
    """A context in which BLAS runs on one thread. A question's arithmetic is matrix-vector
    products of at most a few thousand rows: OpenBLAS's threads cost more to wake than they
    save, and on a busy 2-core box they queue behind the encoder's (the real index's query
    went from 8.5 to 2 ms of search beyond the encode, bench/README.md)."""
    return _blas().limit(limits=1)


def search_faiss(index: Any, qvec: np.ndarray, k: int, among: Rows | None = None,
                 every_list: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(scores, ids) of one query's k nearest in a FAISS index; only the rows `among` (of an
    IVF index, probing `every_list` or its usual share) when given. One query is best
    searched on one thread: OpenMP's fork/join for a 1-row search costs more than it saves
    (10 ms against 1 ms at 10k chunks on a busy 2-core box). The setting is per calling
    thread, so index builds elsewhere keep their threads."""
    import faiss
    faiss.omp_set_num_threads(1)
    params = None
    if among is not None:
        if isinstance(among, range):
            sel = faiss.IDSelectorRange(among.start, among.stop)
        else:
            bits = np.zeros(index.ntotal, dtype=bool)
            bits[among] = True
            sel = faiss.IDSelectorBitmap(np.packbits(bits, bitorder="little"))
        params = faiss.SearchParametersIVF(sel=sel,
                                           nprobe=index.nlist if every_list else index.nprobe)
    scores, ids = index.search(qvec.reshape(1, -1).astype(np.float32), k, params=params)
    return scores[0], ids[0]


class DenseIndex:
    """Vectors and an optional FAISS index over them; row numbers are ids."""

    def __init__(self, vectors: np.ndarray, index: Any = None) -> None:
        self.vectors = vectors
        self.index = index
        self.exact = index is None or _is_flat(index)
        # The last query's cosines, when the vectors are in memory (`prefix`): (query, the
        # cosines, how many rows are done) or (query, a future of every row's, 0).
        self._memo: tuple[bytes, np.ndarray | Future[np.ndarray], int] | None = None
        # Rows whose cosines are another index's (`share_rows`): (that index, the other rows,
        # their vectors, the shared rows, the other index's rows for them).
        self._shared: tuple[DenseIndex, np.ndarray, np.ndarray, np.ndarray,
                            np.ndarray] | None = None
        # The searches `start`ed for the last query: by (k, allowed range), their results.
        self._started: tuple[bytes, dict[tuple[int, tuple[int, int] | None],
                                         Future[tuple[np.ndarray, np.ndarray]]]] | None = None

    @classmethod
    def build(cls, vectors: np.ndarray, scan_limit: int = 0) -> DenseIndex:
        """An index over `vectors`; up to `scan_limit` rows, no FAISS index (a numpy scan)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        return cls(vectors, build_faiss(vectors) if len(vectors) > scan_limit else None)

    @property
    def in_memory(self) -> bool:
        """Whether the vectors are in memory (scanned, not read by row)."""
        return isinstance(self.vectors, np.ndarray)

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    def scores(self, qvec: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Exact cosines of the query with the given rows (all rows when None)."""
        if self.in_memory:
            if rows is None:
                return self.prefix(qvec, len(self))
            rows = np.asarray(rows)
            stop = int(rows.max()) + 1 if len(rows) else 0
            return self.prefix(qvec, stop)[rows]
        vectors = np.asarray(self.vectors) if rows is None else self.vectors[rows]
        return np.asarray(vectors @ qvec, dtype=np.float32)

    def prefix(self, qvec: np.ndarray, stop: int) -> np.ndarray:
        """The query's cosines with rows [0, stop) of vectors in memory, remembered for the
        last query and extended as later rows are asked for: groups are stored in order
        (notes, their own text, the catalog), and a question the catalog cannot answer never
        scans its thousands of rows."""
        key = _key(qvec)
        memo = self._memo
        if memo is None or memo[0] != key:
            memo = (key, np.empty(len(self), dtype=np.float32), 0)
        elif isinstance(memo[1], Future):
            memo = (key, memo[1].result(), len(self))
        _, values, done = memo
        if done < stop:
            values[done:stop] = self._part(qvec, done, stop)
            memo = (key, values, stop)
        self._memo = memo
        return values[:stop]

    def touch(self) -> None:
        """Read every cache line of vectors held in memory (a word each), so that the scan
        of the next question finds them in the shared cache: after the encoder ran, the
        4 MB of the real index's chunk vectors took 0.27 ms to scan, not 0.14."""
        if self.in_memory and self.vectors.size:
            self.vectors.reshape(-1)[::16].sum()

    def _part(self, qvec: np.ndarray, start: int, stop: int) -> np.ndarray:
        """Cosines of rows [start, stop), shared rows read from the other index."""
        if self._shared is None:
            return np.asarray(self.vectors[start:stop] @ qvec, dtype=np.float32)
        other, mine, own, theirs, their_rows = self._shared
        out = np.empty(stop - start, dtype=np.float32)
        a, b = np.searchsorted(mine, [start, stop])
        out[mine[a:b] - start] = own[a:b] @ qvec
        a, b = np.searchsorted(theirs, [start, stop])
        if b > a:
            out[theirs[a:b] - start] = other.scores(qvec, their_rows[a:b])
        return out

    def share_rows(self, other: DenseIndex, rows: np.ndarray) -> None:
        """Rows whose vector is `other`'s row rows[i] (-1: none) read their cosines from
        `other`'s (both in memory): a catalog talk's header is the text of its one chunk,
        and its vector was scanned twice a question (4 MB each on the real index)."""
        shared = np.asarray(rows) >= 0
        if not (self.in_memory and other.in_memory) or not shared.any():
            return
        mine = np.flatnonzero(~shared)
        self._shared = (other, mine, np.ascontiguousarray(self.vectors[mine]),
                        np.flatnonzero(shared), np.asarray(rows)[shared])

    def start(self, qvec: np.ndarray, pool: Executor, k: int = 0,
              allowed: range | None = None) -> None:
        """Start in `pool` what a question will ask of these vectors: its cosines with every
        row when they are in memory, else (a FAISS index) `search(qvec, k, allowed)`. numpy
        and FAISS let go of the GIL: a question's chunks and talk headers are searched at
        once, while the question's words are read."""
        key = _key(qvec)
        if self._shared is not None:        # read from the other index's: no scan to start
            return
        if self.in_memory:
            memo = self._memo
            if memo is None or memo[0] != key:
                self._memo = (key, pool.submit(self._part, qvec, 0, len(self)), 0)
            return
        if k <= 0:
            return
        allowed = self._narrowed(allowed)
        started = self._started
        if started is None or started[0] != key:
            started = self._started = (key, {})
        span = None if allowed is None else (allowed.start, allowed.stop)
        if (k, span) not in started[1]:
            started[1][(k, span)] = pool.submit(self._search, qvec, k, allowed)

    def search(self, qvec: np.ndarray, k: int, allowed: Rows | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """(row ids, cosines) of the k nearest rows, best first; only rows in `allowed` (sorted
        row ids, or a range of rows) when given. Vectors held in memory (an exact index) are
        scanned with numpy, once per query (`scores`). A quantised index gives its best 2k by
        their codes (only the allowed rows': in the lists it usually probes for a broad
        filter, in every list for a narrow one), re-scored exactly. A search `start`ed is
        waited for."""
        allowed = self._narrowed(allowed)
        started = self._started
        if started is not None and (allowed is None or isinstance(allowed, range)):
            span = None if allowed is None else (allowed.start, allowed.stop)
            found = started[1].get((k, span))
            if found is not None and started[0] == _key(qvec):
                return found.result()
        return self._search(qvec, k, allowed)

    def _narrowed(self, allowed: Rows | None) -> Rows | None:
        """None for a range of every row."""
        whole = isinstance(allowed, range) and allowed.start <= 0 and allowed.stop >= len(self)
        return None if whole else allowed

    def _search(self, qvec: np.ndarray, k: int, allowed: Rows | None
                ) -> tuple[np.ndarray, np.ndarray]:
        if self.exact and self.in_memory:
            if isinstance(allowed, range):      # a slice of the cosines, not a gather
                upto = self.prefix(qvec, allowed.stop)
                return top_rows(np.arange(allowed.start, allowed.stop, dtype=np.int64),
                                upto[allowed.start:allowed.stop], k)
            rows = allowed if allowed is not None else np.arange(len(self), dtype=np.int64)
            return top_rows(rows, self.scores(qvec, rows), k)
        total = self.index.ntotal
        if allowed is not None and not len(allowed):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        fetch = min(total, k if self.exact else 2 * k)
        if allowed is None:
            scores, ids = search_faiss(self.index, qvec, fetch)
        else:
            # Quantised and filtered: only the allowed rows' codes (their vectors are on disk,
            # too many to read one by one), then exact re-scoring. A broad filter is searched
            # in the lists usually probed, a narrow one (or a broad one whose nearest rows the
            # filter left out) in every list.
            fetch = min(len(allowed), fetch)
            narrow = len(allowed) <= SCAN_LIMIT
            scores, ids = search_faiss(self.index, qvec, fetch, allowed, every_list=narrow)
            if not narrow and int((ids >= 0).sum()) < min(k, len(allowed)):
                scores, ids = search_faiss(self.index, qvec, fetch, allowed)
        keep = ids >= 0
        ids, scores = ids[keep], scores[keep]
        if not self.exact and len(ids):
            ids = ids[:2 * k]               # the best 2k by their codes, as without a filter
            scores = self.scores(qvec, ids)
            order = np.argsort(-scores, kind="stable")
            ids, scores = ids[order], scores[order]
        return ids[:k], scores[:k]

    def save(self, vectors_path: Path, faiss_path: Path) -> None:
        """The vectors as .npy and, when there is one, the FAISS index."""
        import faiss
        np.save(vectors_path, np.asarray(self.vectors, dtype=np.float32))
        if self.index is not None:
            faiss.write_index(self.index, str(faiss_path))

    @classmethod
    def load(cls, vectors_path: Path, faiss_path: Path, required: bool = False) -> DenseIndex:
        """The FAISS index if one was saved (FAISS's error when it is `required` and missing or
        unreadable) and the vectors: in memory when they are scanned (no index, or an exact
        one: at most EXACT_LIMIT rows), else read by row when re-scored (`npyrows.py`). The
        FAISS index is memory-mapped (IO_FLAG_MMAP_IFC maps a flat index's codes and an IVF
        index's inverted lists alike): opening it reads only its header."""
        import faiss
        index = faiss.read_index(str(faiss_path), faiss.IO_FLAG_MMAP_IFC) \
            if required or faiss_path.is_file() else None
        vectors: Any = np.load(vectors_path) if index is None or _is_flat(index) \
            else NpyRows(vectors_path)
        return cls(vectors, index)


def share_header_vectors(headers: DenseIndex, chunks: DenseIndex, talks: np.ndarray,
                         first: np.ndarray) -> None:
    """Talk headers whose vector is their first chunk's (`first[i]` of talk `talks[i]`: a
    catalog talk, a title and no notes) read their cosines from the chunks'
    (`DenseIndex.share_rows`), when both are in memory."""
    if not (chunks.in_memory and headers.in_memory and len(headers) and len(chunks)):
        return
    same = np.all(np.asarray(headers.vectors)[talks] == np.asarray(chunks.vectors)[first],
                  axis=1)
    rows = np.full(len(headers), -1, dtype=np.int64)
    rows[talks[same]] = first[same]
    headers.share_rows(chunks, rows)


def take(values: np.ndarray, rows: Rows) -> np.ndarray:
    """values[rows], a slice for a range of rows."""
    return values[rows.start:rows.stop] if isinstance(rows, range) else values[rows]


def top_rows(rows: np.ndarray, sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cosines) of the k best, best first, ties by lower row."""
    if k <= 0:
        return rows[:0], sims[:0]
    if k < len(sims):
        kth = -np.partition(-sims, k - 1)[k - 1]
        keep = np.flatnonzero(sims >= kth)
        rows, sims = rows[keep], sims[keep]
    order = np.lexsort((rows, -sims))[:k]
    return rows[order], sims[order]


def _key(qvec: np.ndarray) -> bytes:
    """What identifies a query vector in the remembered results."""
    return np.asarray(qvec, dtype=np.float32).tobytes()


def _is_flat(index: Any) -> bool:
    """Whether a FAISS index's scores are exact inner products (a flat index)."""
    import faiss
    return isinstance(index, faiss.IndexFlat)
