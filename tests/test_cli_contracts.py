"""The command-line contracts of docs/DESIGN.md, run as other tools run them (slow: real model)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from index.settings import DEFAULT_MODEL
from index.search.evaluation import load_questions

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "eval" / "dev_questions.yaml"
TALK_KEYS = {"id", "title", "speakers", "companies", "kind", "conference", "event", "year", "url",
             "note", "links", "has_notes", "day", "track"}
NOTE_KEYS = {"title", "author", "url", "language"}
SUMMARY = re.compile(r"built (?P<out>.+): (?P<notes>\d+) notes, (?P<talks>\d+) talks, "
                     r"(?P<chunks>\d+) chunks \((?P<embedded>\d+) texts embedded, "
                     r"(?P<cached>\d+) cached\) in \d+(\.\d+)? s")

pytestmark = pytest.mark.slow


def run(*args: str) -> subprocess.CompletedProcess:
    """`python -m ARGS` from the repository root with the default model and settings."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("CATALOG_RESULTS", "INDEX_DIR", "CORPUS_DIR")}
    env |= {"EMBEDDING_MODEL": DEFAULT_MODEL, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def check_result_shape(result: dict) -> None:
    assert {"rank", "score", "talk", "passages"} <= result.keys()
    talk = result["talk"]
    assert TALK_KEYS <= talk.keys()
    assert all(isinstance(talk[k], list) for k in ("speakers", "companies", "links"))
    assert all(link.keys() == {"kind", "url"} for link in talk["links"])
    if talk["has_notes"]:
        assert talk["note"].keys() == NOTE_KEYS
    else:
        assert talk["note"] is None
    assert result["passages"] and all(p.keys() == {"text", "highlight"}
                                      for p in result["passages"])


def test_query_json_cites_the_spinnaker_keynote_with_its_recording(real_index_dir):
    question = "what did Netflix say about Spinnaker"
    done = run("index.query", "--index", str(real_index_dir), "--json", question)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["query"] == question
    results = doc["results"]
    assert [r["rank"] for r in results] == list(range(1, len(results) + 1))
    assert 1 <= len(results) <= 3                            # --k defaults to 3
    assert len({r["talk"]["id"] for r in results}) == len(results)
    for result in results:
        check_result_shape(result)
    top = results[0]["talk"]
    assert top["title"] == "Cloud Native CD: Spinnaker and the Culture Behind the Tech"
    assert (top["speakers"], top["companies"]) == (["Dianne Marsh"], ["Netflix"])
    assert (top["kind"], top["event"], top["year"]) == ("keynote", "kubecon-na-2017", 2017)
    assert top["has_notes"] is True
    assert top["note"]["author"] == "Alexander Trost"
    assert top["url"].startswith(top["note"]["url"] + "#")
    videos = [link["url"] for link in top["links"] if link["kind"] == "video"]
    assert videos and videos[0].startswith("https://www.youtube.com/watch?v=")


def test_eval_json_reports_recall_consistent_with_its_ranks(real_index_dir):
    done = run("index.eval", "eval/dev_questions.yaml", "--index", str(real_index_dir), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    questions = load_questions(DEV)
    per = report["per_question"]
    assert [row["q"] for row in per] == [q.q for q in questions]
    assert all(row.keys() >= {"q", "lang", "rank", "top"} for row in per)
    answerable = [row["rank"] for row, q in zip(per, questions) if q.expect]
    assert all(row["rank"] is None for row, q in zip(per, questions) if not q.expect)
    assert report["questions"] == len(answerable) and report["mode"] == "hybrid"
    assert report["unanswerable"] == len(questions) - len(answerable)
    for k in (1, 3, 5):
        found = sum(1 for rank in answerable if rank is not None and rank <= k)
        assert 0 <= report[f"recall@{k}"] <= 1
        assert report[f"recall@{k}"] == pytest.approx(found / len(answerable), abs=1e-4)
    mrr = sum(1 / rank for rank in answerable if rank) / len(answerable)
    assert report["mrr"] == pytest.approx(mrr, abs=1e-4)
    assert 0 <= report["unanswerable_refused"] <= 1


def test_build_summarises_last_and_a_broken_note_leaves_the_index(tmp_path, corpus_dir):
    corpus, out = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(corpus_dir / "kubecon-na-2021-clux.md", corpus)
    done = run("index.build", "--corpus", str(corpus), "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    summary = SUMMARY.fullmatch(done.stdout.strip().splitlines()[-1])
    assert summary, done.stdout
    counts = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]
    assert summary["out"] == str(out) and int(summary["notes"]) == counts["notes"] == 1
    assert (int(summary["talks"]), int(summary["chunks"])) == (counts["talks"], counts["chunks"])
    assert int(summary["embedded"]) > 0 and int(summary["cached"]) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (corpus / "broken.md").write_text("---\nyear: twenty\n---\n", encoding="utf-8")
    broken = run("index.build", "--corpus", str(corpus), "--out", str(out), "--quiet")
    assert broken.returncode == 1 and "broken.md:2:" in broken.stderr
    assert "Traceback" not in broken.stderr and "built" not in broken.stdout
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "index"]
