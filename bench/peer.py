"""The peer section (`python -m bench --only peer`, issue 17): txtai's hybrid search on the
same passages, model and questions as ours, measured in the same run.

Why a peer: a figure of ours alone (12 s to build, 7 ms a query, recall@5 0.98) says nothing
about whether an off-the-shelf stack would do as well. txtai is the closest one (FAISS plus
BM25 in one `Embeddings`), so it indexes exactly the chunks our build embedded (read from the
built index directory), with the same multilingual-e5-small folder and the same "query: " /
"passage: " prefixes, and both are scored on the dev questions by the same functions
(`index.search.evaluation`): a hit's chunk id maps back to its talk, talks in the order of
their first hit. txtai is optional (`pip install -e '.[bench]'`); without it the section
says so and the report leaves it out.

The pure parts (the config, hits → talks, recall, the comparison) are here; the
measurements run in their own processes (`bench.peer_worker`).
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Callable, Iterable, Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from index.search.evaluation import Question, as_answered, evaluate, load_questions, metrics

NOT_INSTALLED = "txtai not installed: pip install -e '.[bench]'"
DEPTH = 5           # talks each system returns per question: recall@5 needs no more
TXTAI_LIMIT = 30    # chunks asked of txtai per question, enough for DEPTH distinct talks
KS = (1, 3, 5)


def txtai_installed() -> bool:
    """Whether this interpreter can import txtai (checked without importing it)."""
    return find_spec("txtai") is not None


def txtai_config(model_path: str) -> dict[str, Any]:
    """txtai's `Embeddings` config for the comparison: its defaults except what fairness needs.

    `path` is our converted e5 folder (txtai loads it with transformers and mean pooling, its
    default `method`); `instructions` add e5's prefixes as our encoder does (and stop txtai
    reading the folder's own prompts, so they are not added twice); `hybrid` is txtai's BM25
    plus dense with its default 50/50 weights; `content` stores the text in SQLite so that
    hits come back with their ids; `backend` faiss picks `IDMap,Flat` (exact) below 5,000
    rows, as our `DenseIndex` is exact below 20,000."""
    return {"path": model_path, "instructions": {"query": "query: ", "data": "passage: "},
            "hybrid": True, "content": True, "backend": "faiss", "gpu": False}


def chunk_rows(index: Path) -> list[tuple[str, str, str]]:
    """(chunk id, talk id, text) of every chunk in a built index, the text as our build
    embedded it (the chunk's header line, then its body). Ids are strings, as txtai returns
    them (our chunk ids are row numbers)."""
    rows = []
    with open(index / "chunks.jsonl", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            text = f"{rec['header']}\n{rec['text']}" if rec["text"] else rec["header"]
            rows.append((str(rec["id"]), rec["talk_id"], text))
    return rows


def talk_titles(index: Path) -> dict[str, tuple[str, bool]]:
    """Talk id → (title, has_notes), as evaluation sees a talk."""
    with open(index / "talks.jsonl", encoding="utf-8") as fh:
        talks = [json.loads(line) for line in fh if line.strip()]
    return {t["id"]: (t["title"], t.get("has_notes", True)) for t in talks}


def talks_from_hits(hit_ids: Iterable[str], chunk_talk: dict[str, str],
                    talks: dict[str, tuple[str, bool]], depth: int = DEPTH
                    ) -> list[tuple[str, bool]]:
    """Chunk hits, best first → the first `depth` distinct talks, each ranked by its best
    chunk. A chunk of a note's own text (no talk of that id) still takes a place, untitled,
    as our retriever's "From the notes" results do."""
    seen: dict[str, None] = {}
    for hit in hit_ids:
        talk = chunk_talk.get(hit, hit)
        seen.setdefault(talk)
        if len(seen) == depth:
            break
    return [talks.get(t, ("", True)) for t in seen]


def recall(questions: list[Question],
           talks_for: Callable[[str], Sequence[tuple[str, bool]]]) -> dict[str, Any]:
    """Recall@1/3/5 and MRR as `index.eval` computes them, plus each question's rank (None
    when not found) so two systems can be compared question by question."""
    outcomes = evaluate(questions, talks_for)
    out = metrics(outcomes, ks=KS)
    out["ranks"] = [o.rank for o in outcomes if o.question.expect]
    return out


class CatalogShare:
    """Wraps a `talks_for` and counts the catalog-only talks among all it returned: txtai
    ranks every passage alike, so header-only catalog passages can crowd out the notes."""

    def __init__(self, talks_for: Callable[[str], Sequence[tuple[str, bool]]]) -> None:
        self.talks_for = talks_for
        self.returned = 0
        self.catalog = 0

    def __call__(self, q: str) -> Sequence[tuple[str, bool]]:
        talks = self.talks_for(q)
        self.returned += len(talks)
        self.catalog += sum(1 for _, has_notes in talks if not has_notes)
        return talks

    @property
    def share(self) -> float:
        return round(self.catalog / self.returned, 4) if self.returned else 0.0


def dev_questions(path: Path, cites_catalog: bool) -> list[Question]:
    """The dev questions as both systems must answer them (catalog-only ones refused when our
    retriever does not cite the catalog, as `index.eval` does)."""
    return as_answered(load_questions(path), cites_catalog)


def head_to_head(ours: Sequence[int | None], theirs: Sequence[int | None],
                 k: int = 5) -> dict[str, int]:
    """Questions found within k by one system and not the other."""
    hit = [(a is not None and a <= k, b is not None and b <= k) for a, b in zip(ours, theirs)]
    return {"only_ours": sum(a and not b for a, b in hit),
            "only_txtai": sum(b and not a for a, b in hit)}


def compare(ours: dict[str, Any], txtai: dict[str, Any]) -> dict[str, Any]:
    """The figures the report shows side by side: build seconds, query p50/p99, recall@5."""
    return {
        "build_ratio": round(txtai["build_s"] / ours["build_s"], 2),
        "p50_ratio": round(txtai["query_ms"]["p50"] / ours["query_ms"]["p50"], 2),
        "recall5_delta": round(ours["recall"]["recall@5"] - txtai["recall"]["recall@5"], 4),
        **head_to_head(ours["recall"]["ranks"], txtai["recall"]["ranks"]),
    }


def children_cpu_s() -> float:
    """CPU seconds (user + system) of the finished child processes so far: the machine is
    shared, so a build's CPU time says what its wall time cannot."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _pair_of_builds(work: Path, real_corpus: Path, backend: str, rep: int) -> dict[str, Any]:
    """One back-to-back pair: our `index.build`, then txtai indexing the chunks it wrote."""
    from bench.measure import env_for, log, run_build, run_json
    ours_dir, txtai_dir = work / "peer-ours", work / "peer-txtai"
    log(f"peer: index.build on corpus/ ({backend}, run {rep + 1})")
    cpu = children_cpu_s()
    ours = run_build(real_corpus, ours_dir, backend)
    ours["cpu_s"] = round(children_cpu_s() - cpu, 2)
    log(f"peer: ours {ours['seconds']} s; txtai indexes its {ours['chunks']} chunks")
    start, cpu = time.perf_counter(), children_cpu_s()
    theirs = run_json(["bench.peer_worker", "build", "--index", str(ours_dir),
                       "--out", str(txtai_dir)], env_for(backend))
    theirs["wall_s"] = round(time.perf_counter() - start, 2)
    theirs["cpu_s"] = round(children_cpu_s() - cpu, 2)
    log(f"peer: txtai {theirs['build_s']} s (wall {theirs['wall_s']} s)")
    return {"ours": ours, "txtai": theirs}


def bench_peer(work: Path, reps: int, build_reps: int, backend: str) -> dict[str, Any]:
    """Builds (back-to-back pairs), then each system's queries and recall in its own process."""
    from statistics import median

    from bench.measure import ROOT, env_for, log, run_json
    if not txtai_installed():
        log(f"peer: {NOT_INSTALLED}; section skipped")
        return {"skipped": NOT_INSTALLED}
    pairs = [_pair_of_builds(work, ROOT / "corpus", backend, rep) for rep in range(build_reps)]
    log(f"peer: Retriever.search and txtai search, {reps} passes over the dev questions")
    ours = run_json(["bench.peer_worker", "ours", "--index", str(work / "peer-ours"),
                     "--reps", str(reps)], env_for(backend))
    theirs = run_json(["bench.peer_worker", "query", "--index", str(work / "peer-ours"),
                       "--out", str(work / "peer-txtai"), "--reps", str(reps),
                       "--catalog", "1" if ours["cites_catalog"] else "0"], env_for(backend))
    ours["build_s"] = round(median(p["ours"]["seconds"] for p in pairs), 2)
    ours["build_wall_s"] = round(median(p["ours"]["wall_s"] for p in pairs), 2)
    ours["chunks"], ours["backend"] = pairs[0]["ours"]["chunks"], backend
    theirs["build_s"] = round(median(p["txtai"]["build_s"] for p in pairs), 2)
    theirs["build_wall_s"] = round(median(p["txtai"]["wall_s"] for p in pairs), 2)
    for system, key in ((ours, "ours"), (theirs, "txtai")):
        system["build_cpu_s"] = round(median(p[key]["cpu_s"] for p in pairs), 2)
    theirs.update({k: pairs[0]["txtai"][k]
                   for k in ("rows", "config", "scoring", "faiss", "version")})
    return {"ours": ours, "txtai": theirs, "builds": len(pairs), "depth": DEPTH,
            "txtai_limit": TXTAI_LIMIT, "compare": compare(ours, theirs)}
