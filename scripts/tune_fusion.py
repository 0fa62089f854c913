"""Grid-search the fusion weights and relevance floor on a questions file (prints a table).

Usage: python scripts/tune_fusion.py eval/dev_questions.yaml --index data/index
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path
from typing import Any

import numpy as np

from index.search.bm25 import bm25_scores
from index.cli import open_retriever
from index.search.evaluation import first_match, load_questions
from index.search.filters import parse_query


def run(r: Any, rows: list, alpha: float, mode: str, k: float) -> tuple[float, float, list]:
    """recall@1, recall@5 and per-question stats of one fusion setting."""
    hits1 = hits5 = 0
    stats = []
    for q, allowed, dense, bm in rows:
        d = np.where(allowed, dense, -1)
        b = np.where(allowed, bm, 0)
        if mode.startswith("score"):
            ref_rank = int(mode[5:] or 0)
            srt = np.sort(d[allowed])[::-1]
            ref = srt[min(ref_rank, len(srt) - 1)] if ref_rank else np.median(d[allowed])
            dn = np.clip((d - ref) / max(1e-6, d.max() - ref), 0, None)
            bn = b / b.max() if b.max() > 0 else b
            s = alpha * bn + (1 - alpha) * dn
        else:
            rd = np.argsort(np.argsort(-d))
            rb = np.argsort(np.argsort(-b))
            s = (1 - alpha) / (k + rd + 1) + alpha * np.where(b > 0, 1 / (k + rb + 1), 0)
        s = np.where(allowed, s, -9)
        order = np.argsort(-s)
        talks, seen = [], set()
        for row in order:
            t = int(r.chunk_talk[row])
            if t not in seen and allowed[row]:
                seen.add(t)
                talks.append((r.talks[t].title, r.talks[t].has_notes))
            if len(talks) >= 10:
                break
        rank = first_match(talks, q.expect, q.catalog) if q.expect else None
        hits1 += bool(rank and rank == 1)
        hits5 += bool(rank and rank <= 5)
        stats.append((q, rank, float(d.max()), float(b.max())))
    n = sum(1 for q, *_ in rows if q.expect)
    return hits1 / n, hits5 / n, stats


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("questions", type=Path)
    ap.add_argument("--index", type=Path, default=None)
    args = ap.parse_args()
    r = open_retriever(args.index)
    qs = load_questions(args.questions)
    vecs = np.asarray(r.stored.dense.vectors)
    rows = []
    for q in qs:
        text, filters = parse_query(q.q)
        allowed = r._allowed_talks(filters)[r.chunk_talk]
        dense = vecs @ r.encoder.embed_query(text)
        bm = bm25_scores(r.stored.bm25, text)
        rows.append((q, allowed, dense, bm))

    best = None
    for mode, alpha, k in itertools.chain(
            ((m, a, 60) for m in ("score", "score20", "score50", "score100") for a in (0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8)),
            (("rrf", a, k) for a in (0.3, 0.5, 0.7) for k in (1, 5, 20, 60))):
        r1, r5, stats = run(r, rows, alpha, mode, k)
        print(f"{mode:8} alpha={alpha:.1f} k={k:3}  recall@1={r1:.3f} recall@5={r5:.3f}")
        if best is None or (r1 + r5) > best[0]:
            best = (r1 + r5, mode, alpha, k, stats)
    _, mode, alpha, k, stats = best
    print(f"best: {mode} alpha={alpha} k={k}")
    print("max dense / max bm25 by answerable (A) or not (N):")
    for q, rank, d, b in sorted(stats, key=lambda s: s[2]):
        print(f"  {'A' if q.expect else 'N'} {d:.3f} {b:6.2f} rank={rank} {q.q[:70]}")


if __name__ == "__main__":
    main()
