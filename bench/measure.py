"""The measurements, one function a section (`python -m bench --only SECTION,...`); each runs
its work in other processes (`bench.worker`, `index.build`, `index.eval`, `python -m bot`) and
returns the figures as a JSON-able dict."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SUMMARY_RE = re.compile(r"built .*?: (\d+) notes, (\d+) talks, (\d+) chunks \((\d+) texts embedded, "
                        r"(\d+) cached\) in ([\d.]+) s")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def env_for(backend: str | None = None, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    if backend:
        env["EMBEDDING_BACKEND"] = backend
    return env


def run_json(args: list[str], env: dict[str, str], timeout: float = 3600) -> dict[str, Any]:
    """Run `python -m ...` and parse the JSON on its last stdout line."""
    proc = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    text = proc.stdout.strip()
    try:
        return json.loads(text.splitlines()[-1])
    except json.JSONDecodeError:       # a pretty-printed document (index.eval --json)
        return json.loads(text[text.index("{"):])


def run_build(corpus: Path, out: Path, backend: str, fresh: bool = True) -> dict[str, Any]:
    """`python -m index.build`; returns its summary figures and the command's wall time."""
    if fresh and out.exists():
        shutil.rmtree(out)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "index.build", "--corpus", str(corpus), "--out",
                           str(out), "--quiet"], cwd=ROOT, env=env_for(backend), text=True,
                          capture_output=True, timeout=3600)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"index.build failed:\n{proc.stderr[-3000:]}")
    m = SUMMARY_RE.search(proc.stdout.strip().splitlines()[-1])
    if not m:
        raise RuntimeError(f"unexpected index.build summary: {proc.stdout[-500:]}")
    notes, talks, chunks, embedded, cached, seconds = m.groups()
    return {"backend": backend, "notes": int(notes), "talks": int(talks), "chunks": int(chunks),
            "embedded": int(embedded), "cached": int(cached), "seconds": float(seconds),
            "wall_s": round(wall, 2)}


def bench_build(work: Path, reps: int, default: str) -> dict[str, Any]:
    """Real-corpus build per backend, each followed by the bare encode of the same texts."""
    out: dict[str, Any] = {"runs": []}
    other = "torch" if default != "torch" else "onnx-int8"
    plan = [(default, rep) for rep in range(reps)] + [(other, 0)]
    for backend, rep in plan:
        log(f"build: index.build on corpus/ ({backend}, run {rep + 1})")
        b = run_build(ROOT / "corpus", work / f"real-{backend}", backend)
        log(f"build: {b['embedded']} texts in {b['seconds']} s (wall {b['wall_s']} s); "
            f"bare encode ({backend})")
        e = run_json(["bench.worker", "encode", "--index", str(work / f"real-{backend}"),
                      "--backend", backend], env_for(backend))
        log(f"build: bare encode {e['texts']} texts in {e['seconds']} s")
        out["runs"].append({"backend": backend, "build": b, "bare": e,
                            "ratio": round(e["seconds"] / b["seconds"], 3),
                            "ratio_wall": round(e["seconds"] / b["wall_s"], 3)})
    for backend in (default, other):
        runs = [r for r in out["runs"] if r["backend"] == backend]
        out[backend] = {
            "chunks": runs[0]["build"]["chunks"], "texts": runs[0]["build"]["embedded"],
            "build_s": round(median(r["build"]["seconds"] for r in runs), 2),
            "build_wall_s": round(median(r["build"]["wall_s"] for r in runs), 2),
            "bare_s": round(median(r["bare"]["seconds"] for r in runs), 2),
            "ratio": round(median(r["ratio"] for r in runs), 3),
            "ratio_wall": round(median(r["ratio_wall"] for r in runs), 3), "runs": len(runs)}
        o = out[backend]
        o["chunks_per_s"] = round(o["chunks"] / o["build_s"], 2)
        o["texts_per_s"] = round(o["texts"] / o["build_s"], 2)
        o["bare_texts_per_s"] = round(o["texts"] / o["bare_s"], 2)
    out["default"], out["other"] = default, other
    return out


def bench_onnx(work: Path, build: dict[str, Any], pairs_n: int = 3) -> dict[str, Any]:
    """Dev-set quality of each backend on its own index, and the speed ratios."""
    out: dict[str, Any] = {}
    for backend in ("torch", "onnx-int8"):
        log(f"onnx: index.eval on the {backend} index")
        out[backend] = run_json(["index.eval", str(ROOT / "eval" / "dev_questions.yaml"),
                                 "--index", str(work / f"real-{backend}"), "--json"],
                                env_for(backend))
        out[backend].pop("per_question", None)
    t, o = build["torch"], build["onnx-int8"]
    out["build_speedup"] = round(t["build_s"] / o["build_s"], 2)
    out["recall5_delta"] = round(out["onnx-int8"]["recall@5"] - out["torch"]["recall@5"], 4)
    # Speed: bare encodes of the same texts, torch and onnx-int8 alternating in back-to-back
    # pairs (the machine's load drifts over minutes: a pair sees the same load), each process
    # also timing the dev questions one by one with embed_query.
    pairs = []
    for rep in range(pairs_n):
        pair = {}
        for backend in ("torch", "onnx-int8"):
            log(f"onnx: bare encode, pair {rep + 1}/{pairs_n}, {backend}")
            pair[backend] = run_json(["bench.worker", "encode", "--index",
                                      str(work / "real-onnx-int8"), "--backend", backend,
                                      "--queries-too", "--reps", "2"], env_for(backend))
        pairs.append({"torch_s": pair["torch"]["seconds"], "onnx_s": pair["onnx-int8"]["seconds"],
                      "ratio": round(pair["torch"]["seconds"] / pair["onnx-int8"]["seconds"], 3),
                      "torch_query_p50_ms": pair["torch"]["query_ms"]["p50"],
                      "onnx_query_p50_ms": pair["onnx-int8"]["query_ms"]["p50"],
                      "texts": pair["torch"]["texts"]})
    out["pairs"] = pairs
    out["bare_speedup"] = round(median(p["ratio"] for p in pairs), 2)
    out["bare_speedup_range"] = [min(p["ratio"] for p in pairs), max(p["ratio"] for p in pairs)]
    out["query_speedup"] = round(median(p["torch_query_p50_ms"] / p["onnx_query_p50_ms"]
                                        for p in pairs), 2)
    out["torch_query_p50_ms"] = median(p["torch_query_p50_ms"] for p in pairs)
    out["onnx_query_p50_ms"] = median(p["onnx_query_p50_ms"] for p in pairs)
    return out


def bench_query(index: Path, reps: int, backend: str) -> dict[str, Any]:
    log(f"query: Retriever.search on the real index ({reps} passes over the dev questions)")
    return run_json(["bench.worker", "query", "--index", str(index), "--reps", str(reps)],
                    env_for(backend))


SCALE_ANSWERS = 200     # the bot's peak RSS at scale is read after this many answered commands


def bench_scale(work: Path, real: Path, sizes: list[int], reps: int, backend: str,
                questions: list[str], queries: Path) -> dict[str, Any]:
    from bench.slackbench import run_bot
    from bench.synth import make_index
    out: dict[str, Any] = {}
    for n in sizes:
        path = work / f"synth-{n}"
        log(f"scale {n}: building the synthetic index")
        made = make_index(real, path, n, log=lambda m: log(m.strip()))
        r = 1 if n >= 1_000_000 else reps
        log(f"scale {n}: search alone ({r} passes)")
        search = run_json(["bench.worker", "search", "--index", str(path), "--queries",
                           str(queries), "--reps", str(r)], env_for(backend))
        log(f"scale {n}: search p50 {search['search_ms']['p50']} ms; bot start-up, then "
            f"RSS after {SCALE_ANSWERS} answers")
        bot = run_bot(path, questions, load=SCALE_ANSWERS, concurrency=20,
                      env_extra=env_for(backend), warm=5)
        bot.pop("log_tail", None)
        out[str(n)] = {"synth": made, "search": search, "bot": bot}
        shutil.rmtree(path, ignore_errors=True)
    return out


def bench_slack(index: Path, questions: list[str], requests: int, concurrency: int,
                backend: str) -> dict[str, Any]:
    from bench.slackbench import run_bot
    log(f"slack: bot --http on the real index, {requests} commands {concurrency} at a time")
    return run_bot(index, questions, load=requests, concurrency=concurrency,
                   env_extra=env_for(backend), warm=5)


def bench_incremental(work: Path, real: Path, notes: int, reps: int,
                      backend: str) -> dict[str, Any]:
    from bench.synth import make_corpus, touch_note
    corpus = work / "synth-corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    made = make_corpus(real, corpus, notes)
    out_dir = work / "synth-corpus-index"
    log(f"incremental: full build of {notes} synthetic notes")
    full = run_build(corpus, out_dir, backend)
    log(f"incremental: full {full['seconds']} s ({full['embedded']} texts); one note changed")
    incs = []
    for i in range(reps):
        touch_note(corpus, i)
        incs.append(run_build(corpus, out_dir, backend, fresh=False))
    inc_s = median(r["seconds"] for r in incs)
    inc_wall = median(r["wall_s"] for r in incs)
    return {"corpus": made, "full": full, "incremental": incs,
            "fraction": round(inc_s / full["seconds"], 4),
            "fraction_wall": round(inc_wall / full["wall_s"], 4)}
