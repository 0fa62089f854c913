"""The peer section's measurements, each in its own process (`bench/peer.py` says why):
`python -m bench.peer_worker TASK ...` prints one JSON document on its last line.

  build --index DIR --out DIR           txtai indexes the chunks of our index at DIR, saves to --out
  query --index DIR --out DIR --reps N  txtai's saved index: search latency and dev-set recall
  ours  --index DIR --reps N            Retriever.search on our index: the same figures

Latency: one untimed pass over the dev questions (model warm-up, lazy caches), then `--reps`
timed passes, one question at a time. Recall: each system's first `DEPTH` talks per question.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.peer import (DEPTH, TXTAI_LIMIT, CatalogShare, chunk_rows, dev_questions, recall, talk_titles,
                        talks_from_hits, txtai_config)
from bench.worker import QUESTIONS, cold_summary, peak_rss_mb, questions, summary_ms


def timed_passes(search: Callable[[str], Any], reps: int) -> dict[str, Any]:
    """Latency of `search` over the dev questions: an untimed pass, then `reps` timed ones."""
    qs = questions()
    cold, total = [], []
    for q in qs:
        start = time.perf_counter()
        search(q)
        cold.append(time.perf_counter() - start)
    for _ in range(reps):
        for q in qs:
            start = time.perf_counter()
            search(q)
            total.append(time.perf_counter() - start)
    return {"query_ms": summary_ms(total), "cold_pass_ms": cold_summary(cold)}


def _model_path(args: argparse.Namespace) -> str:
    from index.model.cache import resolve_model
    from index.settings import DEFAULT_MODEL
    return resolve_model(DEFAULT_MODEL, args.settings.model_cache)


def task_build(args: argparse.Namespace) -> dict[str, Any]:
    """txtai indexes our chunks (id, text) and saves; timed from `Embeddings(config)` (which
    loads the model, as our build's seconds include loading the encoder) to the saved index."""
    from txtai import Embeddings
    rows = chunk_rows(args.index)
    config = txtai_config(_model_path(args))
    given = json.loads(json.dumps(config))      # Embeddings adds its defaults to `config`
    if args.out.exists():
        shutil.rmtree(args.out)
    start = time.perf_counter()
    embeddings = Embeddings(config)
    embeddings.index([(cid, text, None) for cid, _, text in rows])
    embeddings.save(str(args.out))
    seconds = time.perf_counter() - start
    saved = embeddings.config
    return {"build_s": round(seconds, 2), "rows": embeddings.count(), "config": given,
            "scoring": saved.get("scoring"),
            "faiss": saved.get("build", {}).get("settings", {}).get("components", ""),
            "version": metadata.version("txtai"),
            "peak_rss_mb": round(peak_rss_mb(), 1)}


def task_query(args: argparse.Namespace) -> dict[str, Any]:
    """txtai's `search` on its saved index; a hit's id is our chunk id, mapped to its talk."""
    from txtai import Embeddings
    embeddings = Embeddings()
    embeddings.load(str(args.out))
    chunk_talk = {cid: talk for cid, talk, _ in chunk_rows(args.index)}
    talks = talk_titles(args.index)

    def talks_for(q: str) -> list[tuple[str, bool]]:
        hits = embeddings.search(q, TXTAI_LIMIT)
        return talks_from_hits((h["id"] for h in hits), chunk_talk, talks)

    out = timed_passes(lambda q: embeddings.search(q, TXTAI_LIMIT), args.reps)
    counted = CatalogShare(talks_for)
    out["recall"] = recall(dev_questions(QUESTIONS, args.catalog), counted)
    out["recall"]["catalog_share"] = counted.share
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return out


def task_ours(args: argparse.Namespace) -> dict[str, Any]:
    """Retriever.search with the run's encoder backend, its first DEPTH talks per question."""
    from index.model.encoders import make_encoder
    from index.search.retriever import load_retriever
    from index.settings import DEFAULT_MODEL
    encoder = make_encoder(DEFAULT_MODEL, args.settings.backend,
                           threads=args.settings.embedding_threads,
                           cache_dir=args.settings.model_cache)
    retriever = load_retriever(args.index, DEFAULT_MODEL,
                               catalog_results=args.settings.catalog_results, encoder=encoder)

    def talks_for(q: str) -> list[tuple[str, bool]]:
        return [(r.talk.title, r.talk.has_notes) for r in retriever.search(q, k=DEPTH).results]

    out = timed_passes(lambda q: retriever.search(q, k=DEPTH), args.reps)
    counted = CatalogShare(talks_for)
    out["recall"] = recall(dev_questions(QUESTIONS, retriever.cites_catalog), counted)
    out["recall"]["catalog_share"] = counted.share
    out["cites_catalog"] = retriever.cites_catalog
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peer_worker")
    parser.add_argument("task", choices=("build", "query", "ours"))
    parser.add_argument("--index", type=Path, required=True, help="our built index")
    parser.add_argument("--out", type=Path, help="txtai's index folder")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--catalog", type=int, default=1,
                        help="1 when our retriever cites catalog-only talks (query)")
    args = parser.parse_args(argv)
    from index.settings import load_index_settings
    args.settings = load_index_settings()
    args.catalog = bool(args.catalog)
    if args.task != "ours" and args.settings.embedding_threads:
        # EMBEDDING_THREADS bounds our encoder's threads; txtai's torch gets the same bound.
        import torch
        torch.set_num_threads(args.settings.embedding_threads)
    task = {"build": task_build, "query": task_query, "ours": task_ours}[args.task]
    print(json.dumps(task(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
