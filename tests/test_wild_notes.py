"""The parser on notes as other people write them (tests/data/wild, see its README.md): the
talks counted by hand are found, little else is reported, and no line is dropped. Also the
report's own parts: the title matcher and the corpus a new user would make of the notes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WILD = ROOT / "tests" / "data" / "wild"
LICENCES = ("CC0", "MIT", "Apache-2.0")


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


wild_notes = _load("wild_notes")
wild_corpus = sys.modules["wild_corpus"]


@pytest.fixture(scope="module")
def rep() -> dict[str, Any]:
    return wild_notes.report(WILD)


def _failing(rep: dict[str, Any]) -> str:
    return "\n".join(f"{s['short_name']}: not found {s['unmatched_hand']}; "
                     f"false positives {[t['title'] for t in s['unmatched_reported']]}"
                     for s in rep["sources"] if s["unmatched_hand"] or s["unmatched_reported"])


# --- the targets (python scripts/wild_notes.py tests/data/wild prints the details) ---------

def test_hand_counted_talks_are_found(rep):
    assert rep["totals"]["found_share"] >= 0.90, _failing(rep)


def test_reported_talks_are_hand_counted_talks(rep):
    assert rep["totals"]["precision"] >= 0.90, _failing(rep)


def test_every_source_reports_about_the_hand_count(rep):
    off = {s["short_name"]: (s["hand"], s["reported"]) for s in rep["sources"] if not s["within"]}
    assert not off, f"(hand count, reported) outside ±15%: {off}"


def test_every_source_reports_its_lines(rep):
    missing = [s["short_name"] for s in rep["sources"]
               if s["lines"] is None or None in s["lines"].values()]
    assert not missing, f"no `lines` figures for {missing}"


def test_no_line_is_dropped(rep):
    dropped = {s["short_name"]: (s["lines"] or {}).get("dropped") for s in rep["sources"]}
    assert all(v == 0 for v in dropped.values()), f"dropped lines per source: {dropped}"


# --- the title matcher -------------------------------------------------------------------------

SAME = [
    ("Kubernetes Deconstructed - Carson Anderson, DOMO @carsonoid",
     {"title": "Kubernetes Deconstructed", "speakers": ["Carson Anderson"], "companies": ["DOMO"]}),
    ("Dan Kohn - Exec Dir - CNCF", {"title": "Exec Dir", "speakers": ["Dan Kohn"],
                                    "companies": ["CNCF"]}),
    ("Dan Kohn - Exec Dir - CNCF", {"title": "Dan Kohn"}),
    ("(no heading) hybrid-cloud-hippa-compliant.md — Steve sloka, Heptio/UPMC",
     {"title": "Hybrid cloud HIPPA compliant", "speakers": ["Steve Sloka"]}),
    ("Envoy’s Using 10GB of Memory and It’s All My Fault!",
     {"title": "Envoy's Using 10GB of Memory and It's All My Fault"}),
    ("Docker_and_Microsoft-investing-in-the-future-of-your-applications",
     {"title": "Docker and Microsoft: Investing in the Future of Your Applications"}),
    ("Fireside chat with Kelsey Hightwower and Sally Ann O'Malley",
     {"title": "[Fireside chat with Kelsey Hightwower and Sally Ann O'Malley](https://youtu.be/x)"}),
    ("Service Meshes and Observability",
     {"title": "Ben Sigelman", "official_title": "Service Meshes and Observability"}),
    ("Keynotes (Service Mesh Interface)", {"title": "Keynotes"}),
    ("Moderated by Dan Kohn, CNCF (k8s-cloud-native-public-cloud-panel.md)",
     {"title": "K8s cloud native public cloud panel"}),
    ("Sarah Novotny, head of OS Strategy, GCP",
     {"title": "Day 3 keynote", "speakers": ["Sarah Novotny"], "companies": ["GCP"]}),
    ("Byran Liles Senior staff VMware  CNCF oroject updates",
     {"title": "CNCF oroject updates", "speakers": ["Byran Liles"], "companies": ["VMware"]}),
]
DIFFERENT = [
    ("Dynamic Request Routing With Envoy", {"title": "Envoy"}),
    ("Intro: Linkerd", {"title": "Linkerd"}),
    ("CNI, CRI, and OCI, Oh My", {"title": "CNI"}),
    ("Day-1-keynote", {"title": "Day 2 Keynote"}),
    ("Building a Better Software Supply Chain", {"title": "Securing the IAC Supply Chain"}),
    ("Welcome, Thank You, Growth", {"title": "Welcome reception"}),
    ("Zero-instrumentation observability based on eBPF", {"title": "Takeaways"}),
    ("Kubeflow Ecosystem: What’s Next for Cloud Native AI/ML and LLMOps",
     {"title": "Kubeflow Ecosystem: Navigating the Cloud Native AI/ML and LLMOps Frontier"}),
    ("(no heading) hybrid-cloud-hippa-compliant.md — Steve sloka, Heptio/UPMC",
     {"title": "(no heading) service-mesh-ci-cd-bringing-it-all-together.md"}),
]


@pytest.mark.parametrize(("hand", "talk"), SAME, ids=[h[:40] for h, _ in SAME])
def test_matcher_matches_the_same_talk_written_differently(hand, talk):
    assert wild_notes.match_talks([hand], [talk]), wild_notes.title_score(hand, talk)


@pytest.mark.parametrize(("hand", "talk"), DIFFERENT, ids=[h[:40] for h, _ in DIFFERENT])
def test_matcher_keeps_different_talks_apart(hand, talk):
    assert not wild_notes.match_talks([hand], [talk]), wild_notes.title_score(hand, talk)


def test_matcher_assigns_one_to_one_by_best_score():
    reported = [{"title": "Set Sail with Istio"}, {"title": "Istio"}, {"title": "Istio"}]
    pairs = wild_notes.match_talks(["Istio", "Set Sail with Istio"], reported)
    assert sorted((i, j) for i, j, _ in pairs) == [(0, 1), (1, 0)]
    assert len(wild_notes.match_talks(["Istio"], reported)) == 1


# --- the corpus a new user would make of the notes ------------------------------------------

def test_corpus_keeps_every_text_and_adds_front_matter(tmp_path):
    files = wild_corpus.make_corpus(WILD, tmp_path)
    sources = wild_corpus.load_sources(WILD)
    assert set(files) == {s["short_name"] for s in sources}
    for src in sources:
        original = WILD / src["saved_as"]
        if original.is_dir():
            meta = yaml.safe_load((tmp_path / original.name / "notes.yaml").read_text("utf-8"))
            assert set(meta) == set(wild_corpus.KEYS)
            for path in (p for p in original.rglob("*") if p.is_file()):
                copy = tmp_path / original.name / path.relative_to(original)
                copy = copy if path.suffix == ".md" else copy.with_name(copy.name + ".md")
                assert copy.read_bytes() == path.read_bytes()
                assert copy in files[src["short_name"]]
            continue
        text = files[src["short_name"]][0].read_text("utf-8")
        _, front, body = text.split("---\n", 2)
        meta = yaml.safe_load(front)
        assert set(wild_corpus.KEYS) <= set(meta)
        assert isinstance(meta["author"], str) and meta["year"] == src["year"]
        assert original.read_text("utf-8").endswith(body)


def test_front_matter_merge_keeps_the_authors_keys_and_replaces_clashing_ones():
    text = ("---\nlayout: post\ntitle: \"Day 1\"\nauthor:\n  name: Jo\n  twitter:\n"
            "tags: [a, b]\n---\n# Body\n")
    values = {k: f"v-{k}" for k in wild_corpus.KEYS} | {"year": 2018, "date": "2018-05-21",
                                                       "url": "https://example.org/x",
                                                       "event": "kubecon-eu-2018",
                                                       "language": "en"}
    merged = wild_corpus.with_front_matter(text, values)
    meta = yaml.safe_load(merged.split("---\n")[1])
    assert meta["title"] == "Day 1" and meta["author"] == "v-author" and meta["tags"] == ["a", "b"]
    assert meta["layout"] == "post" and meta["year"] == 2018
    assert merged.endswith("---\n# Body\n")


def test_wild_data_is_only_sources_whose_licence_allows_a_copy():
    sources = wild_corpus.load_sources(WILD)
    readme = (WILD / "README.md").read_text("utf-8")
    assert {p.name for p in WILD.iterdir()} == (
        {s["saved_as"] for s in sources} | {"talks.yaml", "README.md", "LICENSE-APACHE-2.0"})
    for src in sources:
        assert str(src["license"]).startswith(LICENCES), src["short_name"]
        assert src["repo"] in readme and src["commit"] in readme
