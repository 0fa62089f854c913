"""kubecon-bot benchmarks: `python -m bench [--quick] [--sizes 10000,100000,1000000] ...`

Runs every measurement of issue 7 in one go, writes bench/results.json and the table in
bench/README.md (between the RESULTS markers). Each measurement runs in its own process; the
machine may be shared, so figures are medians over repetitions and ratios are taken from
measurements made back to back in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from statistics import median
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results.json"
README = BENCH / "README.md"
BEGIN, END = "<!-- RESULTS:BEGIN -->", "<!-- RESULTS:END -->"
SUMMARY_RE = re.compile(r"built .*?: (\d+) notes, (\d+) talks, (\d+) chunks \((\d+) texts embedded, "
                        r"(\d+) cached\) in ([\d.]+) s")

TARGETS = {
    "build_ratio": 0.85, "query_p50_ms": 40, "query_p99_ms": 100, "search_100k_p50_ms": 20,
    "search_1m_p50_ms": 50, "recall10": 0.98, "startup_s": 5, "rss_100k_mb": 1536,
    "ack_p99_ms": 100, "answer_p99_ms": 1500, "incremental_fraction": 0.05, "onnx_speedup": 1.5,
    "onnx_recall_delta": 0.01,
}


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


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("torch", "sentence-transformers", "transformers", "onnxruntime", "faiss-cpu",
                 "bm25s", "numpy", "slack-bolt", "aiohttp"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "-"
    return out


def machine() -> dict[str, Any]:
    cpu = ""
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            mem = int(line.split()[1]) // 1024
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "os": platform.platform()}


# -- sections --------------------------------------------------------------------------------

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


def bench_query(work: Path, index: Path, reps: int, backend: str) -> dict[str, Any]:
    log(f"query: Retriever.search on the real index ({reps} passes over the dev questions)")
    return run_json(["bench.worker", "query", "--index", str(index), "--reps", str(reps)],
                    env_for(backend))


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
        log(f"scale {n}: search p50 {search['search_ms']['p50']} ms; bot start-up and RSS")
        bot = run_bot(path, questions, load=0, env_extra=env_for(backend), warm=5)
        bot.pop("log_tail", None)
        out[str(n)] = {"synth": made, "search": search, "bot": bot}
        shutil.rmtree(path, ignore_errors=True)
    return out


def bench_slack(index: Path, questions: list[str], requests: int, concurrency: int,
                backend: str) -> dict[str, Any]:
    from bench.slackbench import run_bot
    log(f"slack: bot --http on the real index, {requests} commands {concurrency} at a time")
    out = run_bot(index, questions, load=requests, concurrency=concurrency,
                  env_extra=env_for(backend), warm=5)
    return out


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


# -- report ----------------------------------------------------------------------------------

def ok(value: float | None, target: float, higher_is_better: bool = False) -> str:
    if value is None:
        return "–"
    good = value >= target if higher_is_better else value <= target
    return "✅" if good else "❌"


def render(results: dict[str, Any]) -> str:
    T = TARGETS
    rows: list[tuple[str, str, str, str]] = []
    b = results.get("build")
    if b:
        d = b[b["default"]]
        rows.append((f"build: `index.build` on corpus/ ({b['default']}, median of {d['runs']} runs)",
                     f"{d['chunks_per_s']} chunks/s ({d['chunks']} chunks; {d['texts']} texts "
                     f"embedded in {d['build_s']} s, command wall {d['build_wall_s']} s)", "", ""))
        rows.append(("build: ratio to bare encode of the same texts, same run",
                     f"{d['ratio']} (bare {d['bare_texts_per_s']} texts/s in {d['bare_s']} s; "
                     f"against command wall time {d['ratio_wall']})",
                     f"≥ {T['build_ratio']}", ok(d["ratio"], T["build_ratio"], True)))
        o = b[b["other"]]
        rows.append((f"build with {b['other']} (1 run, for comparison)",
                     f"{o['chunks_per_s']} chunks/s, {o['build_s']} s; ratio to its bare "
                     f"encode {o['ratio']}", "", ""))
    q = results.get("query")
    if q:
        m = q["query_ms"]
        rows.append(("query on the real index: encode + hybrid search + grouping",
                     f"p50 {m['p50']} / p95 {m['p95']} / p99 {m['p99']} ms (n={m['n']}; "
                     f"encode alone p50 {q['encode_ms']['p50']} ms; slowest of the untimed "
                     f"first pass {q['cold_pass_ms']['max']} ms)",
                     f"p50 ≤ {T['query_p50_ms']}, p99 ≤ {T['query_p99_ms']} ms",
                     ok(max(m["p50"] / T["query_p50_ms"], m["p99"] / T["query_p99_ms"]), 1.0)))
    for n, s in (results.get("scale") or {}).items():
        n_i = int(n)
        label = f"{n_i // 1000}k" if n_i < 1_000_000 else f"{n_i // 1_000_000}M"
        sm = s["search"]["search_ms"]
        target = {100_000: T["search_100k_p50_ms"], 1_000_000: T["search_1m_p50_ms"]}.get(n_i)
        rows.append((f"search alone at {label} chunks ({s['search']['faiss']})",
                     f"p50 {sm['p50']} / p95 {sm['p95']} / p99 {sm['p99']} ms (n={sm['n']}; "
                     f"dense p50 {s['search']['dense_ms']['p50']}, BM25 p50 "
                     f"{s['search']['bm25_ms']['p50']} ms; slowest of the untimed first pass "
                     f"{s['search']['cold_pass_ms']['max']} ms; index loaded in "
                     f"{s['search']['load_s']} s)",
                     f"p50 ≤ {target} ms" if target else "",
                     ok(sm["p50"], target) if target else ""))
        if not s["search"]["exact"]:
            rec = s["search"]["recall10_retriever"]
            rows.append((f"recall@10 vs exact at {label} (index alone / as the retriever uses "
                         f"it, re-scored)", f"{s['search']['recall10_index']} / {rec}",
                         f"≥ {T['recall10']}", ok(rec, T["recall10"], True)))
        bot = s["bot"]
        rss_target = T["rss_100k_mb"] if n_i == 100_000 else None
        rows.append((f"bot at {label} chunks: start-up (ready / first answer), peak RSS",
                     f"{bot['ready_s']} s / {bot['first_answer_s']} s, {bot['peak_rss_mb']:.0f} MB",
                     f"RSS ≤ {rss_target} MB" if rss_target else "",
                     ok(bot["peak_rss_mb"], rss_target) if rss_target else ""))
    sl = results.get("slack")
    if sl:
        rows.append(("bot on the real index: start-up to /readyz 200",
                     f"{sl['ready_s']} s (first answer at {sl['first_answer_s']} s)",
                     f"≤ {T['startup_s']} s", ok(sl["ready_s"], T["startup_s"])))
        rows.append(("bot on the real index: peak RSS (after the load below)",
                     f"{sl['peak_rss_mb']:.0f} MB", "", ""))
        ld = sl.get("load")
        if ld:
            rows.append((f"Slack: {ld['requests']} signed slash commands, {ld['concurrency']} at "
                         f"a time: ack", f"p50 {ld['ack_ms']['p50']} / p99 {ld['ack_ms']['p99']} ms",
                         f"p99 ≤ {T['ack_p99_ms']} ms", ok(ld["ack_ms"]["p99"], T["ack_p99_ms"])))
            rows.append(("Slack: time to the answer at response_url",
                         f"p50 {ld['answer_ms']['p50']} / p99 {ld['answer_ms']['p99']} ms "
                         f"({ld['seconds']} s for all)", f"p99 ≤ {T['answer_p99_ms']} ms",
                         ok(ld["answer_ms"]["p99"], T["answer_p99_ms"])))
            rows.append(("Slack: errors", f"{ld['errors']}", "0", ok(ld["errors"], 0)))
    inc = results.get("incremental")
    if inc:
        f = inc["full"]
        rows.append((f"incremental rebuild, one of {inc['corpus']['notes']} synthetic notes "
                     f"changed", f"{inc['fraction'] * 100:.1f}% of the full build "
                     f"({median(r['seconds'] for r in inc['incremental'])} s vs {f['seconds']} s "
                     f"for {f['chunks']} chunks; by command wall time "
                     f"{inc['fraction_wall'] * 100:.1f}%)",
                     f"≤ {T['incremental_fraction'] * 100:.0f}%",
                     ok(inc["fraction"], T["incremental_fraction"])))
    on = results.get("onnx")
    if on:
        lo, hi = on["bare_speedup_range"]
        rows.append((f"ONNX int8 vs torch: bare encode speed-up of the {on['pairs'][0]['texts']} "
                     f"build texts (median of {len(on['pairs'])} back-to-back pairs)",
                     f"{on['bare_speedup']}× (pairs {lo}–{hi}×; whole `index.build`: "
                     f"{on['build_speedup']}×)",
                     f"≥ {T['onnx_speedup']}×", ok(on["bare_speedup"], T["onnx_speedup"], True)))
        rows.append(("ONNX int8 vs torch: encoding one question (embed_query, dev questions)",
                     f"{on['query_speedup']}× (p50 {on['onnx_query_p50_ms']} vs "
                     f"{on['torch_query_p50_ms']} ms)",
                     f"≥ {T['onnx_speedup']}×", ok(on["query_speedup"], T["onnx_speedup"], True)))
        rows.append(("ONNX int8 vs torch: dev-set recall@5 (each on its own index)",
                     f"{on['onnx-int8']['recall@5']} vs {on['torch']['recall@5']} "
                     f"(recall@1 {on['onnx-int8']['recall@1']} vs {on['torch']['recall@1']}; "
                     f"MRR {on['onnx-int8']['mrr']} vs {on['torch']['mrr']})",
                     f"within {T['onnx_recall_delta']}",
                     ok(-on["recall5_delta"], T["onnx_recall_delta"])))
    meta = results["meta"]
    lines = [BEGIN, "",
             f"Run {meta['date']} with `{meta['command']}` in {meta['total_s'] / 60:.1f} min; "
             f"encoder backend `{meta['backend']}`"
             + (f" (EMBEDDING_BACKEND={meta['backend_env']})" if meta.get("backend_env")
                else " (the code's default)") + ".",
             f"Machine: {meta['machine']['cpu']}, {meta['machine']['cores']} cores, "
             f"{meta['machine']['memory_mb'] // 1024} GiB; load average "
             f"{meta['load_start']} at the start, {meta['load_end']} at the end.",
             "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()) + ".", "",
             "| measurement | result | target | |", "|---|---|---|---|"]
    lines += [f"| {a} | {b_} | {c} | {d_} |" for a, b_, c, d_ in rows]
    lines += ["", END]
    return "\n".join(lines)


def _round_floats(obj: Any) -> Any:
    """Medians of rounded figures can carry float noise (0.9390000000000001): round to 3-4."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            obj[k] = _round_floats(v)
    elif isinstance(obj, list):
        return [_round_floats(v) for v in obj]
    elif isinstance(obj, float):
        return round(obj, 4)
    return obj


def write_readme(results: dict[str, Any]) -> None:
    table = render(results)
    text = README.read_text("utf-8") if README.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + table + text[text.index(END) + len(END):]
    else:
        text += "\n" + table + "\n"
    README.write_text(text, "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="small and fast: sizes 10k and 100k, one repetition, 300 notes, "
                             "60 Slack commands")
    parser.add_argument("--sizes", default=None, help="synthetic sizes (default 10000,100000,"
                        "1000000; --quick 10000,100000)")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 3)")
    parser.add_argument("--build-reps", type=int, default=None, help="real-corpus builds with "
                        "the default backend (default 2)")
    parser.add_argument("--notes", type=int, default=None, help="notes in the incremental "
                        "corpus (default 1000)")
    parser.add_argument("--slack", type=int, default=None, help="slash commands (default 200)")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--only", default="build,onnx,query,scale,slack,incremental",
                        help="comma-separated sections")
    parser.add_argument("--work", type=Path, default=None,
                        help="scratch folder (default: a temporary folder, removed at the end)")
    parser.add_argument("--no-write", action="store_true", help="do not write results/README")
    parser.add_argument("--render", action="store_true",
                        help="only rewrite the README table from bench/results.json")
    args = parser.parse_args(argv)
    if args.render:
        saved = json.loads(RESULTS.read_text("utf-8"))
        _round_floats(saved)
        write_readme(saved)
        print(render(saved))
        return 0
    quick = args.quick
    sizes = [int(s) for s in (args.sizes or ("10000,100000" if quick else
                                             "10000,100000,1000000")).split(",") if s]
    reps = args.reps or (1 if quick else 3)
    build_reps = args.build_reps or (1 if quick else 2)
    notes = args.notes or (300 if quick else 1000)
    requests = args.slack or (60 if quick else 200)
    only = set(args.only.split(","))
    import tempfile
    work = args.work or Path(tempfile.mkdtemp(prefix="kubecon-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    from index.model.encoders import default_backend
    backend = default_backend()
    started = time.perf_counter()
    results: dict[str, Any] = {"meta": {
        "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "command": "python -m bench" + (" " + " ".join(argv if argv is not None else
                                                        sys.argv[1:])).rstrip(),
        "machine": machine(), "versions": versions(), "backend": backend,
        "backend_env": os.environ.get("EMBEDDING_BACKEND", ""),
        "load_start": [round(x, 2) for x in os.getloadavg()], "targets": TARGETS,
        "settings": {"sizes": sizes, "reps": reps, "build_reps": build_reps, "notes": notes,
                     "slack": requests, "concurrency": args.concurrency}}}
    log(f"work folder {work}; backend {backend}; sizes {sizes}")
    import yaml
    questions = [q["q"] for q in yaml.safe_load((ROOT / "eval" / "dev_questions.yaml")
                                                .read_text("utf-8"))]
    real = work / f"real-{backend}"
    sections: list[tuple[str, Callable[[], Any]]] = [
        ("build", lambda: bench_build(work, build_reps, backend)),
        ("onnx", lambda: bench_onnx(work, results["build"], 1 if quick else 3)),
        ("query", lambda: bench_query(work, real, reps, backend)),
        ("slack", lambda: bench_slack(real, questions, requests, args.concurrency, backend)),
        ("scale", lambda: bench_scale(work, real, sizes, reps, backend, questions,
                                      work / "devq.npy")),
        ("incremental", lambda: bench_incremental(work, real, notes, reps, backend)),
    ]
    try:
        if not (real / "manifest.json").exists() and "build" not in only:
            log("no real index yet: building it (not timed)")
            run_build(ROOT / "corpus", real, backend)
        if "scale" in only:
            run_json(["bench.worker", "embedq", "--out", str(work / "devq.npy")],
                     env_for(backend))
        for name, fn in sections:
            if name not in only or (name == "onnx" and "build" not in results):
                continue
            t0 = time.perf_counter()
            results[name] = fn()
            results.setdefault("meta", {}).setdefault("section_s", {})[name] = round(
                time.perf_counter() - t0, 1)
            log(f"{name} done in {time.perf_counter() - t0:.0f} s")
    finally:
        results["meta"]["total_s"] = round(time.perf_counter() - started, 1)
        results["meta"]["load_end"] = [round(x, 2) for x in os.getloadavg()]
        _round_floats(results)
        if not args.no_write:
            RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", "utf-8")
            if all(k in results for k in ("meta",)):
                write_readme(results)
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
