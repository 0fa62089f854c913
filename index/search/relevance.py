"""The relevance floor: when the best matches are too weak to be an answer.

A question is answered from a group of talks ("notes", or "catalog" for talks known only from
the official catalog) when its best dense and BM25 scores are strong enough and the notes know
every name it asks about (one letter off counts: notes have typos)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..models import Talk
from ..text import fold, query_names, terms, words
from .fusion import FusionParams

MIN_FUZZY_NAME = 5     # names this long match a notes word one edit away


class Relevance:
    """Decides whether a group's best scores answer a question; knows each group's words."""

    def __init__(self, params: FusionParams, talks: Sequence[Talk], has_notes: np.ndarray,
                 bm25_of: Callable[[str], Any]) -> None:
        self.params = params
        self.talks = talks
        self.has_notes = has_notes
        self.bm25_of = bm25_of
        self._vocab_cache: dict[str, tuple[Any, set[str]]] = {}
        self._vocab_words: dict[str, list[str]] = {}

    def is_relevant(self, text: str, best_dense: float, best_bm25: float,
                    group: str = "notes") -> bool:
        """The floor: weak embeddings, or a question about names the notes never mention
        and no strong keyword match either."""
        p = self.params
        names = query_names(text)
        if group == "catalog":
            # A one-line title matches generic words easily ("What's a good recipe for
            # lasagna?"): catalog-only talks need close embeddings, a keyword match and no
            # name the catalog does not know.
            return best_dense >= p.catalog_floor_dense and best_bm25 >= p.catalog_bm25 and \
                all(self.known(n, group) for n in names)
        if best_dense < p.floor_dense:
            # Weak embeddings, unless the question names people or companies the notes know
            # and the keywords match strongly ("What did Brandon Philips present?": a name
            # carries little meaning for the embeddings).
            return best_bm25 >= p.strong_bm25 and bool(names) and \
                all(self.known(n, group) for n in names)
        if best_dense >= p.strong_dense or best_bm25 >= p.strong_bm25:
            return True
        # A question about names the notes never mention ("How do I run Apache Kafka with
        # Strimzi?") is not answered by notes that share its generic words.
        return all(self.known(n, group) for n in names)

    def known(self, name: str, group: str) -> bool:
        """The group's talks mention the name, or a word one letter away from it (notes have
        typos: "Deutche Telekom")."""
        vocab, meta = self._vocabulary(group)
        whole = terms(name)
        parts = terms(name.replace("-", " "))
        if (bool(whole) and all(t in vocab for t in whole)) or any(t in vocab for t in parts) \
                or fold(name) in meta:
            return True
        return any(self._near(t, group) for t in parts if len(t) >= MIN_FUZZY_NAME)

    def _near(self, term: str, group: str) -> bool:
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein
        choices = self._vocab_words.get(group)
        if choices is None:
            vocab, meta = self._vocabulary(group)
            choices = self._vocab_words[group] = sorted(
                w for w in set(vocab) | meta if len(w) >= MIN_FUZZY_NAME - 1)
        return process.extractOne(term, choices, scorer=Levenshtein.distance,
                                  score_cutoff=1) is not None

    def _vocabulary(self, group: str) -> tuple[Any, set[str]]:
        """BM25 terms and name words of a group's talks (computed on first use)."""
        if group not in self._vocab_cache:
            vocab = self.bm25_of(group).vocab_dict
            talks = [t for i, t in enumerate(self.talks) if group != "notes" or self.has_notes[i]]
            meta = {fold(w) for t in talks for w in words(" ".join(
                (t.event, t.conference, t.note.city if t.note else "", *t.speakers,
                 *t.companies)))}
            self._vocab_cache[group] = (vocab, meta)
        return self._vocab_cache[group]
