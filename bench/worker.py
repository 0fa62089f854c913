"""Measurements that run in their own process (so that one's memory or threads never skew
another's): `python -m bench.worker TASK ...` prints one JSON document on its last line.

  encode  --index DIR --backend B     bare encoder throughput on the texts a build embeds
  query   --index DIR --reps N        retriever.search latency with the real encoder
  search  --index DIR --queries NPY   search alone (query vectors given) and dense recall@10
  embedq  --out NPY                   encode the dev questions once (for `search`)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "eval" / "dev_questions.yaml"


def questions() -> list[str]:
    import yaml
    return [q["q"] for q in yaml.safe_load(QUESTIONS.read_text("utf-8"))]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"p50": round(pct(ms, 50), 2), "p95": round(pct(ms, 95), 2),
            "p99": round(pct(ms, 99), 2), "n": len(ms)}


def peak_rss_mb(pid: int | str = "self") -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def build_texts(index: Path) -> list[str]:
    """The distinct texts `index.build` embeds for this index: chunks, then talk headers."""
    from index.notes.chunking import talk_header
    from index.search.store import talk_from_record
    texts = []
    for line in open(index / "chunks.jsonl", encoding="utf-8"):
        rec = json.loads(line)
        texts.append(f"{rec['header']}\n{rec['text']}" if rec["text"] else rec["header"])
    from bench.synth import talk_records
    texts += [talk_header(talk_from_record(r)) for r in talk_records(index)]
    return list(dict.fromkeys(texts))


def time_queries(encoder: Any, texts: list[str]) -> list[float]:
    """Seconds of embed_query for each text, one at a time, as the bot encodes questions."""
    times = []
    for text in texts:
        start = time.perf_counter()
        encoder.embed_query(text)
        times.append(time.perf_counter() - start)
    return times


def cold_summary(seconds: list[float]) -> dict[str, float]:
    """The untimed first pass: its slowest call and median, in ms."""
    return {"max": round(max(seconds) * 1000, 1),
            "p50": round(pct([c * 1000 for c in seconds], 50), 2)}


def task_encode(args: argparse.Namespace) -> dict[str, Any]:
    """Bare throughput: SentenceTransformer.encode over all texts in one call (torch), or the
    ONNX session over length-sorted batches (onnx-int8); model loading is not timed."""
    from index.settings import DEFAULT_MODEL
    from index.model.encoders import make_encoder
    texts = build_texts(args.index)
    enc: Any = make_encoder(DEFAULT_MODEL, args.backend, **args.encoder_options)
    if args.backend == "torch":
        model = enc._load()
        prompt = enc._prompts[1]
        model.encode(texts[:4], prompt_name=prompt, batch_size=32, normalize_embeddings=True)

        def run() -> None:
            model.encode(texts, prompt_name=prompt, batch_size=32, normalize_embeddings=True,
                         convert_to_numpy=True, show_progress_bar=False)
    else:
        enc.embed_documents(texts[:4])

        def run() -> None:
            enc.embed_documents(texts)
    start = time.perf_counter()
    cpu = time.process_time()
    run()
    seconds = time.perf_counter() - start
    out: dict[str, Any] = {"backend": args.backend, "texts": len(texts),
                           "seconds": round(seconds, 2),
                           "cpu_seconds": round(time.process_time() - cpu, 2),
                           "texts_per_s": round(len(texts) / seconds, 2)}
    if args.queries_too:
        # One question at a time, as the bot encodes them (the encoder's own embed_query).
        from index.search.filters import parse_query
        qs = [parse_query(q)[0] or q for q in questions()]
        enc.embed_query(qs[0])
        out["query_ms"] = summary_ms([t for _ in range(args.reps) for t in time_queries(enc, qs)])
    return out


def task_embedq(args: argparse.Namespace) -> dict[str, Any]:
    from index.settings import DEFAULT_MODEL
    from index.model.encoders import make_encoder
    from index.search.filters import parse_query
    enc = make_encoder(DEFAULT_MODEL, args.backend, **args.encoder_options)
    qs = questions()
    texts = [parse_query(q)[0] or q for q in qs]
    vecs = np.array([enc.embed_query(t) for t in texts], dtype=np.float32)
    np.save(args.out, vecs)
    (args.out.with_suffix(".json")).write_text(json.dumps(qs), encoding="utf-8")
    return {"queries": len(qs)}


def task_query(args: argparse.Namespace) -> dict[str, Any]:
    """Latency of Retriever.search (encode + hybrid search + grouping + passages)."""
    from index.settings import DEFAULT_MODEL
    from index.model.encoders import make_encoder
    from index.search.retriever import load_retriever
    encoder = make_encoder(DEFAULT_MODEL, args.backend, **args.encoder_options)
    retriever = load_retriever(args.index, DEFAULT_MODEL, encoder=encoder)
    qs = questions()
    cold = []
    for q in qs:          # one untimed pass: model warm-up and the retriever's lazy caches
        start = time.perf_counter()
        retriever.search(q)
        cold.append(time.perf_counter() - start)
    total, encode = [], []
    from index.search.filters import parse_query
    for _ in range(args.reps):
        for q in qs:
            start = time.perf_counter()
            retriever.search(q)
            total.append(time.perf_counter() - start)
        encode += time_queries(retriever.encoder, [parse_query(q)[0] or q for q in qs])
    return {"query_ms": summary_ms(total), "encode_ms": summary_ms(encode),
            "cold_pass_ms": cold_summary(cold),
            "chunks": len(retriever.stored.chunks), "peak_rss_mb": round(peak_rss_mb(), 1)}


class GivenVectors:
    """An encoder that returns precomputed query vectors: search is measured without it."""

    name = "given"
    vectors_id = "given"

    def __init__(self, texts: list[str], vectors: np.ndarray) -> None:
        from index.search.filters import parse_query
        self.by_text = {parse_query(q)[0] or q: v for q, v in zip(texts, vectors)}
        self.dim = vectors.shape[1]

    def embed_query(self, text: str) -> np.ndarray:
        return self.by_text[text]

    def embed_documents(self, texts: list[str], progress: Any = None) -> np.ndarray:
        raise NotImplementedError


def task_search(args: argparse.Namespace) -> dict[str, Any]:
    """Search alone at a size: Retriever.search with given query vectors, the dense and BM25
    parts on their own, and recall@10 of the FAISS index against exact search."""
    from index.search.bm25 import bm25_scores
    from index.settings import DEFAULT_MODEL
    from index.search.filters import parse_query
    from index.search.retriever import load_retriever
    t0 = time.perf_counter()
    vectors = np.load(args.queries)
    qs = json.loads(args.queries.with_suffix(".json").read_text("utf-8"))
    retriever = load_retriever(args.index, DEFAULT_MODEL, encoder=GivenVectors(qs, vectors))
    load_s = time.perf_counter() - t0
    texts = [parse_query(q)[0] or q for q in qs]
    cold = []
    for q in qs:          # one untimed pass: the retriever's lazy caches (filters, vocabulary)
        start = time.perf_counter()
        retriever.search(q)
        cold.append(time.perf_counter() - start)
    total, dense, bm25 = [], [], []
    for rep in range(args.reps):
        for q in qs:
            start = time.perf_counter()
            retriever.search(q)
            total.append(time.perf_counter() - start)
        if rep == 0:
            for t, v in zip(texts, vectors):
                start = time.perf_counter()
                retriever.dense_candidates(v, None)
                dense.append(time.perf_counter() - start)
                start = time.perf_counter()
                bm25_scores(retriever.stored.bm25, t)
                bm25.append(time.perf_counter() - start)
    dense_index = retriever.stored.dense
    index = dense_index.index
    out: dict[str, Any] = {
        "chunks": len(retriever.stored.chunks), "load_s": round(load_s, 2),
        "search_ms": summary_ms(total), "dense_ms": summary_ms(dense), "bm25_ms": summary_ms(bm25),
        "faiss": type(index).__name__, "exact": dense_index.exact,
        "cold_pass_ms": cold_summary(cold),
        "peak_rss_mb": round(peak_rss_mb(), 1)}
    if hasattr(index, "nprobe"):
        out["faiss"] += f"(nlist={index.nlist}, nprobe={index.nprobe})"
    # recall@10 against exact inner products over all vectors
    stored = np.asarray(dense_index.vectors)
    raw, rescored = [], []
    for v in vectors:
        sims = stored @ v
        truth = set(np.argpartition(-sims, 10)[:10].tolist())
        _, ids = index.search(v.reshape(1, -1), 10)
        raw.append(len(truth & set(ids[0].tolist())) / 10)
        rows, _ = retriever.dense_candidates(v, None)
        rescored.append(len(truth & set(rows[:10].tolist())) / 10)
    out["recall10_index"] = round(float(np.mean(raw)), 4)
    out["recall10_retriever"] = round(float(np.mean(rescored)), 4)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("task", choices=("encode", "query", "search", "embedq"))
    parser.add_argument("--index", type=Path)
    parser.add_argument("--backend", default=None, help="torch or onnx-int8 (default: "
                        "$EMBEDDING_BACKEND or the code's default)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--queries-too", action="store_true",
                        help="encode: also time embed_query over the dev questions")
    parser.add_argument("--queries", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    from index.settings import load_index_settings
    settings = load_index_settings()
    args.backend = args.backend or settings.backend
    args.encoder_options = {"threads": settings.embedding_threads,
                            "cache_dir": settings.model_cache}
    result = {"encode": task_encode, "query": task_query, "search": task_search,
              "embedq": task_embedq}[args.task](args)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
