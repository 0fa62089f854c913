"""Rewrite eval/RESULTS.md: dev-set ranks of hybrid, BM25 alone and dense alone, with and
without catalog records.

    python scripts/eval_report.py --index data/index [--notes-index DIR] [--out eval/RESULTS.md]

`--index` is an index of the whole corpus (notes + catalog); `--notes-index` one built with
`python -m index.build --no-catalog` (built into a temporary folder when not given).
Runs `python -m index.eval --json` for each figure, so the numbers are the command's own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "eval" / "dev_questions.yaml"
MODES = ("hybrid", "bm25", "dense")


def run_eval(index: Path, mode: str, catalog_results: bool = True) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT),
           "CATALOG_RESULTS": "true" if catalog_results else "false"}
    out = subprocess.run([sys.executable, "-m", "index.eval", str(QUESTIONS), "--index",
                          str(index), "--json", "--mode", mode], cwd=ROOT, env=env, text=True,
                         capture_output=True, check=True)
    return json.loads(out.stdout)


def summary(report: dict[str, Any]) -> str:
    return f"{report['recall@1']:.2f} / {report['recall@5']:.2f}"


def table_row(name: str, r: dict[str, Any]) -> str:
    return f"| {name} | {r['recall@1']} | {r['recall@3']} | {r['recall@5']} | {r['mrr']} |"


def render(reports: dict[str, dict[str, Any]], notes_only: dict[str, Any],
           catalog_off: dict[str, Any], manifest: dict[str, Any]) -> str:
    counts = manifest["counts"]
    lines = [
        "# Dev-set results", "",
        f"Measured {dt.date.today().isoformat()} on the real index ({counts['notes']} notes + the "
        f"CNCF catalog, {counts['talks']:,} talks, {counts['chunks']:,} chunks) with the default "
        f"model ({manifest['model'].get('vectors', manifest['model']['name'])}), "
        "`python -m index.eval eval/dev_questions.yaml --mode {hybrid,bm25,dense}`; "
        "regenerate with `python scripts/eval_report.py --index DIR`.",
        "Ranks are of the first expected talk among distinct talks; – means not in the top 20 "
        "(or, for hybrid, refused by the relevance floor / relative cut-off). Only talks with "
        "notes count: a catalog-only talk counts just for the questions marked `catalog: true`, "
        "which only the catalog answers; where catalog talks are not cited (BM25 alone and dense "
        "alone rank the notes; catalog results off; an index without catalog records) those "
        "count as unanswerable.", "",
        "| retriever | recall@1 | recall@3 | recall@5 | MRR |", "|---|---|---|---|---|"]
    lines += [table_row(mode, reports[mode]) for mode in MODES]
    lines += [table_row("hybrid, catalog results off", catalog_off),
              table_row("hybrid, index without catalog records", notes_only)]
    lines += ["",
              f"Hybrid recall@1 / recall@5 without catalog records in the index (notes only): "
              f"{summary(notes_only)}; with them, catalog results off (`CATALOG_RESULTS=false`): "
              f"{summary(catalog_off)}; on: {summary(reports['hybrid'])}. Unanswerable "
              f"questions refused: {notes_only.get('unanswerable_refused', 0):.3f} notes only, "
              f"{catalog_off.get('unanswerable_refused', 0):.3f} with catalog results off, "
              f"{reports['hybrid'].get('unanswerable_refused', 0):.3f} on.", "",
              "| # | lang | question | hybrid | BM25 | dense |", "|---|---|---|---|---|---|"]
    per = {mode: reports[mode]["per_question"] for mode in MODES}
    for i, row in enumerate(per["hybrid"], 1):
        ranks = ["–" if per[m][i - 1]["rank"] is None else str(per[m][i - 1]["rank"])
                 for m in MODES]
        question = row["q"].replace("|", "\\|")
        lines.append(f"| {i} | {row['lang'] or '-'} | {question} | {' | '.join(ranks)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--notes-index", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "RESULTS.md")
    args = parser.parse_args(argv)
    reports = {mode: run_eval(args.index, mode) for mode in MODES}
    catalog_off = run_eval(args.index, "hybrid", catalog_results=False)
    with tempfile.TemporaryDirectory() as tmp:
        notes_index = args.notes_index
        if notes_index is None:
            notes_index = Path(tmp) / "index"
            subprocess.run([sys.executable, "-m", "index.build", "--out", str(notes_index),
                            "--no-catalog", "--quiet"], cwd=ROOT, check=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
        notes_only = run_eval(notes_index, "hybrid")
    manifest = json.loads((args.index / "manifest.json").read_text("utf-8"))
    args.out.write_text(render(reports, notes_only, catalog_off, manifest), "utf-8")
    for mode in MODES:
        print(mode, {k: v for k, v in reports[mode].items() if k != "per_question"})
    print("notes only", summary(notes_only), "catalog off", summary(catalog_off))
    return 0


if __name__ == "__main__":
    sys.exit(main())
