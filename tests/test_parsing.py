"""The five corpus notes parse into the talks listed in tests/data/talks.yaml (hand-made list)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from index.notes.bylines import parse_byline
from index.notes.corpus import read_corpus

ROOT = Path(__file__).resolve().parents[1]
SEED_FILES = {
    "000": "kubecon-eu-2021-magenta-thorenfeldt.md",
    "001": "kubecon-eu-2018-zwindler-day2.md",
    "002": "kubecon-na-2017-galexrt.md",
    "003": "kubecon-na-2021-clux.md",
    "004": "kubecon-eu-2019-minimice.md",
}
LEFT_OUT = {"mentioned_not_attended"}


def norm(text: str) -> str:
    text = text.replace("–", "-").replace("’", "'").replace("“", '"').replace("”", '"')
    text = re.sub(r"\s*\[(A|B|I)\]\s*$", "", text)      # skill level markers live in `level`
    return re.sub(r"\s+", " ", text).strip().lower()


@pytest.fixture(scope="module")
def expected() -> dict[str, list[dict]]:
    data = yaml.safe_load((ROOT / "tests/data/talks.yaml").read_text(encoding="utf-8"))
    out: dict[str, list[dict]] = {}
    for t in data["talks"]:
        if t["kind"] not in LEFT_OUT:
            out.setdefault(t["id"][:3], []).append(t)
    return out


@pytest.fixture(scope="module")
def parsed():
    corpus = read_corpus(ROOT / "corpus")
    assert not corpus.errors, corpus.errors
    return {Path(n.meta.path).name: n for n in corpus.notes}


@pytest.mark.parametrize("seed", sorted(SEED_FILES))
def test_talk_count_and_titles_per_note(seed, expected, parsed):
    note = parsed[SEED_FILES[seed]]
    want = expected[seed]
    assert len(note.talks) == len(want)
    for got, exp in zip(note.talks, want):
        full = exp.get("title_full")
        title = parse_byline(full).title if full else exp["title"]
        assert norm(got.title) == norm(title), (got.title, exp)


@pytest.mark.parametrize("seed", sorted(SEED_FILES))
def test_speakers_companies_and_kind_field_by_field(seed, expected, parsed):
    note = parsed[SEED_FILES[seed]]
    checked = 0
    for got, exp in zip(note.talks, expected[seed]):
        assert [s.lower() for s in got.speakers] == [s.lower() for s in exp["speakers"]], exp["id"]
        assert list(got.companies) == exp["company"], exp["id"]
        if exp["id"] not in ("004-01", "003-20"):   # kinds only an outside source can tell
            assert got.kind == exp["kind"], exp["id"]
        checked += 1
    assert checked == len(expected[seed])


def test_hard_cases(parsed):
    fr = parsed[SEED_FILES["001"]].talks
    ft = next(t for t in fr if "Switching Horses" in t.title)
    assert ft.label == "REX du Financial times"
    assert ft.speakers == ("Sarah Wells",) and ft.companies == ("Financial Times",)
    assert ft.kind == "keynote" and ft.anchor == "rex-du-financial-times"
    kubevisor = next(t for t in fr if t.label == "Kubevisor")
    assert kubevisor.title == "Pod Anomaly Detection and Eviction using Prometheus Metrics"
    assert any(link.kind == "slides" for link in kubevisor.links)
    en = parsed[SEED_FILES["002"]].talks
    kelsey = next(t for t in en if "Kelsey Hightower" in t.speakers)
    assert kelsey.title == "KubeCon Opening Keynote - Project Update"   # ' - ' inside the title
    assert kelsey.day == "Day #2" and kelsey.track == "Morning Keynotes"
    spin = next(t for t in en if t.title.startswith("Cloud Native CD"))
    assert spin.link("video").startswith("https://www.youtube.com/")
    assert next(t for t in en if t.title.startswith("Extending Kubernetes 101")).level == "A"
    da = parsed[SEED_FILES["000"]].talks
    blocks = [t for t in da if t.title == "Keynote sessions"]
    assert [t.day.split(":")[0] for t in blocks] == ["Dag 3", "Dag 4", "Dag 5"]
    assert len({t.anchor for t in blocks}) == 3          # distinct deep links
    borrow = next(t for t in da if "Borrow Checker" in t.title)
    assert borrow.title == "The Rust Borrow Checker – A Deep Dive" and borrow.speakers == ()
    mm = parsed[SEED_FILES["004"]].talks
    edgility = next(t for t in mm if t.title.startswith("Edgility"))
    assert edgility.title == "Edgility - 5G orchestration in Serverless-Edge Cloud-Native environments"
    kind = next(t for t in mm if "kind" in t.title)
    assert kind.link("schedule").startswith("https://kccnceu19.sched.com/")
    clux = parsed[SEED_FILES["003"]].talks
    assert all(t.link("video") for t in clux)
    assert clux[0].url == "https://clux.dev/post/2021-11-06-kubecon-la-log/#using-slos-for-continuous-performance-optimizations"


def test_talk_ids_are_unique_and_stable(parsed):
    ids = [t.id for n in parsed.values() for t in n.talks]
    assert len(ids) == len(set(ids))
    assert "kubecon-na-2017/cloud-native-cd-spinnaker-and-the-culture-behind-the-tech" in ids


def test_front_matter_facts(parsed):
    meta = parsed[SEED_FILES["001"]].meta
    assert (meta.language, meta.year, meta.city, meta.event) == ("fr", 2018, "Copenhagen", "kubecon-eu-2018")
    assert parsed[SEED_FILES["000"]].meta.language == "da"
