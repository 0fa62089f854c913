"""The wild-notes evaluation (scripts/wild_eval.py): phrase matching, the 1,000-character
baseline chunks, the ranks, the questions file and its answers in the copied notes."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from encoders import FakeEncoder

ROOT = Path(__file__).resolve().parents[1]
WILD = ROOT / "tests" / "data" / "wild"
QUESTIONS = ROOT / "eval" / "wild_questions.yaml"


@pytest.fixture(scope="module")
def we():
    """scripts/wild_eval.py as a module (the scripts folder is no package)."""
    scripts = str(ROOT / "scripts")
    sys.path.insert(0, scripts)
    try:
        return importlib.import_module("wild_eval")
    finally:
        sys.path.remove(scripts)


def answer_of(*results: list[str]):
    """A stand-in for index.models.Answer: results holding passages with these texts."""
    return SimpleNamespace(results=tuple(
        SimpleNamespace(passages=tuple(SimpleNamespace(text=t, highlight="") for t in texts))
        for texts in results))


# --- phrases ----------------------------------------------------------------------------------

def test_normalise_folds_case_space_markup_and_quotes(we):
    text = "It’s **Really**  _fast_\n and [`runc`](https://x.io/a_b) “wins” ~~now~~"
    assert we.normalise(text) == "it's really fast and runc \"wins\" now"


def test_contains_sees_through_markup_and_line_breaks(we):
    passage = "Finally, Kelsey reminded us that [documentation](https://y.t/?t=1) is an\n" \
              "*essential* part of the engineering process."
    assert we.contains(passage, "documentation is an essential part of the")
    assert we.contains(passage, "KELSEY REMINDED US")
    assert not we.contains(passage, "essential part of the engineering team")
    assert not we.contains(passage, "   ")


def test_contains_folds_typographic_apostrophes(we):
    assert we.contains("Il n’existe toujours pas d’outils", "Il n'existe toujours pas d'outils")
    assert we.contains("Il n'existe toujours pas", "Il n’existe toujours pas")


def test_phrase_starts_are_offsets_in_the_raw_text(we):
    text = "A [link](http://u) then *the phrase here* and the phrase here again."
    starts = we.phrase_starts(text, "the phrase here")
    assert starts == [text.index("*the") + 1, text.index("the phrase here again")]
    assert we.phrase_starts(text, "not there") == []


# --- the baseline's chunks ---------------------------------------------------------------------

def test_fixed_chunks_cut_every_size_characters_without_overlap(we):
    text = "".join(chr(ord("a") + i % 26) for i in range(2500))
    chunks = we.fixed_chunks(text)
    assert [start for start, _ in chunks] == [0, 1000, 2000]
    assert [len(piece) for _, piece in chunks] == [1000, 1000, 500]
    assert "".join(piece for _, piece in chunks) == text
    assert we.fixed_chunks("") == []
    assert we.fixed_chunks("abcdefg", size=3) == [(0, "abc"), (3, "def"), (6, "g")]


def test_a_phrase_across_a_chunk_boundary_belongs_to_the_chunk_it_starts_in(we):
    body = "x" * 15 + " kubelet restarts pods quickly " + "y" * 30
    base = we.Bm25Baseline([("src", body)], size=20)
    first = next(r for r, c in enumerate(base.chunks) if c[1] == 0)
    second = next(r for r, c in enumerate(base.chunks) if c[1] == 20)
    assert base.holds(first, "kubelet restarts pods")         # starts at 16, ends past 20
    assert not base.holds(second, "kubelet restarts pods")
    assert base.holds(second, "pods quickly")                 # wholly inside the second


def test_bm25_rank_is_the_first_top_chunk_holding_the_phrase(we):
    bodies = [("a", "Karpenter provisions EC2 instances directly for the cluster."),
              ("b", "Cluster autoscaler uses auto scaling groups. Karpenter is new."),
              ("c", "Nothing about scaling here at all, only coffee.")]
    base = we.Bm25Baseline(bodies)
    q = we.Question("How does Karpenter provision EC2 instances?", "a",
                    "provisions EC2 instances directly", "direct")
    assert base.rank(q, 5) == 1
    other = we.Question("karpenter autoscaler groups", "b", "provisions EC2 instances directly",
                        "direct")
    assert base.rank(other, 5) == 2
    assert base.rank(other, 1) is None
    assert base.top("zzz qqq", 5) == []                        # no known word: nothing found


# --- the product's rank ------------------------------------------------------------------------

def test_product_rank_is_the_first_result_with_a_passage_holding_the_phrase(we):
    answer = answer_of(["Nothing here.", "Still nothing."],
                       ["Other talk.", "They employ **Envoy** near\nclients around the world."],
                       ["they employ Envoy near clients around the world"])
    assert we.product_rank(answer, "they employ Envoy near clients around the world", 5) == 2
    assert we.product_rank(answer, "still nothing", 5) == 1
    assert we.product_rank(answer, "they employ Envoy near clients", 1) is None
    assert we.product_rank(answer, "absent phrase of words", 5) is None


def test_a_refused_question_has_no_rank(we):
    assert we.product_rank(answer_of(), "any phrase at all", 5) is None


# --- scoring -----------------------------------------------------------------------------------

def test_shares_and_targets(we):
    rows = [we.Row("q1", "s", "direct", "a b c d", 1, 1),
            we.Row("q2", "s", "direct", "a b c d", 2, None),
            we.Row("q3", "s", "outside", "a b c d", None, 3),
            we.Row("q4", "s", "outside", "a b c d", 1, None)]
    totals = we.summarise(rows, 5)
    assert totals["overall"] == {"n": 4, "product": {"top1": 0.5, "top5": 0.75},
                                 "bm25": {"top1": 0.25, "top5": 0.5}}
    assert totals["outside"]["product"] == {"top1": 0.5, "top5": 0.5}
    assert set(totals) == {"overall", "direct", "outside"}
    checks = {c["name"]: c["pass"] for c in we.targets(totals, 5)}
    assert checks == {"product top5 >= 0.95": False, "product top1 >= 0.85": False,
                      "product top5 > bm25 top5": True, "product top1 > bm25 top1": True}
    text = we.render(rows, totals, we.targets(totals, 5), 5)
    assert "FAIL  product top5 >= 0.95" in text and "PASS  product top1 > bm25 top1" in text
    assert we.report(rows, 5)["passed"] is False


def test_strip_front_matter(we):
    assert we.strip_front_matter("---\ntitle: x\nlist:\n- a\n---\n# Body\n") == "# Body\n"
    assert we.strip_front_matter("\n# No front matter\n---\n") == "\n# No front matter\n---\n"


def test_question_problems_name_bad_entries(we):
    good = {"q": "Q?", "source": "s", "answer": "four words right here", "kind": "direct"}
    assert we.question_problems(good, 1) == []
    assert we.question_problems({**good, "kind": "other"}, 2)
    assert we.question_problems({**good, "answer": "too short"}, 3)
    assert we.question_problems({**good, "answer": "with **bold** markup inside"}, 4)
    assert we.question_problems({**good, "answer": "a [link](http://x) in it"}, 5)
    assert we.question_problems({"q": "Q?"}, 6)


def test_the_harness_runs_on_a_tiny_corpus(we, tmp_path):
    """Index build, product search (fake encoder), baseline and report, end to end."""
    from index.search.retriever import FusionParams
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    meta = ("---\ntitle: Notes {n}\nauthor: A\nurl: https://example.org/{n}\nconference: "
            "KubeCon Europe 2019\nevent: kubecon-eu-2019\ncity: Barcelona\nyear: 2019\n"
            "date: 2019-05-25\nlanguage: en\n---\n\n")
    (corpus / "one.md").write_text(meta.format(n=1) + "## Helm 3\n\nHelm 3 removes Tiller, "
                                   "the privileged server component.\n")
    (corpus / "two.md").write_text(meta.format(n=2) + "## Karpenter\n\nKarpenter provisions "
                                   "EC2 instances directly, without auto scaling groups.\n")
    files = {"one": [corpus / "one.md"], "two": [corpus / "two.md"]}
    search = we.product_search(corpus, tmp_path / "index", encoder=FakeEncoder(),
                               params=FusionParams(floor_dense=0.0))
    questions = [we.Question("Helm 3 Tiller removed?", "one", "Helm 3 removes Tiller", "direct"),
                 we.Question("Karpenter EC2 instances", "two",
                             "provisions EC2 instances directly", "direct")]
    bodies = we.note_bodies(files)
    assert bodies[0][1].lstrip().startswith("## Helm 3")
    assert we.missing_answers(questions, bodies) == []
    rows = we.evaluate(questions, search, we.Bm25Baseline(bodies), 5)
    assert [(r.product, r.bm25) for r in rows] == [(1, 1), (1, 1)]
    unbuilt = we.evaluate(questions, None, we.Bm25Baseline(bodies), 5)   # no index: no product
    assert [(r.product, r.bm25) for r in unbuilt] == [(None, 1), (None, 1)]


# --- the questions file ------------------------------------------------------------------------

def test_the_questions_cover_every_source_and_kind(we):
    questions = we.load_questions(QUESTIONS)
    assert len(questions) >= 40
    per_source = Counter(q.source for q in questions)
    assert len(per_source) == 10 and all(3 <= n <= 6 for n in per_source.values()), per_source
    kinds = Counter(q.kind for q in questions)
    assert kinds["paraphrase"] >= 10 and kinds["crosslang"] >= 6 and kinds["subsection"] >= 8
    assert kinds["direct"] >= 2 and kinds["outside"] >= 2
    assert len({q.q for q in questions}) == len(questions)


def source_text(entry: dict) -> str:
    """Every text file of a source copied under tests/data/wild/, joined."""
    path = WILD / str(entry.get("saved_as") or entry["short_name"])
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return "\n\n".join(p.read_text("utf-8") for p in files)


def test_every_answer_is_in_the_copied_notes_of_its_source(we):
    """For the sources copied into the repo: each answer phrase occurs in their text."""
    sources = yaml.safe_load((WILD / "talks.yaml").read_text("utf-8"))["sources"]
    present = [s for s in sources if (WILD / str(s.get("saved_as") or s["short_name"])).exists()]
    assert present, f"no wild source is copied under {WILD}"
    texts = {s["short_name"]: source_text(s) for s in present}
    checked = [q for q in we.load_questions(QUESTIONS) if q.source in texts]
    assert checked, f"no question is about {sorted(texts)}"
    missing = [(q.source, q.answer) for q in checked if not we.contains(texts[q.source], q.answer)]
    assert not missing, missing
