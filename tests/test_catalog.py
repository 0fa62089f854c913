"""The official talk catalog: loading, matching the notes' talks to it, and joining the two."""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from index.catalog.attach import attach_catalog
from index.catalog.entries import CatalogEntry, CatalogError, load_catalog
from index.catalog.matching import match_talks
from index.catalog.report import MatchReport
from index.catalog.titles import clean_title, title_score, video_id
from index.models import Link, Talk
from index.notes.corpus import read_corpus

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "corpus" / "catalog"
PAIRS = ROOT / "tests" / "data" / "catalog_pairs.yaml"
SHARED = ROOT / "corpus" / "catalog" / "source"   # copy of the upstream tables
SHARED_EVENTS = ("kubecon-na-2017", "kubecon-eu-2018", "kubecon-eu-2019")
SPINNAKER = "Cloud Native CD: Spinnaker and the Culture Behind the Tech"
SPINNAKER_VIDEO = "https://www.youtube.com/watch?v=mfFtfaulCtg"


@pytest.fixture(scope="module")
def entries() -> list[CatalogEntry]:
    return load_catalog(CATALOG)


@pytest.fixture(scope="module")
def note_talks() -> list[Talk]:
    corpus = read_corpus(ROOT / "corpus")
    return [t for n in corpus.notes for t in n.talks]


@pytest.fixture(scope="module")
def pairs() -> list[dict]:
    return yaml.safe_load(PAIRS.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def attached(note_talks, entries):
    return attach_catalog(note_talks, entries)


def shared_talks(talks: list[Talk]) -> list[Talk]:
    return [t for t in talks if t.event in SHARED_EVENTS]


# --- the committed catalog -------------------------------------------------------------------

def test_catalog_has_every_cncf_event_with_the_notes_ids(entries):
    events = {e.event for e in entries}
    assert len(entries) == 2519          # 2,521 table rows, two listed twice
    assert events == {
        "kubecon-na-2016", "kubecon-eu-2017", "kubecon-na-2017", "kubecon-eu-2018",
        "kubecon-cn-2018", "kubecon-na-2018", "envoycon-2018", "kubecon-eu-2019",
        "kubecon-cn-2019", "kubecon-na-2019", "kubecon-cn-2020", "kubecon-cn-2021",
        "kubecon-cn-2023"}
    assert all(e.title for e in entries)
    assert sum(e.video.startswith("https://www.youtube.com/watch?v=") for e in entries) == 2504
    assert len({e.video for e in entries if e.video}) == 2504
    assert all(e.source.startswith("cncf/presentations@") for e in entries)


def test_catalog_rows_are_split_into_title_speakers_companies(entries):
    def find(event: str, title: str) -> CatalogEntry:
        return next(e for e in entries if e.event == event and e.title == title)

    linkerd = find("kubecon-eu-2018", "Linkerd Intro")      # `Name, Company & Name (Any Skill Level)`
    assert linkerd.speakers == ("Andrew Seigner", "George Miranda")
    assert linkerd.companies == ("Buoyant.io",) and linkerd.level == "All"
    spinnaker = find("kubecon-na-2017", SPINNAKER)          # `Keynote: Title - Name, Company`
    assert spinnaker.kind == "keynote" and spinnaker.speakers == ("Dianne Marsh",)
    assert spinnaker.companies == ("Netflix",) and spinnaker.video == SPINNAKER_VIDEO
    seattle = find("kubecon-na-2016", "Autoscaling Containers... with Math")   # ` by ` in 2016
    assert seattle.speakers == ("Allan Espinosa",) and seattle.companies == ("Engine Yard, Inc",)
    rook = find("kubecon-na-2019", "Rook: Cloud-Native Storage Orchestr...")  # cut title, list
    assert rook.speakers == ("Jared Watts", "Bassam Tabbara", "Travis Nielsen", "Alexander Trost")
    wells = find("kubecon-eu-2018", "The Challenges of Migrating 150+ Microservices to Kubernetes")
    assert wells.speakers == ("Sarah Wells",)                # `Keynote: Title, Name`
    dashes = find("kubecon-na-2018",
                  "CRDs Aren't Just for Add-Ons Anymore - Painting a Picture of the Future")
    assert dashes.speakers == ("Tim Hockin",) and dashes.kind == "lightning_talk"


def test_conversion_script_reproduces_the_committed_catalog(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "convert_cncf_catalog", ROOT / "scripts" / "convert_cncf_catalog.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    out = tmp_path / "cncf.jsonl"
    assert module.main([str(SHARED), "--out", str(out)]) == 0
    assert out.read_bytes() == (CATALOG / "cncf-presentations.jsonl").read_bytes()


# --- hand-checked pairs ----------------------------------------------------------------------

def test_pairs_name_every_talk_of_the_shared_events_and_real_entries(pairs, note_talks, entries):
    talks = {(t.event, t.title) for t in shared_talks(note_talks)}
    listed = [(p["event"], p["talk"]) for p in pairs]
    assert sorted(listed) == sorted(talks) and len(set(listed)) == len(listed)
    rows = {(e.event, e.title, e.video) for e in entries}
    for p in pairs:
        if p["official"] is not None:
            assert (p["event"], p["official"], p["video"]) in rows, p["talk"]


def score_pairs(pairs: list[dict], talks: list[Talk], report: MatchReport,
                titles_only: bool) -> tuple[float, float, list[str]]:
    """(precision, recall, wrong links) of the matcher on the hand-checked pairs."""
    by_key = {(t.event, t.title): t.id for t in talks}
    right, wrong, expected = 0, [], 0
    for p in pairs:
        entry = report.entry_for(by_key[(p["event"], p["talk"])])
        wanted = p["official"] if not (titles_only and p.get("needs_link")) else None
        expected += p["official"] is not None
        if entry is None:
            continue
        if wanted is not None and entry.title == wanted and entry.video == p["video"]:
            right += 1
        else:
            wrong.append(f"{p['talk']!r} -> {entry.title!r} (expected {wanted!r})")
    precision = right / (right + len(wrong)) if right + len(wrong) else 1.0
    return precision, right / expected, wrong


@pytest.mark.parametrize("titles_only", [False, True], ids=["as-noted", "titles-only"])
def test_matching_is_precise_on_hand_checked_pairs(pairs, note_talks, entries, titles_only):
    talks = shared_talks(note_talks)
    if titles_only:            # the notes' own recording links removed: titles, speakers, sched
        talks = [replace(t, links=tuple(k for k in t.links if not video_id(k.url))) for t in talks]
    report = match_talks(talks, entries)
    precision, recall, wrong = score_pairs(pairs, talks, report, titles_only)
    print(f"\n{'titles only' if titles_only else 'as noted'}: precision {precision:.3f}, "
          f"recall {recall:.3f}; {report.counts()}")
    assert wrong == []
    assert precision == 1.0
    ids = {(t.event, t.title): t.id for t in talks}
    ambiguous = {m.talk_id: {c.entry.title for c in m.candidates} for m in report.ambiguous}
    for p in pairs:
        if p.get("ambiguous"):
            assert set(p["ambiguous"]) <= ambiguous[ids[(p["event"], p["talk"])]]
    assert recall >= (0.95 if titles_only else 1.0)


def test_hard_cases(note_talks, entries):
    talks = {t.title: t for t in shared_talks(note_talks)}
    report = match_talks(list(talks.values()), entries)

    def official(title: str) -> str | None:
        entry = report.entry_for(talks[title].id)
        return entry.title if entry else None

    assert official("Deep dive containerd") == "Intro + Deep Dive: containerd"
    assert official("Reveal Your Deepest Kubernetes Metrics") == "Reveal Your Deepest Kubernetes Metrics"
    assert official("Switching Horses Midstream: The Challenges of Migrating 150+ Microservices "
                    "to Kubernetes") == "The Challenges of Migrating 150+ Microservices to Kubernetes"
    assert official("Lessons learned migrating Kubernetes from Docker to containered Runtime") == \
        "Lessons Learned Migrating Kubernetes from Docker to containerd Runtime"
    assert official("Day in the life of a Cloud Native Developer (Tutorial)") == \
        "A Day in the Life of a Cloud Native Developer"
    assert official("AWS Container Day") is None
    buildpacks = next(m for m in report.ambiguous if m.title == "Cloud Native Buildpacks")
    assert {c.entry.title for c in buildpacks.candidates} == {
        "Intro: Cloud Native Buildpacks", "Deep Dive: Cloud Native Buildpacks"}


def test_french_label_headings_alone_never_link_wrongly(note_talks, entries, pairs):
    """With only the note's short heading as title, a link is made only when it is right."""
    expected = {p["heading"]: p["official"] for p in pairs if p.get("heading")}
    talks = [replace(t, title=t.label, label="", links=(), speakers=())
             for t in note_talks if t.event == "kubecon-eu-2018" and t.label]
    report = match_talks(talks, entries)
    for m in report.matched:
        assert m.entry.title == expected[m.title], m.title
    linked = {m.title for m in report.matched}
    assert {"Reveal your deepes metrics", "101 ways to Break and Recover Kubernetes Clusters"} <= linked
    assert not linked & {"Kubevisor", "Digital ocean", "Linkerd", "REX du Financial times"}


def test_title_score_survives_typos_prefixes_and_suffixes(entries):
    from index.catalog.titles import Weights, content, words
    weight = Weights([content(words(clean_title(e.title))) for e in entries])
    assert title_score("EBF Superpowers", "eBPF Superpowers", weight) >= 0.9
    assert title_score("Reveal your deepes metrics", "Reveal Your Deepest Kubernetes Metrics",
                       weight) >= 0.8
    assert title_score("Back to Basics (Tutorial)", "Tutorial: Back to Basics", weight) == 1.0
    assert title_score("Extending Kubernetes 101 [A]", "Keynote: Extending Kubernetes 101",
                       weight) == 1.0
    assert title_score("Intro: Linkerd", "Deep Dive: Linkerd", weight) < 0.8
    assert title_score("Welcome keynote", "Welcome + Introduction", weight) < 0.8


# --- user-extended catalogs ------------------------------------------------------------------

CSV_EXTENSION = """title,speakers,companies,event,year,kind,video,conference,city
eBPF Superpowers,Liz Rice,Isovalent,kubecon-na-2021,2021,keynote,,KubeCon + CloudNativeCon North America 2021,Los Angeles
"eBPF, Sidecars, and the Future of the Service Mesh",Jane Doe;John Roe,Example Corp;Other Inc,kubecon-na-2021,2021,session,https://www.youtube.com/watch?v=AAAAAAAAAAA,,
Sidecar Superpowers,,,kubecon-na-2021,2021,talk,,,
"""


def test_a_user_extended_csv_catalog_loads_and_matches(tmp_path, note_talks, entries):
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "kubecon-na-2021.csv").write_text(CSV_EXTENSION, encoding="utf-8")
    (folder / "README.md").write_text("not a catalog file\n", encoding="utf-8")
    extra = load_catalog(folder)
    assert [e.title for e in extra] == ["eBPF Superpowers",
                                       "eBPF, Sidecars, and the Future of the Service Mesh",
                                       "Sidecar Superpowers"]
    assert extra[1].speakers == ("Jane Doe", "John Roe")
    assert extra[1].companies == ("Example Corp", "Other Inc")
    assert extra[1].kind == "talk" and extra[0].kind == "keynote"
    assert extra[0].source == "kubecon-na-2021.csv:2"
    talk = next(t for t in note_talks if t.title == "EBF Superpowers")
    for catalog in (extra, entries + extra):        # alone, or next to the CNCF file
        report = match_talks([replace(talk, links=())], catalog)
        assert [m.entry.title for m in report.matched] == ["eBPF Superpowers"]


def test_the_readme_example_loads(tmp_path):
    readme = (CATALOG / "README.md").read_text(encoding="utf-8")
    example = readme.split("```csv\n", 1)[1].split("```", 1)[0]
    (tmp_path / "kubecon-eu-2024.csv").write_text(
        "\n".join(line.strip() for line in example.splitlines()) + "\n", encoding="utf-8")
    [entry] = load_catalog(tmp_path)
    assert entry.event == "kubecon-eu-2024" and entry.kind == "keynote"
    assert entry.speakers == ("Jane Doe", "John Roe")


@pytest.mark.parametrize("name,text,where,what", [
    ("bad.jsonl", '{"title": "A", "event": "e", "year": 2020}\n\n{"title": "B", "event": "e",\n',
     "bad.jsonl:3", "not valid JSON"),
    ("bad.jsonl", '{"title": "A", "event": "e", "year": "twenty"}\n', "bad.jsonl:1",
     "year must be a number"),
    ("bad.jsonl", '{"event": "e", "year": 2020}\n', "bad.jsonl:1", "missing title"),
    ("bad.jsonl", '{"title": "A", "event": "e", "year": 2020, "vdeo": "x"}\n', "bad.jsonl:1",
     "unknown field(s) vdeo"),
    ("bad.csv", "title,event,year,kind\nA,e,2020,talk\nB,e,2020,fireside\n", "bad.csv:3",
     "unknown kind 'fireside'"),
    ("bad.csv", 'title,event,year,video\nA,e,2020,youtube.com/x\n', "bad.csv:2",
     "video must be an http(s) URL"),
    ("bad.csv", "title,year\nA,2020\n", "bad.csv:1", "header lacks column(s) event"),
])
def test_a_bad_row_names_its_file_and_line(tmp_path, name, text, where, what):
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        load_catalog(tmp_path)
    assert f"{tmp_path / name}:{where.split(':')[1]}:" in str(err.value)
    assert what in str(err.value)


def test_a_missing_catalog_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CatalogError, match="does not exist"):
        load_catalog(tmp_path / "nope")


# --- joining notes and catalog ---------------------------------------------------------------

def test_a_talk_with_notes_and_an_entry_is_one_record(note_talks, entries, attached):
    talks, report = attached
    spinnaker = [t for t in talks if SPINNAKER in (t.title, t.official_title)]
    assert len(spinnaker) == 1
    talk = spinnaker[0]
    assert talk.has_notes and talk.note is not None
    assert talk.official_title == SPINNAKER
    assert [k.url for k in talk.links if k.kind == "video"] == [SPINNAKER_VIDEO]   # not doubled
    assert len(talks) == len(note_talks) + len(entries) - len(
        {id(m.entry) for m in report.matched})


def test_cloud_native_cd_gets_its_youtube_link_from_the_catalog(note_talks, entries):
    bare = [replace(t, links=()) for t in note_talks]
    talks, _ = attach_catalog(bare, entries)
    talk = next(t for t in talks if t.title == SPINNAKER)
    assert talk.has_notes
    assert Link("video", SPINNAKER_VIDEO) in talk.links
    assert talk.link("video") == SPINNAKER_VIDEO


def test_catalog_only_talks_appear_once(entries, attached):
    talks, report = attached
    ids = [t.id for t in talks]
    assert len(ids) == len(set(ids))
    only = [t for t in talks if not t.has_notes]
    assert len(only) == len(entries) - len({id(m.entry) for m in report.matched})
    holders: dict[str, int] = {}
    for t in talks:
        for url in {video_id(k.url) for k in t.links} - {""}:
            holders[url] = holders.get(url, 0) + 1
    assert all(holders[video_id(e.video)] == 1 for e in entries if e.video)   # one record each
    opening = [t for t in only if t.event == "kubecon-na-2017" and t.title == "Opening Remarks"]
    assert len(opening) == 1
    first = opening[0]
    assert first.id == "kubecon-na-2017/opening-remarks" and first.note is None
    assert first.body == "" and first.kind == "keynote" and first.year == 2017
    assert first.conference == "KubeCon + CloudNativeCon North America 2017"
    assert first.url == first.link("video") != ""
    json.dumps(first.to_dict())
    assert not [t for t in only if t.event == "kubecon-na-2017" and t.title == SPINNAKER]


def test_catalog_only_talks_can_be_left_out(note_talks, entries):
    talks, _ = attach_catalog(note_talks, entries, include_catalog_only=False)
    assert [t.id for t in talks] == [t.id for t in note_talks]


def test_enrichment_keeps_the_notes_own_facts(note_talks, entries):
    talks, _ = attach_catalog(note_talks, entries, include_catalog_only=False)
    by_title = {t.title: t for t in talks}
    linkerd = by_title["Linkerd Intro"]
    assert linkerd.speakers == ("Andrew Siegner", "George Miranda")   # the note's spelling stays
    kind = by_title["Testing Kubernetes applications with kind"]
    assert kind.speakers == ("Benjamin Elder", "James Munnelly")       # none in the note
    assert kind.official_title == "Testing your K8s apps with KIND"
    assert kind.link("schedule").startswith("https://kccnceu19.sched.com/")
    assert kind.link("video") == "https://www.youtube.com/watch?v=8KtmevMFfxA"
    assert by_title["AWS Container Day"].official_title == ""


def test_report_renders_as_text_and_json(attached):
    _, report = attached
    text = report.to_text()
    assert text.startswith("Catalog matching (threshold")
    assert "kubecon-eu-2019:" in text and "Cloud Native Buildpacks" in text
    data = json.loads(json.dumps(report.to_dict()))
    assert data["counts"]["kubecon-na-2017"]["matched"] == 29
    assert {m["talk_id"] for m in data["ambiguous"]} >= {"kubecon-eu-2019/cloud-native-buildpacks"}
    assert all(m["event"] == "kubecon-eu-2021" or m["event"] == "kubecon-na-2021"
               or m["event"] in SHARED_EVENTS for m in data["unmatched"])
