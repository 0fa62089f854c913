"""Fusing dense and BM25 scores of chunks into a ranking of talks.

fused = a*bm25/max_bm25 + (1-a)*dense_rescaled per chunk, where a = bm25_weight * (share of the
question's terms the corpus knows), so a question in a language the notes are not written in
leans on the embeddings. A talk scores its best chunk, plus a bonus from the similarity of the
question to its header (title, speakers, company); talks known only from the catalog count less."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .dense import DenseIndex

TALK_INDEX_FETCH_LIMIT = 4096   # beyond this many talk candidates, scan the allowed talks


@dataclass(frozen=True)
class FusionParams:
    """Score fusion weights, tuned on eval/dev_questions.yaml (scripts/tune_fusion.py), and the
    relevance floor, measured on it and eval/crosslang_questions.yaml (scripts/tune_floor.py)."""

    bm25_weight: float = 0.7
    title_weight: float = 0.28   # bonus from the similarity of the question to the talk header
    title_ref_rank: int = 20     # talk-header cosines are rescaled between this rank and the best
    depth: int = 100             # candidates taken from each retriever
    # The relevance floor (relevance.py): the best chunk's margin over the question's median
    # cosine with notes in its language must reach floor_margin (above every off-topic question
    # measured), less lexical_credit when the notes know every word of the question or the
    # dense and BM25 top talks overlap (0.02 then: about the flattest question's margin).
    floor_margin: float = 0.06
    lexical_credit: float = 0.04
    strong_margin: float = 0.08  # a margin above this overrides the unknown-names check
    strong_bm25: float = 3.0     # so does a best BM25 score above this (known names: any margin)
    floor_dense: float = 0.79    # with the best scores alone: best cosine below this, nothing
    strong_dense: float = 0.88   # ... above this, overrides the unknown-names check
    passages: int = 2            # passages per talk
    relative_floor: float = 0.5  # talks scoring under this share of the best are left out
    catalog_weight: float = 0.6  # talks known only from the catalog (a title, no notes) count less
    note_text_weight: float = 0.9  # a note's own text (intro, travel) counts less than its talks
    catalog_floor_dense: float = 0.82  # a title alone must match closely: see relevance.py
    catalog_bm25: float = 2.5    # ... and share a rare word with the question
    implied_boost: float = 0.1   # talks matching a name or year the question only mentions


class Ranked(NamedTuple):
    """A talk with its fused score and its chunk rows, best first. A named tuple: a question
    ranks a few hundred candidate talks, and a frozen dataclass took 3x as long to make."""

    talk: int
    score: float
    chunks: tuple[int, ...]


def rescale(sims: np.ndarray, best: float, ref: float) -> np.ndarray:
    """Cosines mapped so that `ref` is 0 and `best` is 1 (below `ref`: 0)."""
    return np.clip((sims - ref) / max(best - ref, 1e-6), 0.0, None)


def talk_weights(has_notes: np.ndarray, is_talk: np.ndarray, params: FusionParams) -> np.ndarray:
    """Each talk's weight in the ranking: talks known only from the catalog and the notes' own
    text count less than talks with notes."""
    return np.where(has_notes & is_talk, 1.0,
                    np.where(~has_notes, params.catalog_weight, params.note_text_weight))


def rank_talks(rows: np.ndarray, fused: np.ndarray, chunk_talk: np.ndarray, bonus: Any,
               weights: np.ndarray, floor_share: float = 0.0,
               is_talk: np.ndarray | None = None) -> list[Ranked]:
    """Talks of the candidate chunk rows by their best chunk's fused score plus their header
    bonus (None: no bonus; an array or a dict by talk), times their weight, best first (ties:
    lower talk row first); each talk's chunks by score, then by higher row first. Sorted in
    numpy: a question has a few hundred candidate chunks. With `floor_share`, only the talks
    scoring at least that share of the best talk (by `is_talk`; else of the best) are made."""
    if not len(rows):
        return []
    rows = np.asarray(rows, dtype=np.int64)
    talks = np.asarray(chunk_talk[rows], dtype=np.int64)
    order = np.lexsort((-rows, -fused, talks))        # by talk, then best chunk first
    by_talk = talks[order]
    change = np.empty(len(order), dtype=bool)
    change[0] = True
    np.not_equal(by_talk[1:], by_talk[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    ends = np.append(starts[1:], len(order))
    ids = by_talk[starts]
    score = np.asarray(fused[order[starts]], dtype=np.float64)
    if bonus is not None:
        score = score + (np.array([bonus[t] for t in ids.tolist()], dtype=np.float64)
                         if isinstance(bonus, dict) else np.asarray(bonus, np.float64)[ids])
    score = score * weights[ids]
    ranked = np.lexsort((ids, -score))
    if floor_share:
        talk = np.flatnonzero(is_talk[ids[ranked]]) if is_talk is not None else ranked[:0]
        best = score[ranked[talk[0]]] if len(talk) else score[ranked[0]]
        ranked = ranked[score[ranked] >= floor_share * best]
    chunks = rows[order].tolist()
    return [Ranked(t, s, tuple(chunks[a:b])) for t, s, a, b in zip(
        ids[ranked].tolist(), score[ranked].tolist(), starts[ranked].tolist(),
        ends[ranked].tolist())]


def title_bonus(talks: DenseIndex, qvec: np.ndarray | None, allowed_talks: np.ndarray,
                wanted: Iterable[int], params: FusionParams) -> Any:
    """Bonus by talk (indexable by talk number) for the talks in `wanted` at least: the
    question's cosine with each talk header, rescaled between the best allowed header and the
    (title_ref_rank+1)-th best."""
    if qvec is None or not len(talks):
        return None
    if talks.index is not None:
        return _title_bonus_indexed(talks, qvec, allowed_talks, wanted, params)
    rows = np.flatnonzero(allowed_talks)
    if not len(rows):
        return None
    # Up to the last allowed talk only (a group's talks are stored together, the catalog's
    # last: the notes' bonus does not scan the catalog's headers).
    stop = int(rows[-1]) + 1
    sims = talks.prefix(qvec, stop)
    allowed = sims[rows]
    # The best and the (title_ref_rank+1)-th best allowed cosine, without sorting them all.
    kth = min(params.title_ref_rank, len(allowed) - 1)
    ref = -np.partition(-allowed, kth)[kth]
    best = allowed.max()
    bonus = np.zeros(len(talks), dtype=np.float64)
    bonus[:stop] = params.title_weight * rescale(sims, best, ref)
    return bonus


def header_fetch(n_talks: int, n_allowed: int, params: FusionParams) -> int:
    """How many nearest talk headers `title_bonus` asks a talk index for, when `n_allowed`
    of `n_talks` talks are allowed (at least one): enough that the reference rank's is
    among them (the allowed ones are a sample of the whole)."""
    kth = min(params.title_ref_rank, n_allowed - 1)
    return min(n_talks, 2 * (kth + 1) * max(1, n_talks // n_allowed))


def _title_bonus_indexed(talks: DenseIndex, qvec: np.ndarray, allowed_talks: np.ndarray,
                         wanted: Iterable[int], params: FusionParams) -> Any:
    """Many talks (a talk index exists beyond EXACT_LIMIT): the best and the reference header
    cosines come from the talk index's candidates, re-scored exactly, instead of a scan of every
    talk vector per query; with a narrow filter, from the allowed talks' nearest."""
    n_allowed = int(allowed_talks.sum())
    if not n_allowed:
        return None
    kth = min(params.title_ref_rank, n_allowed - 1)
    k = header_fetch(len(talks), n_allowed, params)
    ids = np.zeros(0, dtype=np.int64)
    if k <= TALK_INDEX_FETCH_LIMIT:
        ids, _ = talks.search(qvec, k)
        ids = np.sort(ids[ids >= 0])
        ids = ids[allowed_talks[ids]]
    if k > TALK_INDEX_FETCH_LIMIT or len(ids) <= kth:
        # A narrow filter: the allowed talks' nearest among their quantised codes (their
        # vectors are on disk, read by row), re-scored exactly.
        ids = np.flatnonzero(allowed_talks)
        if len(ids) > kth + 1:
            ids = np.sort(talks.search(qvec, kth + 1, ids)[0]) if not talks.exact else ids
    top = -np.sort(-talks.scores(qvec, ids))
    best, ref = top[0], top[min(kth, len(top) - 1)]
    rows = np.sort(np.fromiter(wanted, dtype=np.int64))
    values = params.title_weight * rescale(talks.scores(qvec, rows), best, ref)
    return dict(zip(rows.tolist(), values.tolist()))
