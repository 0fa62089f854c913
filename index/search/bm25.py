"""BM25 over chunk texts with bm25s, using our own multilingual terms."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..text import terms


def build_bm25(texts: list[str]) -> Any:
    import bm25s
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    corpus_terms = [terms(t) or [""] for t in texts]
    retriever.index(corpus_terms, show_progress=False)
    return retriever


def bm25_scores(retriever: Any, query: str) -> np.ndarray:
    """BM25 score of every chunk for the query (zeros when no query term is known)."""
    vocab = retriever.vocab_dict
    q = [t for t in dict.fromkeys(terms(query)) if t in vocab]
    n = int(retriever.scores["num_docs"])
    if not q:
        return np.zeros(n, dtype=np.float32)
    return np.asarray(retriever.get_scores(q), dtype=np.float32)


def idf(retriever: Any, term: str) -> float:
    """Inverse document frequency of a term (0 for unknown terms)."""
    tid = retriever.vocab_dict.get(term)
    if tid is None:
        return 0.0
    indptr = retriever.scores["indptr"]
    df = int(indptr[tid + 1] - indptr[tid])
    n = int(retriever.scores["num_docs"])
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def known_share(retriever: Any, query: str) -> float:
    """Share of the query's terms that occur in the corpus (1.0 for a query with no terms)."""
    q = terms(query)
    if not q:
        return 1.0
    vocab = retriever.vocab_dict
    return sum(1 for t in q if t in vocab) / len(q)
