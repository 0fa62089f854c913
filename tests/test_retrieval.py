"""Retriever behaviour with the fake encoder: filters, bad questions, grouping, highlights."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from index.errors import QueryError
from index.search.filters import parse_query
from index.search.highlight import best_sentence
from index.models import Filters
from encoders import FakeEncoder


def test_filters_are_parsed_out_of_the_question():
    text, f = parse_query('year:2017 speaker:"Kelsey Hightower" company:google what was new?')
    assert text == "what was new?"
    assert f == Filters(event="", year=2017, speaker="Kelsey Hightower", company="google")
    assert parse_query("event:kubecon-eu-2019 runtimes")[1].event == "kubecon-eu-2019"


@pytest.mark.parametrize("query,needle", [
    ("", "empty"), ("   ", "empty"), ("x" * 10_000, "too long (10,000 characters)"),
    ("?!?! ...", "no words"), ("🎉🎉🎉", "no words"), ("year:twenty helm", "not a year"),
    ("speaker: helm", "has no value"),
])
def test_bad_questions_get_clear_errors(fake_retriever, query, needle):
    with pytest.raises(QueryError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        fake_retriever.search(query)


def test_results_are_distinct_talks_with_passages(fake_retriever):
    answer = fake_retriever.search("Spinnaker Netflix culture guardrails", k=5)
    ids = [r.talk.id for r in answer.results]
    assert len(ids) == len(set(ids)) and ids[0].endswith("cloud-native-cd-spinnaker-and-the-culture-behind-the-tech")
    top = answer.results[0]
    assert top.passages and top.passages[0].highlight in top.passages[0].text
    assert [r.rank for r in answer.results] == list(range(1, len(answer.results) + 1))


def test_filters_restrict_results(fake_retriever):
    answer = fake_retriever.search("year:2019 containerd runtime", k=10)
    assert answer.results and all(r.talk.year == 2019 for r in answer.results)
    answer = fake_retriever.search('speaker:"Clayton Coleman" kubernetes', k=10)
    assert {r.talk.title for r in answer.results} == {
        "Red Hat: Making Containers Boring (again)",
        "What's Next? Getting Excited about Kubernetes in 2018"}
    answer = fake_retriever.search("company:spotify", k=10)       # filters alone list talks
    assert {r.talk.companies[0] for r in answer.results} == {"Spotify"}
    assert fake_retriever.search("company:nosuchcorp kubernetes").results == ()


def test_event_filter_restricts_by_event_conference_or_city(fake_retriever):
    answer = fake_retriever.search("event:kubecon-eu-2019 monitoring", k=10)
    assert answer.results and {r.talk.event for r in answer.results} == {"kubecon-eu-2019"}
    everywhere = fake_retriever.search("monitoring", k=10)
    assert len({r.talk.event for r in everywhere.results}) > 1    # the filter did the narrowing
    answer = fake_retriever.search("event:copenhagen operators", k=10)   # the note's city
    assert answer.results and {r.talk.event for r in answer.results} == {"kubecon-eu-2018"}
    assert fake_retriever.search("event:kubecon-eu-2030 monitoring").results == ()


def test_more_results_page_on(fake_retriever):
    first = fake_retriever.search("Kubernetes operators", k=3)
    second = fake_retriever.search("Kubernetes operators", k=3, offset=3)
    assert first.has_more and second.offset == 3
    assert not {r.talk.id for r in first.results} & {r.talk.id for r in second.results}
    assert [r.rank for r in second.results] == [4, 5, 6]


def test_unknown_names_get_nothing_relevant(fake_retriever):
    answer = fake_retriever.search("What did Zorblaxcorp say about Quuxernetes?")
    assert answer.results == () and answer.total == 0


def test_best_sentence_prefers_rare_shared_terms():
    text = "Kubernetes is big. Spinnaker was released by Netflix in 2015. The weather was nice."
    idf = {"spinnak": 3.0, "netflix": 3.0, "kubernet": 0.1}.get
    assert best_sentence(text, "what did Netflix say about Spinnaker", lambda t: idf(t, 0.5)) == \
        "Spinnaker was released by Netflix in 2015."
    assert best_sentence(text, "zebras", lambda t: 1.0) == ""


def test_query_command_rejects_bad_questions_without_traceback(fake_index):
    import os
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "EMBEDDING_MODEL": "fake-encoder"}
    for q in ["", "x" * 10_000, "!!! ???", "🙂🙃"]:
        out = subprocess.run([sys.executable, "-m", "index.query", "--index", str(fake_index),
                              "--json", q], capture_output=True, text=True, cwd=root, env=env)
        assert out.returncode == 2 and out.stderr.startswith("error: ")
        assert "Traceback" not in out.stderr


def test_floor_lets_strong_keyword_matches_on_known_names_through(fake_index):
    from index.search.retriever import FusionParams, load_retriever
    r = load_retriever(fake_index, "fake-encoder", encoder=FakeEncoder(), params=FusionParams())
    weak = FusionParams().floor_dense - 0.05
    # A speaker the notes know, matched strongly by keywords: an answer, however weak the
    # embeddings (a name carries little meaning for them).
    assert r.is_relevant("What did Brandon Philips present?", weak, 4.0)
    assert not r.is_relevant("What did Brandon Philips present?", weak, 2.0)     # weak keywords
    assert not r.is_relevant("What did Zorblax Quuxley present?", weak, 4.0)     # unknown names
    assert not r.is_relevant("what is a good recipe for lasagna", weak, 4.0)     # no names


def test_every_name_of_the_question_must_be_known_to_the_notes_typos_aside(fake_index):
    from index.search.retriever import FusionParams, load_retriever
    p = FusionParams()
    r = load_retriever(fake_index, "fake-encoder", encoder=FakeEncoder(), params=p)
    middling, weak_bm25 = (p.floor_dense + p.strong_dense) / 2, p.strong_bm25 - 1
    # The Danish note writes "Deutche Telekom": one letter away still counts as known.
    assert r.relevance.known("Deutsche", "notes") and r.relevance.known("Telekom", "notes")
    assert r.is_relevant("What platform did Deutsche Telekom build?", middling, weak_bm25)
    # "Apache" is in the notes, "Kafka" and "Strimzi" are not: the notes do not answer it.
    assert r.relevance.known("Apache", "notes") and not r.relevance.known("Strimzi", "notes")
    assert not r.is_relevant("How do I run Apache Kafka with Strimzi?", middling, weak_bm25)
    assert not r.relevance.known("Kafk", "notes")          # short names must match exactly
    # strong matches decide on their own, names or not
    assert r.is_relevant("How do I run Apache Kafka with Strimzi?", p.strong_dense, weak_bm25)


def test_index_commands_read_catalog_results_like_the_bot(fake_catalog_index, monkeypatch, capsys):
    from index.cli import open_retriever
    monkeypatch.setenv("CATALOG_RESULTS", "false")
    assert open_retriever(fake_catalog_index, "fake-encoder").catalog_results is False
    monkeypatch.setenv("CATALOG_RESULTS", " Yes ")
    assert open_retriever(fake_catalog_index, "fake-encoder").catalog_results is True
    monkeypatch.setenv("CATALOG_RESULTS", "maybe")
    assert open_retriever(fake_catalog_index, "fake-encoder") is None
    assert capsys.readouterr().err == "error: CATALOG_RESULTS='maybe': use true or false\n"


def test_catalog_titles_need_a_close_match_and_a_keyword(fake_catalog_index):
    from index.search.retriever import FusionParams, load_retriever
    p = FusionParams()
    r = load_retriever(fake_catalog_index, "fake-encoder", encoder=FakeEncoder(), params=p)
    q = "was there a talk about Strimzi?"
    assert r.is_relevant(q, p.catalog_floor_dense, p.catalog_bm25, "catalog")
    assert not r.is_relevant(q, p.catalog_floor_dense - 0.01, 9.0, "catalog")   # loose embedding
    assert not r.is_relevant(q, 0.95, p.catalog_bm25 - 0.1, "catalog")          # no rare word
    # a name no catalog talk mentions, however strong the match
    assert not r.is_relevant("What did Zorblaxcorp say about Kafka?", 0.95, 9.0, "catalog")
    # the notes' own floor is looser: the same figures pass there
    assert r.is_relevant(q, p.catalog_floor_dense - 0.01, 9.0, "notes")
