"""Retrieval quality with the real default model on the real corpus (slow: builds the index)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest

from index.search.evaluation import (Question, as_answered, evaluate, first_match, load_questions,
                              metrics)

DEV = Path(__file__).resolve().parents[1] / "eval" / "dev_questions.yaml"


def talks_for(retriever: Any, k: int = 10) -> Callable[[str], list[tuple[str, bool]]]:
    """The (title, has_notes) pairs of the retriever's answer, as evaluate() takes them."""
    return lambda q: [(r.talk.title, r.talk.has_notes) for r in retriever.search(q, k=k).results]


def dev_metrics(retriever: Any) -> dict[str, Any]:
    questions = as_answered(load_questions(DEV), retriever.cites_catalog)
    return metrics(evaluate(questions, talks_for(retriever)))


@pytest.fixture(scope="session")
def real_notes_index_dir(tmp_path_factory, corpus_dir) -> Path:
    """The real corpus without catalog records, indexed with the real default model."""
    from index.build import build_index
    from index.settings import DEFAULT_MODEL
    from index.model.encoders import encoder_for
    from index.settings import load_index_settings
    out = tmp_path_factory.mktemp("real-notes") / "index"
    build_index(corpus_dir, out, encoder_for(load_index_settings(), DEFAULT_MODEL), catalog=False,
                show_progress=False, log=lambda m: None)
    return out


def test_dev_set_composition():
    qs = load_questions(DEV)
    answerable = [q for q in qs if q.expect and not q.catalog]     # answered by notes
    assert len(answerable) >= 40
    assert sum(q.lang in ("da", "fr") for q in answerable) * 3 >= len(answerable)
    danish = re.compile(r"\b(hvad|hvordan|hvorfor|hvilke|sagde|man)\b", re.I)
    french = re.compile(r"\b(qu'est-ce|comment|pourquoi|quels?|quelles?)\b", re.I)
    assert sum(bool(danish.search(q.q)) for q in qs) >= 3
    assert sum(bool(french.search(q.q)) for q in qs) >= 3
    assert sum(bool(re.search(r"\b(year|event|speaker|company):", q.q)) for q in qs) >= 6
    assert any(not q.expect for q in qs)


def test_catalog_only_talks_count_only_for_questions_that_accept_them():
    returned = [("containerd at Scale", False), ("From Docker to containerd", True)]
    assert first_match(returned, ("containerd",)) == 2
    assert first_match(returned, ("containerd",), catalog=True) == 1
    assert first_match(returned[:1], ("containerd",)) is None
    strict, lenient = Question("q", ("containerd",)), Question("q", ("containerd",), catalog=True)
    outcomes = evaluate([strict, lenient], lambda q: returned)
    assert [o.rank for o in outcomes] == [2, 1]
    assert outcomes[0].titles == ("containerd at Scale", "From Docker to containerd")


def test_questions_only_the_catalog_answers_must_be_refused_without_it():
    notes, catalog = Question("n", ("x",)), Question("c", ("y",), catalog=True)
    assert as_answered([notes, catalog], True) == [notes, catalog]
    off = as_answered([notes, catalog], False)
    assert off[0] == notes and off[1].expect == () and off[1].q == "c"
    m = metrics(evaluate(off, lambda q: []))      # nothing cited: the catalog one was refused
    assert (m["questions"], m["unanswerable"], m["unanswerable_refused"]) == (1, 1, 1.0)


def test_questions_file_reads_the_catalog_flag(tmp_path):
    from index.errors import KubeconBotError
    path = tmp_path / "qs.yaml"
    path.write_text('- {q: "a", expect: ["x"], catalog: true}\n- {q: "b", expect: ["y"]}\n')
    assert [q.catalog for q in load_questions(path)] == [True, False]
    path.write_text('- {q: "a", expect: ["x"], catalog: "yes please"}\n')
    with pytest.raises(KubeconBotError, match="item 1's 'catalog'"):
        load_questions(path)


@pytest.mark.parametrize("catalog", [True, False], ids=["with-catalog", "notes-only"])
@pytest.mark.slow
def test_recall_on_dev_questions_with_the_real_model(real_index_dir, catalog, capsys):
    from index.settings import DEFAULT_MODEL
    from index.search.retriever import load_retriever
    retriever = load_retriever(real_index_dir, DEFAULT_MODEL, catalog_results=catalog)
    m = dev_metrics(retriever)
    with capsys.disabled():
        print(f"\ndev set, catalog results {catalog} ({m['questions']} answerable): {m}")
    assert m["recall@1"] >= 0.80
    assert m["recall@5"] >= 0.95
    # Off, the questions only the catalog answers (Strimzi, Salesforce...) must be refused too.
    assert m["unanswerable_refused"] >= 0.6


@pytest.mark.slow
def test_catalog_records_in_the_index_do_not_lower_recall(real_index_dir, real_notes_index_dir,
                                                          capsys):
    """Issue 6: dev-set recall with catalog records in the index (catalog results on, as the
    bot answers) against an index built without them. Only talks with notes count as found,
    so a catalog-only title that happens to contain an expected word is no hit. Near-ties
    between talks (and int8 vectors that vary slightly with their batch) may move one
    question either way, so a drop of at most one question is allowed, no more."""
    from index.settings import DEFAULT_MODEL
    from index.search.retriever import load_retriever
    with_catalog = dev_metrics(load_retriever(real_index_dir, DEFAULT_MODEL))
    without = dev_metrics(load_retriever(real_notes_index_dir, DEFAULT_MODEL))
    with capsys.disabled():
        print(f"\ndev set, hybrid, catalog records in the index: {with_catalog}"
              f"\ndev set, hybrid, index without catalog records: {without}")
    one_question = 1 / with_catalog["questions"]
    for k in ("recall@1", "recall@5"):
        assert with_catalog[k] >= without[k] - one_question - 1e-4, k   # 1e-4: rounding
    for m in (with_catalog, without):
        assert m["recall@1"] >= 0.80 and m["recall@5"] >= 0.95


@pytest.mark.slow
def test_netflix_spinnaker_cites_the_keynote_first(real_retriever):
    answer = real_retriever.search("what did Netflix say about Spinnaker")
    top = answer.results[0]
    assert top.talk.title == "Cloud Native CD: Spinnaker and the Culture Behind the Tech"
    assert top.talk.speakers == ("Dianne Marsh",) and top.talk.companies == ("Netflix",)
    assert "Spinnaker" in top.passages[0].highlight
    assert top.talk.url.startswith("https://galexrt.moe/blog/2017/kubecon-2017-austin/#cloud-native-cd")
    assert top.talk.link("video").startswith("https://www.youtube.com/watch?v=")


@pytest.mark.slow
def test_catalog_only_talks_answer_what_only_the_catalog_knows(real_retriever):
    # Nobody took notes on Strimzi, but the catalog lists a talk: cited, marked as without notes.
    strimzi = real_retriever.search("was there a talk about Strimzi?").results
    assert strimzi and not strimzi[0].talk.has_notes
    assert "Strimzi" in strimzi[0].talk.title and strimzi[0].talk.link("video")
    # A one-line title matching a generic word is not an answer.
    for question in ("Who won the last football World Cup?",
                     "How do I set up the Zorblax 3000 hyperconverged appliance?"):
        assert real_retriever.search(question).results == (), question


@pytest.mark.slow
def test_catalog_results_off_cite_no_catalog_only_talk(real_index_dir):
    from index.settings import DEFAULT_MODEL
    from index.search.retriever import load_retriever
    question = "was there a talk about Strimzi?"
    on = load_retriever(real_index_dir, DEFAULT_MODEL).search(question, k=10).results
    assert any(not r.talk.has_notes for r in on)          # the catalog knows a Strimzi talk
    off = load_retriever(real_index_dir, DEFAULT_MODEL, catalog_results=False)
    assert all(r.talk.has_notes for r in off.search(question, k=10).results)


@pytest.mark.slow
def test_rebuilding_the_real_index_embeds_nothing(real_index_dir, corpus_dir):
    from index.build import build_index
    from index.settings import DEFAULT_MODEL
    from index.model.encoders import encoder_for
    from index.settings import load_index_settings
    report = build_index(corpus_dir, real_index_dir, encoder_for(load_index_settings(), DEFAULT_MODEL),
                         show_progress=False, log=lambda m: None)
    assert report.embedded == 0 and report.reused > report.chunks
