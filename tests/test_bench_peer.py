"""The glue of the benchmark's txtai peer section (bench/peer.py): chunk hits to talks, recall
scored as index.eval scores it, the comparison and its report rows. txtai itself is never
imported here (the section runs only in `python -m bench`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import bench.peer as peer
from bench.report import render
from index.search.evaluation import Question

TALKS = {"t1": ("Spinnaker and the Culture", True), "t2": ("GitOps Working Group", True),
         "t3": ("Jaeger in production", False)}
CHUNK_TALK = {"c1": "t1", "c2": "t1", "c3": "t2", "c4": "t3", "n1": "note-text"}


def test_hits_become_distinct_talks_ranked_by_their_best_chunk() -> None:
    talks = peer.talks_from_hits(["c2", "c1", "c4", "c3", "c1"], CHUNK_TALK, TALKS)
    assert talks == [TALKS["t1"], TALKS["t3"], TALKS["t2"]]


def test_hits_stop_at_depth_and_a_notes_own_text_takes_an_untitled_place() -> None:
    talks = peer.talks_from_hits(["n1", "c3", "c1", "c4"], CHUNK_TALK, TALKS, depth=2)
    assert talks == [("", True), TALKS["t2"]]


def test_recall_counts_ranks_as_index_eval_does() -> None:
    questions = [Question("spinnaker?", ("Spinnaker",)),          # rank 2
                 Question("gitops?", ("GitOps",)),                # rank 1
                 Question("jaeger?", ("Jaeger",)),                # catalog-only talk: not found
                 Question("weather?", ())]                        # unanswerable: not in recall
    answers = {"spinnaker?": ["c3", "c1"], "gitops?": ["c3"], "jaeger?": ["c4"], "weather?": []}
    report = peer.recall(questions, lambda q: peer.talks_from_hits(answers[q], CHUNK_TALK,
                                                                    TALKS))
    assert report["questions"] == 3
    assert report["recall@1"] == pytest.approx(1 / 3, abs=1e-4)
    assert report["recall@5"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["mrr"] == pytest.approx((1 / 2 + 1) / 3, abs=1e-4)
    assert report["ranks"] == [2, 1, None]


def test_catalog_share_counts_catalog_only_talks_among_those_returned() -> None:
    counted = peer.CatalogShare(lambda q: peer.talks_from_hits(q.split(), CHUNK_TALK, TALKS))
    assert counted("c4 c1") == [TALKS["t3"], TALKS["t1"]]
    counted("c3")
    assert counted.share == pytest.approx(1 / 3, abs=1e-4)


def test_catalog_question_is_refused_unless_our_retriever_cites_the_catalog(tmp_path: Path
                                                                            ) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("- q: a\n  expect: [A]\n- q: b\n  expect: [B]\n  catalog: true\n", "utf-8")
    assert [q.expect for q in peer.dev_questions(path, True)] == [("A",), ("B",)]
    assert [q.expect for q in peer.dev_questions(path, False)] == [("A",), ()]


def test_head_to_head_and_compare() -> None:
    ours = {"build_s": 10.0, "query_ms": {"p50": 5.0}, "recall": {"recall@5": 0.9,
                                                                 "ranks": [1, 6, None, 2]}}
    txtai = {"build_s": 40.0, "query_ms": {"p50": 20.0}, "recall": {"recall@5": 0.7,
                                                                   "ranks": [3, 2, 1, None]}}
    assert peer.compare(ours, txtai) == {"build_ratio": 4.0, "p50_ratio": 4.0,
                                         "recall5_delta": 0.2, "only_ours": 1, "only_txtai": 2}


def test_index_rows_are_the_texts_our_build_embedded(tmp_path: Path) -> None:
    records = [{"id": 0, "talk_id": "t1", "header": "Talk one — Ada", "text": "Body."},
               {"id": 1, "talk_id": "t3", "header": "Catalog talk", "text": ""}]
    (tmp_path / "chunks.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), "utf-8")
    (tmp_path / "talks.jsonl").write_text("".join(json.dumps(t) + "\n" for t in (
        {"id": "t1", "title": "Talk one"}, {"id": "t3", "title": "Catalog talk",
                                            "has_notes": False})), "utf-8")
    # Our chunk ids are row numbers; txtai gives hits' ids back as strings.
    assert peer.chunk_rows(tmp_path) == [("0", "t1", "Talk one — Ada\nBody."),
                                         ("1", "t3", "Catalog talk")]
    assert peer.talk_titles(tmp_path) == {"t1": ("Talk one", True),
                                          "t3": ("Catalog talk", False)}


def test_txtai_config_uses_e5_prefixes_and_the_given_model() -> None:
    config = peer.txtai_config("/models/e5")
    assert config["path"] == "/models/e5"
    assert config["instructions"] == {"query": "query: ", "data": "passage: "}
    assert config["hybrid"] and config["content"] and config["backend"] == "faiss"


def test_without_txtai_the_section_is_skipped_and_left_out_of_the_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(peer, "txtai_installed", lambda: False)
    result = peer.bench_peer(tmp_path, reps=1, build_reps=1, backend="onnx-int8")
    assert result == {"skipped": "txtai not installed: pip install -e '.[bench]'"}
    assert list(tmp_path.iterdir()) == []
    assert "peer:" not in render({"meta": META, "peer": result})


def test_report_shows_the_peer_beside_ours() -> None:
    side = {"query_ms": {"p50": 6.5, "p99": 10.0, "n": 327},
            "recall": {"recall@1": 0.86, "recall@5": 0.98, "mrr": 0.91, "questions": 104}}
    ours = {**side, "backend": "onnx-int8", "chunks": 2616, "build_s": 12.0, "build_cpu_s": 20.0}
    txtai = {"query_ms": {"p50": 30.0, "p99": 55.0, "n": 327},
             "recall": {"recall@1": 0.6, "recall@5": 0.8, "mrr": 0.7, "questions": 104,
                       "catalog_share": 0.59},
             "version": "9.14.0", "faiss": "IDMap,Flat", "build_s": 48.0, "build_cpu_s": 90.0}
    result = {"ours": ours, "txtai": txtai, "builds": 1, "depth": 5, "txtai_limit": 30,
              "compare": {"build_ratio": 4.0, "p50_ratio": 4.62, "recall5_delta": 0.18,
                          "only_ours": 20, "only_txtai": 1}}
    table = render({"meta": META, "peer": result})
    assert "txtai 48.0 s (CPU 90.0 s) vs ours 12.0 s (CPU 20.0 s): 4.0×" in table
    assert "txtai p50 30.0 / p99 55.0 ms vs ours p50 6.5 / p99 10.0 ms" in table
    assert "0.8 vs 0.98" in table and "only by ours 20, only by txtai 1" in table
    assert "catalog-only talks among the top 5: 59% vs 0%" in table


META = {"date": "2026-12-01T00:00:00+00:00", "command": "python -m bench --only peer",
        "total_s": 60.0, "backend": "onnx-int8", "backend_env": "",
        "machine": {"cpu": "cpu", "cores": 2, "memory_mb": 4096}, "load_start": [1.0],
        "load_end": [1.0], "versions": {"python": "3.11"}}
