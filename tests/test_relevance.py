"""The relevance floor (index/search/relevance.py): a margin over the question's own cosines with
notes in the same language, lowered by lexical support; names the notes never mention.

The unit tests build a tiny world by hand: a question vector (1, 0) and chunk vectors
(c, sqrt(1 - c^2)), so that each chunk's cosine is the number written in the test."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from index.models import NoteMeta, Talk
from index.search.dense import DenseIndex
from index.search.fusion import FusionParams, Ranked
from index.search.columns import name_words, talk_languages
from index.search.groups import ORDER, talk_group
from index.search.relevance import (MIN_LANG_CHUNKS, Evidence, Relevance, needed_margin,
                                    top_talks)

P = FusionParams()
QVEC = np.array([1.0, 0.0], dtype=np.float32)
# Talks 0-3 have English notes (rows 0-7), talks 4-5 French notes (rows 8-15), talks 6-9 are
# known only from the catalog (rows 16-19).
CHUNK_TALK = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 7, 8, 9], dtype=np.int64)
EN, FR = range(0, 8), range(8, 16)


class Vocabulary:
    """What Relevance reads of a BM25 index: its terms."""

    def __init__(self, *words: str) -> None:
        self.vocab_dict = {w: i for i, w in enumerate(words)}


def talk(i: int, lang: str | None) -> Talk:
    note = NoteMeta(f"{lang}.md", "notes", "someone", "", "KubeCon", "kubecon-eu-2018",
                    "Copenhagen", 2018, "2018-05", lang) if lang else None
    return Talk(id=f"t{i}", title=f"Talk {i}", speakers=("Aparna Sinha",), companies=("Google",),
                kind="talk", event="kubecon-eu-2018", conference="KubeCon", year=2018,
                note=note, has_notes=lang is not None)


TALKS = [talk(i, "en") for i in range(4)] + [talk(i, "fr") for i in (4, 5)] + \
    [talk(i, None) for i in (6, 7, 8, 9)]
GROUPS = np.array([talk_group(t) for t in TALKS])


def world(cosines: dict[range | int, float], bm25: dict[int, float] | None = None,
          vocab: Vocabulary | None = None, params: FusionParams = P,
          chunk_talk: np.ndarray = CHUNK_TALK) -> Relevance:
    """A Relevance over chunks with the given cosines (by row or range of rows) and BM25 scores
    (by row; 0 elsewhere)."""
    cos = np.zeros(len(chunk_talk), dtype=np.float32)
    for rows, c in cosines.items():
        cos[rows if isinstance(rows, int) else list(rows)] = c
    vectors = np.stack([cos, np.sqrt(1 - cos ** 2)], axis=1).astype(np.float32)
    scores = np.zeros(len(chunk_talk), dtype=np.float32)
    for row, s in (bm25 or {}).items():
        scores[row] = s
    vocab = vocab or Vocabulary()
    names = {g: name_words([t for t, tg in zip(TALKS, GROUPS) if tg == g]) for g in ORDER}
    return Relevance(params, GROUPS, lambda group: vocab, DenseIndex(vectors),
                     chunk_talk, lambda text, group: scores, talk_languages(TALKS), names)


def found(group: str = "notes", chunk_talk: np.ndarray = CHUNK_TALK) -> list[Ranked]:
    """Every talk of a group as a candidate, with all its chunk rows."""
    talks = [t for t in range(len(TALKS)) if GROUPS[t] == group]
    return [Ranked(t, 1.0, tuple(np.flatnonzero(chunk_talk == t).tolist())) for t in talks]


# -- the pieces ------------------------------------------------------------------------------
def test_the_margin_needed_falls_with_lexical_support() -> None:
    p = replace(P, floor_margin=0.06, lexical_credit=0.04)
    assert needed_margin(p, 0.0) == pytest.approx(0.06)
    assert needed_margin(p, 0.5) == pytest.approx(0.04)
    assert needed_margin(p, 1.0) == pytest.approx(0.02)
    assert needed_margin(p, 3.0) == pytest.approx(0.02)      # support is at most full


def test_lexical_support_is_full_when_the_retrievers_agree() -> None:
    assert Evidence(0.03, 0.25, agree=False).lexical == 0.25
    assert Evidence(0.03, 0.25, agree=True).lexical == 1.0


def test_top_talks_are_distinct_and_leave_out_rows_at_the_floor() -> None:
    rows = np.array([0, 1, 8, 16])
    scores = np.array([0.9, 0.8, 0.7, 0.0])
    assert top_talks(rows, scores, CHUNK_TALK) == [0, 4, 6]          # rows 0 and 1: one talk
    assert top_talks(rows, scores, CHUNK_TALK, k=1) == [0]
    assert top_talks(rows, scores, CHUNK_TALK, floor=0.0) == [0, 4]  # BM25 0: no match


# -- the margin -------------------------------------------------------------------------------
def test_a_chunk_standing_out_in_its_own_language_answers_across_languages() -> None:
    # English chunks all at 0.85 (the question's language: high but flat), French ones at 0.72
    # but one at 0.79: below the old absolute floor (0.79 > 0.79 is false) and below every
    # English chunk, yet 0.07 above the French median. No word of the question is known.
    r = world({EN: 0.85, FR: 0.72, 8: 0.79})
    text = "quelque chose d'introuvable"
    evidence = r.evidence(text, QVEC, found())
    assert evidence.margin == pytest.approx(0.07, abs=1e-5)
    assert evidence.known_share == 0.0 and not evidence.agree
    assert r.is_relevant(text, 0.85, 0.0, "notes", QVEC, found())
    assert not r.is_relevant(text, 0.79 - 1e-4, 0.0, "notes")     # the absolute floor refused


def test_a_flat_top_is_refused_however_high_its_cosines() -> None:
    # Everything at 0.85 or 0.72: nothing stands out (a lasagna recipe), though the best
    # cosine is above the old absolute floor, which answered it.
    r = world({EN: 0.85, FR: 0.72, 9: 0.73})
    text = "lasagna recipe"
    assert r.evidence(text, QVEC, found()).margin == pytest.approx(0.01, abs=1e-5)
    assert not r.is_relevant(text, 0.85, 0.0, "notes", QVEC, found())
    assert r.is_relevant(text, 0.85, 0.0, "notes")                  # the absolute floor did


def test_a_language_with_few_chunks_is_measured_against_the_whole_group() -> None:
    # Only two French chunks (rows 14-15): their reference is the median of all 16 notes
    # chunks, 0.80 (fourteen English at 0.80, French at 0.86 and 0.70), not their own 0.78.
    few = np.array([0, 0, 1, 1, 2, 2, 3, 3, 0, 0, 1, 1, 2, 2, 4, 5, 6, 7, 8, 9], dtype=np.int64)
    assert 2 < MIN_LANG_CHUNKS
    r = world({range(0, 14): 0.80, 14: 0.86, 15: 0.70}, chunk_talk=few)
    assert r.reference(QVEC, "notes", "fr") == pytest.approx(0.80, abs=1e-6)
    assert r.evidence("x", QVEC, found(chunk_talk=few)).margin == pytest.approx(0.06, abs=1e-5)


# -- lexical support ----------------------------------------------------------------------------
def test_known_words_or_agreeing_retrievers_lower_the_margin_needed() -> None:
    cos = {EN: 0.85, FR: 0.72, 8: 0.75}                  # margin 0.03: below 0.06, above 0.02
    text = "gvisor sandbox"
    assert not world(cos).is_relevant(text, 0.85, 0.0, "notes", QVEC, found())
    # the notes know both words: needed 0.06 - 0.04 = 0.02
    known = world(cos, vocab=Vocabulary("gvisor", "sandbox"))
    assert known.evidence(text, QVEC, found()).known_share == 1.0
    assert known.is_relevant(text, 0.85, 0.0, "notes", QVEC, found())
    # half of them: needed 0.04
    assert not world(cos, vocab=Vocabulary("gvisor")).is_relevant(text, 0.85, 0.0, "notes",
                                                                  QVEC, found())
    # no known word, but BM25's best talk (4, row 9) is the dense one by margin (row 8)
    agree = world(cos, bm25={9: 2.0})
    assert agree.evidence(text, QVEC, found()).agree
    assert agree.is_relevant(text, 0.85, 2.0, "notes", QVEC, found())
    # BM25 only on a talk the embeddings do not rank in their top 3 (talks 4, 0, 1: ties keep
    # row order): no agreement
    assert not world(cos, bm25={12: 2.0}).evidence(text, QVEC, found()).agree


# -- names -------------------------------------------------------------------------------------
@pytest.mark.parametrize("margin, bm25, unknown, known", [
    (0.05, 1.0, False, True),           # enough margin (0.02 needed): known names only
    (P.strong_margin, 1.0, True, True),  # a strong margin overrides unknown names
    (0.05, P.strong_bm25, True, True),  # so does a strong keyword match
    (0.01, P.strong_bm25, False, True),  # below the floor: known names matched strongly only
    (0.01, 1.0, False, False),          # below the floor, weak keywords: nothing
])
def test_names_decide_with_the_keywords(margin, bm25, unknown, known) -> None:
    r = world({EN: 0.8}, vocab=Vocabulary("apach", "run"))
    evidence = Evidence(margin, known_share=1.0, agree=False)
    # "Kafka" and "Strimzi" are unknown; "Apache" is a term, "Aparna Sinha" a speaker
    assert r.decide(evidence, "How do I run Apache Kafka with Strimzi?", bm25) is unknown
    assert r.decide(evidence, "How do I run Apache with Aparna Sinha?", bm25) is known
    # no name at all: the margin alone
    assert r.decide(evidence, "how do i run this", bm25) is (margin >= 0.02)


# -- the catalog and the absolute floor ----------------------------------------------------------
def test_catalog_titles_need_the_close_embedding_and_the_keyword_on_a_same_talk() -> None:
    cos = {EN: 0.8, FR: 0.8, 16: 0.90, 17: 0.70, 18: 0.72, 19: 0.74}   # dense: talks 6, 9, 8
    text = "kafka strimzi"
    vocab = Vocabulary("kafka", "strimzi")
    dense, bm25 = P.catalog_floor_dense + 0.05, P.catalog_bm25 + 1
    same = world(cos, bm25={16: bm25}, vocab=vocab)          # talk 6 is first by both
    assert same.is_relevant(text, dense, bm25, "catalog", QVEC, found("catalog"))
    apart = world(cos, bm25={17: bm25}, vocab=vocab)         # keywords on talk 7 only
    assert not apart.evidence(text, QVEC, found("catalog")).agree
    assert not apart.is_relevant(text, dense, bm25, "catalog", QVEC, found("catalog"))
    # with the best scores alone, the two are not compared (the previous rule)
    assert apart.is_relevant(text, dense, bm25, "catalog")


def test_uncalibrated_cosines_or_no_vector_fall_back_to_the_best_scores() -> None:
    flat = {EN: 0.85, FR: 0.72}                                        # margin 0
    assert not world(flat).is_relevant("x", 0.85, 0.0, "notes", QVEC, found())
    off = world(flat, params=replace(P, floor_dense=0.0))            # the tests' fake encoder
    assert off.is_relevant("x", 0.85, 0.0, "notes", QVEC, found())
    assert world(flat).is_relevant("x", 0.85, 0.0, "notes", None, found())
    assert not world(flat).is_relevant("x", P.floor_dense - 0.01, 0.0, "notes")


def test_the_retriever_gives_the_floor_its_vector_and_candidates(fake_index, monkeypatch) -> None:
    from encoders import FakeEncoder
    from index.search.retriever import load_retriever
    seen: list[Evidence] = []
    decide = Relevance.decide

    def spy(self, evidence, text, best_bm25, group="notes"):
        if group == "notes":             # the notes' own text is a group of its own
            seen.append(evidence)
        return decide(self, evidence, text, best_bm25, group)

    monkeypatch.setattr(Relevance, "decide", spy)
    r = load_retriever(fake_index, "fake-encoder", encoder=FakeEncoder(), params=P)
    r.search("What did Netflix say about Spinnaker?")
    assert len(seen) == 1 and isinstance(seen[0], Evidence)
    assert seen[0].known_share == 1.0


# -- the real model ------------------------------------------------------------------------------
ANSWERED = [  # eval/crosslang_questions.yaml: English about French or Danish notes, and back
    ("How did DigitalOcean give every pod a globally reachable IP address?",
     "Global Container Networks"),
    ("What did the head of the Cloud Foundry Foundation talk about?", "Cloud Native Future"),
    ("How does the Rust borrow checker work?", "Borrow Checker"),
    ("How can a Rust operator check its state transitions at compile time?", "State Machines"),
    ("Comment accélérer le téléchargement des images de conteneurs avec eStargz ?",
     "Faster Container Image Distribution"),
    ("Hvordan kører man Kubernetes på en Raspberry Pi i edge-miljøer?", "K3s on Raspberry Pi"),
]
REFUSED = ["What's a good recipe for lasagna?", "Quelle est la meilleure recette de ratatouille ?",
           "Who won the Tour de France in 2019?", "What is the capital of Australia?",
           "Who painted the Mona Lisa?", "How do I fix a flat bicycle tire?"]


@pytest.mark.slow
def test_real_model_answers_across_languages_and_refuses_cooking(real_index_dir) -> None:
    from index.search.retriever import load_retriever
    from index.settings import DEFAULT_MODEL
    r = load_retriever(real_index_dir, DEFAULT_MODEL)
    for question, expected in ANSWERED:
        titles = [x.talk.title for x in r.search(question, k=3).results if x.talk.has_notes]
        assert any(expected.lower() in t.lower() for t in titles), (question, titles)
    for question in REFUSED:
        answer = r.search(question)
        assert answer.results == (), (question, [x.talk.title for x in answer.results])
