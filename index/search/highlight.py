"""Picking the sentence of a passage that best answers the question."""

from __future__ import annotations

from typing import Callable

from ..text import sentences, terms


def best_sentence(text: str, query: str, idf: Callable[[str], float]) -> str:
    """The sentence sharing the most (IDF-weighted) terms with the query; "" if none shares any."""
    q = set(terms(query))
    if not q:
        return ""
    best, best_score = "", 0.0
    for sent in sentences(text):
        found = set(terms(sent)) & q
        if not found:
            continue
        score = sum(max(idf(t), 0.1) for t in found)
        # Prefer sentences that say something over bare list items or fragments.
        if len(sent) < 25:
            score *= 0.6
        if score > best_score:
            best, best_score = sent, score
    return best
