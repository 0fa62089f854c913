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
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from bench.measure import (ROOT, bench_build, bench_incremental, bench_onnx, bench_query,
                           bench_scale, bench_slack, env_for, log, run_build, run_json)
from bench.peer import bench_peer
from bench.report import TARGETS, render, round_floats, write_readme
from index.settings import load_index_settings

RESULTS = ROOT / "bench" / "results.json"


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("torch", "sentence-transformers", "transformers", "onnxruntime", "faiss-cpu",
                 "bm25s", "numpy", "slack-bolt", "aiohttp", "txtai"):
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


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="small and fast: sizes 10k and 100k, one repetition, 300 notes, "
                             "60 Slack commands")
    parser.add_argument("--sizes", default=None, help="synthetic sizes (default 10000,100000,"
                        "1000000; --quick 10000,100000)")
    parser.add_argument("--reps", type=int, default=None, help="repetitions (default 3)")
    parser.add_argument("--build-reps", type=int, default=None, help="real-corpus builds with "
                        "the default backend (default 3: the ratio is their median)")
    parser.add_argument("--notes", type=int, default=None, help="notes in the incremental "
                        "corpus (default 1000)")
    parser.add_argument("--slack", type=int, default=None, help="slash commands (default 200)")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--only", default="build,onnx,query,scale,slack,incremental,peer",
                        help="comma-separated sections (peer: txtai on the same passages, "
                             "needs pip install -e '.[bench]')")
    parser.add_argument("--work", type=Path, default=None,
                        help="scratch folder (default: a temporary folder, removed at the end)")
    parser.add_argument("--no-write", action="store_true", help="do not write results/README")
    parser.add_argument("--render", action="store_true",
                        help="only rewrite the README table from bench/results.json")
    return parser


@dataclass(frozen=True)
class Plan:
    """What one run measures: the options, with `--quick`'s or the full suite's defaults."""

    sizes: list[int]
    reps: int
    build_reps: int
    notes: int
    requests: int
    concurrency: int
    only: frozenset[str]
    onnx_pairs: int

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Plan:
        quick = args.quick
        sizes = args.sizes or ("10000,100000" if quick else "10000,100000,1000000")
        return cls(sizes=[int(s) for s in sizes.split(",") if s],
                   reps=args.reps or (1 if quick else 3),
                   build_reps=args.build_reps or (1 if quick else 3),
                   notes=args.notes or (300 if quick else 1000),
                   requests=args.slack or (60 if quick else 200),
                   concurrency=args.concurrency, only=frozenset(args.only.split(",")),
                   onnx_pairs=1 if quick else 3)


def _meta(argv: Sequence[str] | None, plan: Plan, backend: str, backend_env: str) -> dict[str, Any]:
    """The run's description, at its start (`main` adds the total time and the end load)."""
    args = argv if argv is not None else sys.argv[1:]
    return {
        "date": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "command": "python -m bench" + (" " + " ".join(args)).rstrip(),
        "machine": machine(), "versions": versions(), "backend": backend,
        "backend_env": backend_env,
        "load_start": [round(x, 2) for x in os.getloadavg()], "targets": TARGETS,
        "settings": {"sizes": plan.sizes, "reps": plan.reps, "build_reps": plan.build_reps,
                     "notes": plan.notes, "slack": plan.requests,
                     "concurrency": plan.concurrency}}


def _sections(work: Path, plan: Plan, backend: str,
              results: dict[str, Any]) -> list[tuple[str, Callable[[], Any]]]:
    """Every section, in the order they run (onnx reads what build measured)."""
    questions = [q["q"] for q in yaml.safe_load((ROOT / "eval" / "dev_questions.yaml")
                                                .read_text("utf-8"))]
    real = work / f"real-{backend}"
    return [
        ("build", lambda: bench_build(work, plan.build_reps, backend)),
        ("onnx", lambda: bench_onnx(work, results["build"], plan.onnx_pairs)),
        ("query", lambda: bench_query(real, plan.reps, backend)),
        ("slack", lambda: bench_slack(real, questions, plan.requests, plan.concurrency, backend)),
        ("scale", lambda: bench_scale(work, real, plan.sizes, plan.reps, backend, questions,
                                      work / "devq.npy")),
        ("incremental", lambda: bench_incremental(work, real, plan.notes, plan.reps, backend)),
        ("peer", lambda: bench_peer(work, plan.reps, plan.build_reps, backend)),
    ]


def _measure(work: Path, plan: Plan, backend: str, results: dict[str, Any]) -> None:
    """Run the chosen sections into `results`, each timed."""
    sections = _sections(work, plan, backend, results)
    real = work / f"real-{backend}"
    uses_real = plan.only & {"query", "slack", "scale", "incremental"}
    if uses_real and not (real / "manifest.json").exists() and "build" not in plan.only:
        log("no real index yet: building it (not timed)")
        run_build(ROOT / "corpus", real, backend)
    if "scale" in plan.only:
        run_json(["bench.worker", "embedq", "--out", str(work / "devq.npy")], env_for(backend))
    for name, fn in sections:
        if name not in plan.only or (name == "onnx" and "build" not in results):
            continue
        t0 = time.perf_counter()
        results[name] = fn()
        results["meta"].setdefault("section_s", {})[name] = round(time.perf_counter() - t0, 1)
        log(f"{name} done in {time.perf_counter() - t0:.0f} s")


def _finish(results: dict[str, Any], started: float, write: bool) -> None:
    """Close the run's description and, unless told not to, write results.json and README."""
    results["meta"]["total_s"] = round(time.perf_counter() - started, 1)
    results["meta"]["load_end"] = [round(x, 2) for x in os.getloadavg()]
    round_floats(results)
    if write:
        RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", "utf-8")
        write_readme(results)


def _render_saved() -> int:
    saved = json.loads(RESULTS.read_text("utf-8"))
    round_floats(saved)
    write_readme(saved)
    print(render(saved))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.render:
        return _render_saved()
    plan = Plan.from_args(args)
    work = args.work or Path(tempfile.mkdtemp(prefix="kubecon-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    settings = load_index_settings()
    backend = settings.backend
    started = time.perf_counter()
    results: dict[str, Any] = {"meta": _meta(argv, plan, backend,
                                             settings.embedding_backend or "")}
    log(f"work folder {work}; backend {backend}; sizes {plan.sizes}")
    try:
        _measure(work, plan, backend, results)
    finally:
        _finish(results, started, write=not args.no_write)
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(render(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
