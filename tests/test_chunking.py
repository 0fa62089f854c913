"""Talk-aware chunks of about 300 tokens: nothing lost, nothing crosses a talk, nothing truncated."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from index.notes.chunking import TARGET_TOKENS, chunk_talks, split_text, talk_header, talk_text
from index.notes.corpus import read_corpus
from index.text import estimate_tokens

ROOT = Path(__file__).resolve().parents[1]


def words_of(pieces: list[str]) -> list[str]:
    return " ".join(pieces).split()


def test_sentences_are_packed_up_to_the_target_and_none_is_lost():
    sentence = "Operators reconcile the desired state of every custom resource in a loop."
    text = "\n\n".join(" ".join(f"{sentence[:-1]} number {i}." for i in range(p, p + 7))
                       for p in range(0, 140, 7))
    pieces = split_text(text, target=100)
    assert words_of(pieces) == text.split()                  # every word, in order
    assert all(estimate_tokens(p) <= 100 for p in pieces)
    assert all(estimate_tokens(p) >= 50 for p in pieces[:-1])   # packed, not one per sentence
    assert all(p.endswith(".") for p in pieces)              # cut between sentences


def test_a_huge_sentence_is_cut_by_words():
    text = " ".join(f"word{i}" for i in range(900))       # no full stop anywhere
    pieces = split_text(text, target=100)
    assert words_of(pieces) == text.split()
    assert len(pieces) > 1 and all(estimate_tokens(p) <= 130 for p in pieces)


def test_a_tiny_tail_joins_the_piece_before_it():
    long = " ".join(["Alpha beta gamma delta epsilon zeta eta theta."] * 12)
    pieces = split_text(f"{long}\n\nShort end.", target=100)
    assert pieces[-1].endswith("Short end.") and not pieces[-1].startswith("Short end.")


@pytest.fixture(scope="module")
def real_talks():
    corpus = read_corpus(ROOT / "corpus")
    return [t for n in corpus.notes for t in n.talks]


def test_real_chunks_start_with_their_talk_and_never_cross_talks(real_talks):
    chunks = chunk_talks(real_talks)
    assert [c.id for c in chunks] == list(range(len(chunks)))
    by_id = {t.id: t for t in real_talks}
    seen: list[str] = []
    for c in chunks:
        assert c.header == talk_header(by_id[c.talk_id])
        assert c.full_text.startswith(by_id[c.talk_id].title)
        if not seen or seen[-1] != c.talk_id:
            seen.append(c.talk_id)
    assert seen == [t.id for t in real_talks]                # each talk's chunks together, in order
    for talk in real_talks:              # every word of the talk's text, once, in order
        assert words_of([c.text for c in chunks if c.talk_id == talk.id]) == \
            talk_text(talk).split()


@pytest.mark.slow
def test_real_chunks_are_about_300_model_tokens_and_none_is_truncated(real_talks):
    """Counted with the default model's own tokenizer, as embedded (with the passage prompt):
    nothing reaches the model's 512-token limit, where the rest would be cut off unseen."""
    from tokenizers import Tokenizer

    from index.settings import DEFAULT_MODEL
    from index.model.cache import resolve_model
    from index.settings import load_index_settings
    folder = resolve_model(DEFAULT_MODEL, load_index_settings().model_cache)
    tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
    chunks = chunk_talks(real_talks)
    lengths = [len(tokenizer.encode("passage: " + c.full_text).ids) for c in chunks]
    assert max(lengths) < 512
    several = {c.talk_id for c in chunks} - {t.id for t in real_talks
                                              if sum(c.talk_id == t.id for c in chunks) == 1}
    full = [n for c, n in zip(chunks, lengths) if c.talk_id in several]
    assert 0.75 * TARGET_TOKENS <= statistics.median(full) <= 1.25 * TARGET_TOKENS


def test_sentences_keep_their_closing_quotes_and_brackets():
    from index.text import sentences
    text = 'He asked "Why Kubernetes?" Then he left. (Really.) Yes! «Non.» Oui 2.0 works.'
    assert sentences(text) == ['He asked "Why Kubernetes?"', "Then he left.", "(Really.)",
                               "Yes!", "«Non.»", "Oui 2.0 works."]
