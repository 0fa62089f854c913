"""Filters read from a question's own words (issue 18), over a hand-built vocabulary."""

from __future__ import annotations

import pytest

from index.models import Filters, Link, NoteMeta, Talk
from index.search.implicit_eval import ImpliedOutcome, Implied, implicit_metrics, satisfies
from index.search.overview import build_overview
from index.search.understanding import understand, without_switch
from index.search.vocabulary import Vocabulary

BCN = NoteMeta(path="n.md", title="EU 2019", author="Jane Doe", url="https://x.org/n/",
               conference="KubeCon + CloudNativeCon Europe 2019", event="kubecon-eu-2019",
               city="Barcelona", year=2019, date="2019-05-25", language="en")


def talk(id: str, event: str, year: int, speakers: tuple[str, ...] = (),
         companies: tuple[str, ...] = (), note: NoteMeta | None = None, track: str = "",
         title: str = "") -> Talk:
    region = {"eu": "Europe", "na": "North America"}.get(event.split("-")[1], "")
    return Talk(id=id, title=title or id, speakers=speakers, companies=companies, kind="talk",
                event=event, conference=f"KubeCon + CloudNativeCon {region} {year}", year=year,
                track=track, note=note, has_notes=note is not None, links=(Link("video", "v"),))


TALKS = [
    talk("mesh", "kubecon-eu-2019", 2019, ("Ana Lopez",), ("Google LLC",), BCN, "Networking"),
    talk("kind", "kubecon-eu-2019", 2019, ("Ben Elder",), ("Microsoft",), BCN, "Testing"),
    talk("keynote", "kubecon-na-2017", 2017, ("Kelsey Hightower",), ("Google",)),
    talk("cph", "kubecon-eu-2018", 2018, ("Sarah Wells",), ("Financial Times",)),
    talk("la", "kubecon-na-2021", 2021, (), ("Spotify",)),
    talk("prom", "kubecon-na-2021", 2021, (), ("Prometheus",), title="Prometheus 2.0 and Prometheus agents"),
]
VOCAB = Vocabulary.build(TALKS)


def read(question: str, explicit: Filters = Filters()):  # type: ignore[no-untyped-def]
    return understand(question, VOCAB, explicit)[0]


@pytest.mark.parametrize("question, events, year", [
    ("what happened at KubeCon Barcelona?", ("kubecon-eu-2019",), None),
    ("service mesh talks at KubeCon Copenhagen", ("kubecon-eu-2018",), None),
    ("the Austin KubeCon keynotes", ("kubecon-na-2017",), None),
    ("operators at KubeCon EU 2019", ("kubecon-eu-2019",), 2019),
    ("storage talks at KubeCon Europe", ("kubecon-eu-2018", "kubecon-eu-2019"), None),
    ("Rust talks in LA", ("kubecon-na-2021",), None),
    ("hvad skete der i København?", ("kubecon-eu-2018",), None),
    ("qu'est-ce qui s'est passé à Barcelone ?", ("kubecon-eu-2019",), None),
    ("which talks were about security in 2021?", (), 2021),
    ("logging i 2021", (), 2021),
    ("les conférences sur la sécurité en 2018", (), 2018),
])
def test_events_cities_regions_and_years_are_read(question: str, events: tuple[str, ...],
                                                  year: int | None) -> None:
    understood = read(question)
    assert (understood.events, understood.year) == (events, year)


@pytest.mark.parametrize("question, company, speaker", [
    ("what did Microsoft people talk about?", "Microsoft", ""),
    ("talks from Google about service mesh", "Google", ""),
    ("what did Spotify present?", "Spotify", ""),
    ("hvad sagde folk fra Spotify om dokumentation?", "Spotify", ""),
    ("the keynote by Kelsey Hightower", "", "Kelsey Hightower"),
    ("what did Sarah Wells say about migrations?", "", "Sarah Wells"),
])
def test_companies_and_speakers_as_people_are_read(question: str, company: str,
                                                   speaker: str) -> None:
    understood = read(question)
    assert (understood.company, understood.speaker) == (company, speaker)


@pytest.mark.parametrize("question", [
    "what is new in Prometheus 2.0?", "the 10,000 clusters talk", "Kubernetes 1.9",
    "what did Google open-source with gVisor?", "Who used Google's four golden signals?",
    "What is Spotify's Backstage?", "Qu'est-ce que Kata et pourquoi Intel l'a-t-il lancé ?",
])
def test_topic_questions_are_not_filtered(question: str) -> None:
    assert read(question).is_empty()


def test_a_bare_company_name_is_a_boost_and_a_project_name_not_even_that() -> None:
    assert read("what did Google open-source with gVisor?").boost == Filters(company="Google")
    assert read("what is new in Prometheus 2.0?").boost == Filters()
    assert read("Kubernetes 2019 roadmap").boost == Filters(year=2019)


def test_explicit_filters_win_over_the_words() -> None:
    understood = read("service mesh at KubeCon Barcelona in 2019", Filters(year=2018))
    assert understood.year is None and understood.events == ("kubecon-eu-2019",)
    assert read("talks from Google", Filters(company="spotify")).company == ""


def test_labels_say_what_was_understood_and_the_question_is_searched_whole() -> None:
    understood, text = understand("service mesh talks at KubeCon Barcelona", VOCAB)
    assert understood.labels == ("KubeCon Europe 2019", "Barcelona")
    assert text == "service mesh talks at KubeCon Barcelona"
    assert read("what did Microsoft people talk about?").labels == ("from Microsoft",)


def test_overview_questions_are_recognised() -> None:
    assert read("what happened at KubeCon Barcelona?").overview
    assert read("what was KubeCon 2017 about?").overview
    assert read("what did Spotify present?").overview
    assert not read("service mesh talks at KubeCon Barcelona").overview
    assert not read("what did Kelsey Hightower talk about?").overview


def test_the_off_switch_is_taken_out_of_the_question() -> None:
    assert without_switch("filters:off what happened in Barcelona?") == \
        ("what happened in Barcelona?", True)
    assert without_switch("what happened in Barcelona?") == ("what happened in Barcelona?", False)


def test_an_overview_counts_the_notes_groups_by_track_and_names_the_authors() -> None:
    overview = build_overview([TALKS[0], TALKS[1], TALKS[2]])
    assert (overview.talks_with_notes, overview.catalog_talks) == (2, 1)
    assert [(g.name, g.titles) for g in overview.groups] == [("Networking", ("mesh",)),
                                                             ("Testing", ("kind",))]
    assert overview.authors == ("Jane Doe",)


def test_implicit_metrics_count_top3_precision_and_wrongly_filtered_topics() -> None:
    year = Implied("q1", (("year", 2019),), explicit="year:2019 q1")
    topic = Implied("q2", (), topic=True)
    outcomes = [ImpliedOutcome(year, (TALKS[0], TALKS[2]), True, 1, 2),
                ImpliedOutcome(topic, (TALKS[2],), True, None, None)]
    report = implicit_metrics(outcomes)
    assert report["filter_precision@3"] == 0.5
    assert report["topic_wrongly_filtered"] == 1
    assert (report["paired_recall@5"], report["paired_explicit_recall@5"]) == (1.0, 1.0)
    assert satisfies(TALKS[0], (("events", ["kubecon-eu-2019"]), ("company", "google")))
    assert not satisfies(TALKS[1], (("company", "google"),))
