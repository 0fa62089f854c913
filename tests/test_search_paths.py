"""The faster search paths of issue 17 give what the plain ones gave: vector searches started
in threads, groups as ranges of rows, talk listings as arrays, the cut and the relevance floor
applied early, and the question read while it is encoded."""

from __future__ import annotations

import random
import re
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

from index.models import Filters
from index.search.dense import DenseIndex, top_rows
from index.search.fusion import FusionParams, Ranked, rank_talks
from index.search.listing import Listing
from index.search.retriever import Retriever, load_retriever
from index.search.scope import Scope, _grouped
from index.text import fold, sentences, terms
from tests.encoders import FakeEncoder
from tests.test_dense import clustered_vectors, unit_vectors
from tests.test_index_opened import random_candidates

QUESTIONS = ["what did Netflix say about Spinnaker", "Hvordan bruger Spotify Backstage?",
             "year:2019 service mesh", "Which talks from KubeCon 2019 do we have notes on?",
             "What did Brandon Philips present?", "lasagna recipe", "company:google gVisor",
             "speaker:\"Kelsey Hightower\"", "Comment Amadeus évite-t-il les pannes ?"]


# -- vectors ----------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [3_000, 30_000])       # exact in memory; quantised (IVF)
def test_a_range_of_rows_searches_as_those_rows_do(n: int) -> None:
    dense = DenseIndex.build(clustered_vectors(n) if n > 20_000 else unit_vectors(n))
    for seed in range(3):
        q = unit_vectors(1, seed=100 + seed)[0]
        for rows in (range(0, n // 2), range(n // 3, n), range(10, n - 7)):
            by_range = dense.search(q, 25, rows)
            by_array = dense.search(q, 25, np.arange(rows.start, rows.stop))
            assert np.array_equal(by_range[0], by_array[0])
            assert np.allclose(by_range[1], by_array[1])
            assert all(rows.start <= r < rows.stop for r in by_range[0].tolist())
        assert np.array_equal(dense.search(q, 25, range(0, n))[0], dense.search(q, 25)[0])


@pytest.mark.parametrize("n", [3_000, 30_000])
def test_a_search_started_in_a_thread_gives_what_it_would_have(n: int) -> None:
    dense = DenseIndex.build(clustered_vectors(n) if n > 20_000 else unit_vectors(n))
    plain = DenseIndex(dense.vectors, dense.index)
    q = unit_vectors(1, seed=7)[0]
    with ThreadPoolExecutor(2) as pool:
        dense.start(q, pool, 40)
        dense.start(q, pool, 30, range(0, n // 2))
        for k, rows in ((40, None), (30, range(0, n // 2)), (12, None)):
            got, want = dense.search(q, k, rows), plain.search(q, k, rows)
            assert np.array_equal(got[0], want[0]) and np.allclose(got[1], want[1])
        other = unit_vectors(1, seed=8)[0]         # another question: nothing started for it
        assert np.array_equal(dense.search(other, 40)[0], plain.search(other, 40)[0])
        assert np.allclose(dense.scores(other, np.arange(5)), plain.vectors[:5] @ other)


def test_a_broad_filter_whose_nearest_rows_it_leaves_out_still_finds_its_rows() -> None:
    vectors = clustered_vectors(30_000)
    dense = DenseIndex.build(vectors)
    q = vectors[0]
    near = set(dense.search(q, 2_000)[0].tolist())      # the rows nearest the question ...
    allowed = np.array(sorted(set(range(30_000)) - near))   # ... are the ones left out
    rows, sims = dense.search(q, 30, allowed)
    assert len(rows) == 30 and not set(rows.tolist()) & near
    assert np.allclose(sims, vectors[rows] @ q, atol=1e-5)
    assert np.all(np.diff(sims) <= 1e-6)


def test_the_best_rows_are_sorted_with_ties_by_lower_row() -> None:
    rows = np.array([9, 3, 7, 1, 5])
    sims = np.array([0.5, 0.9, 0.5, 0.1, 0.9], dtype=np.float32)
    got, values = top_rows(rows, sims, 4)
    assert got.tolist() == [3, 5, 7, 9] and values.tolist() == pytest.approx([.9, .9, .5, .5])
    assert top_rows(rows, sims, 0)[0].tolist() == []


# -- ranking ----------------------------------------------------------------------------------
def cut(ranked: list[Ranked], is_talk: np.ndarray, share: float) -> list[Ranked]:
    """Retriever._cut, as it was applied after ranking every candidate."""
    if not ranked:
        return ranked
    best = next((r.score for r in ranked if is_talk[r.talk]), ranked[0].score)
    return [r for r in ranked if r.score >= share * best]


@pytest.mark.parametrize("seed", range(20))
def test_the_cut_made_while_ranking_equals_the_cut_after_it(seed: int) -> None:
    rng = np.random.default_rng(seed)
    chunk_talk, rows, fused, weights = random_candidates(rng)
    is_talk = rng.random(40) < 0.8
    full = rank_talks(rows, fused, chunk_talk, None, weights)
    assert rank_talks(rows, fused, chunk_talk, None, weights, 0.5, is_talk) == \
        cut(full, is_talk, 0.5)


def test_a_listing_reads_as_the_list_of_talks_it_stands_for() -> None:
    talks, first = np.array([5, 2, 9, 4, 7]), np.array([50, 20, 90, 40, 70])
    head = [Ranked(9, 0.8, (91, 90)), Ranked(3, 0.5, (30,))]
    listing = Listing(talks, first, head)
    plain = head + [Ranked(int(t), 1.0, (int(r),)) for t, r in zip(talks, first) if t != 9]
    assert len(listing) == len(plain) and list(listing) == plain
    assert [listing[i] for i in range(-len(plain), len(plain))] == plain + plain
    assert listing[1:4] == plain[1:4] and listing[4:100] == plain[4:]
    assert listing.talk_ids().tolist() == [r.talk for r in plain]
    with pytest.raises(IndexError):
        listing[len(plain)]


def test_an_index_keeps_each_group_s_chunks_together_and_a_shuffled_one_is_seen(
        fake_catalog_index: Path) -> None:
    from index.search.store import load_index
    stored = load_index(fake_catalog_index)
    scope = Scope(stored, FusionParams())
    assert scope.grouped
    for group, (start, end) in scope.group_rows().items():
        mask = scope.allowed_talks(Filters(), group)[scope.chunk_talk]
        assert np.flatnonzero(mask).tolist() == list(range(start, end))
        rows = scope.group_chunks(group, Filters())
        assert rows is None or list(rows) == list(range(start, end))
    shuffled = np.random.default_rng(0).permutation(scope.chunk_talk)
    assert not _grouped(shuffled, stored.columns.group, scope.group_rows())


# -- the whole search -------------------------------------------------------------------------
class Prepared(FakeEncoder):
    """The fake encoder with onnx-int8's two-step query (tokenize now, run later); `gate` is
    waited for by the run, so that a test can hold the encode while the reading runs."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        super().__init__()
        self.gate = gate
        self.ran_in: list[str] = []

    def prepared_query(self, text: str) -> Callable[[], np.ndarray]:
        def run() -> np.ndarray:
            if self.gate is not None:
                assert self.gate.wait(10)
            self.ran_in.append(threading.current_thread().name)
            return self.embed_query(text)
        return run


def answers(r: Retriever, questions: list[str]) -> list[Any]:
    return [(a.total, a.has_more, [(x.talk.id, round(x.score, 6),
                                     [(p.text, p.highlight) for p in x.passages])
                                    for x in a.results], repr(a.overview))
            for a in (r.search(q, k=4) for q in questions)]


def test_reading_a_question_while_it_is_encoded_answers_as_reading_it_first(
        fake_catalog_index: Path) -> None:
    plain = load_retriever(fake_catalog_index, "fake-encoder", encoder=FakeEncoder())
    overlapped = load_retriever(fake_catalog_index, "fake-encoder", encoder=Prepared())
    assert answers(overlapped, QUESTIONS) == answers(plain, QUESTIONS)
    assert overlapped.encoder.ran_in and set(overlapped.encoder.ran_in) == {"MainThread"}


def test_the_question_is_read_in_a_thread_while_the_encoder_runs(
        fake_catalog_index: Path) -> None:
    """The run waits for a gate that only the reading thread opens: the search completes only
    if the two overlap."""
    gate = threading.Event()
    r = load_retriever(fake_catalog_index, "fake-encoder", encoder=Prepared(gate))
    scope_lexical = r.scope.lexical

    def lexical(*args: Any, **kwargs: Any) -> Any:
        gate.set()                  # reached only by the reading, while the run waits
        return scope_lexical(*args, **kwargs)
    r.scope.lexical = lexical  # type: ignore[method-assign]
    assert r.search("what did Netflix say about Spinnaker").results


def test_an_error_in_the_reading_thread_reaches_the_caller(fake_catalog_index: Path) -> None:
    r = load_retriever(fake_catalog_index, "fake-encoder", encoder=Prepared())

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the reading failed")
    r.scope.lexical = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="the reading failed"):
        r.search("what did Netflix say about Spinnaker")


# -- text -------------------------------------------------------------------------------------
OLD_SENTENCE_RE = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"”»)]))\s+(?=[\"“«(]?[A-ZÀ-ÞÆØÅ0-9])")


def old_sentences(text: str) -> list[str]:
    out: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if line:
            out.extend(s.strip() for s in OLD_SENTENCE_RE.split(line) if s.strip())
    return out


def random_text(rng: random.Random) -> str:
    pieces = ["Kubernetes", "é", "Ærø", "naïve", " ", "  ", "\n", ". ", "! ", "? ", "… ",
              '." ', "”) ", "U.S.", "e.g.", "A", "b", "7", "(C", "«D", "—", "’s", "\t",
              "ﬁ", "Łódź", "東京", "İ", "x.y", "'q'"]
    return "".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))


def test_sentences_terms_and_fold_are_unchanged_by_their_faster_forms() -> None:
    rng = random.Random(0)
    for _ in range(3_000):
        text = random_text(rng)
        assert sentences(text) == old_sentences(text), text
        assert fold(text) == "".join(
            ch for ch in unicodedata.normalize("NFKD", text.lower())
            if not unicodedata.combining(ch)), text
    import Stemmer
    stem = Stemmer.Stemmer("english").stemWord
    from index.text import STOPWORDS, words
    for _ in range(1_000):
        text = random_text(rng)
        want = [stem(w.strip("'’.-+") or w) for w in words(fold(text))
                if (w.strip("'’.-+") or w) not in STOPWORDS
                and not (len(w.strip("'’.-+") or w) < 2 and not (w.strip("'’.-+") or w).isdigit())]
        assert terms(text) == want, text


def test_filters_read_from_the_words_scale_scores_among_the_whole_group(
        fake_index: Path) -> None:
    """Talks a name in the question implies are scored on their group's scale, also when the
    group is every row of the index (it was the implied talks' own scale there)."""
    from index.search.store import load_index
    scope = Scope(load_index(fake_index), FusionParams())
    implied = np.zeros(len(scope.groups), dtype=bool)
    implied[:3] = True
    for group in ("", "notes"):
        lex = scope.lexical("kubernetes", Filters(), group, implied)
        everything = scope.allowed_talks(Filters(), group)
        assert lex.allowed_talks.sum() < everything.sum()
        assert np.array_equal(lex.scale_talks, everything)
        rows = scope.group_chunks(group, Filters())
        want = range(0, len(scope.chunk_talk)) if rows is None else rows
        assert lex.scale is not None and list(lex.scale) == list(want)


def test_rows_sharing_another_index_s_vectors_read_its_cosines() -> None:
    chunks = unit_vectors(500)
    headers = unit_vectors(300, seed=5)
    rows = np.full(300, -1)
    rows[100:] = np.arange(300, 500)                 # headers 100.. are chunks 300..
    headers[100:] = chunks[300:]
    shared, plain = DenseIndex.build(headers, scan_limit=10_000), DenseIndex(headers.copy())
    chunk_index = DenseIndex.build(chunks)
    shared.share_rows(chunk_index, rows)
    for seed in range(3):
        q = unit_vectors(1, seed=40 + seed)[0]
        assert np.allclose(shared.scores(q), plain.scores(q), atol=1e-6)
        assert np.array_equal(shared.search(q, 20)[0], plain.search(q, 20)[0])
        assert np.array_equal(shared.scores(q)[100:], chunk_index.scores(q)[300:])


def test_the_retriever_shares_a_catalog_talk_s_header_vector_with_its_chunk(
        fake_catalog_index: Path) -> None:
    r = load_retriever(fake_catalog_index, "fake-encoder", encoder=FakeEncoder())
    shared = r.stored.talk_dense._shared
    assert shared is not None
    catalog_talks = np.flatnonzero(~r._has_notes)
    assert set(catalog_talks.tolist()) <= set(shared[3].tolist())
    q = r.encoder.embed_query("service mesh at scale")
    assert np.allclose(r.stored.talk_dense.scores(q), np.asarray(r.stored.talk_dense.vectors) @ q,
                       atol=1e-6)


def test_cosines_asked_for_a_prefix_of_the_rows_extend_to_the_rest() -> None:
    vectors = unit_vectors(700)
    dense = DenseIndex(vectors)
    q = unit_vectors(1, seed=3)[0]
    want = vectors @ q
    assert np.allclose(dense.prefix(q, 100), want[:100], atol=1e-6)
    assert np.allclose(dense.scores(q, np.array([5, 650, 99])), want[[5, 650, 99]], atol=1e-6)
    assert np.allclose(dense.scores(q), want, atol=1e-6)
    other = unit_vectors(1, seed=4)[0]
    assert np.allclose(dense.prefix(other, 50), (vectors @ other)[:50], atol=1e-6)
    assert np.array_equal(dense.search(q, 10, range(0, 200))[0],
                          np.argsort(-want[:200], kind="stable")[:10])
