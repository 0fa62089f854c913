"""The relevance floor: when the best matches are too weak to be an answer.

The embeddings (multilingual-e5-small) put every cosine between 0.7 and 0.9, each question at its
own height, and pairs in two languages lower than pairs in one: an absolute cosine floor refuses
an English question about French notes and lets a lasagna recipe through. So the floor measures
how far the best chunk stands out from the question's *own* cosines with the notes written in
the same language as that chunk (their median): the margin. Off-topic questions have a flat top.

The notes answer a question when that margin reaches `floor_margin`, lowered by up to
`lexical_credit` by lexical support: the share of the question's words the notes know ("recipe",
"lasagna", "basketball" are unknown), or full support when the dense and the BM25 retrievers put a
same talk among their top ones (a French question about English notes shares few words with them,
but the two retrievers still agree). Names the notes never mention refuse it unless the match is
strong (one letter off counts as known: notes have typos); names they know, matched strongly by
BM25, answer it with less margin (a name means little to the embeddings). Talks known only from
the official catalog (a title each) need a close embedding and a rare word, on a same talk.

Without the question's vector and candidates (callers holding only the best scores), the floor
is the absolute one: `floor_dense`, `strong_dense`; `floor_dense` 0 turns dense floors off (for
encoders whose cosines mean nothing, as the tests' fake one). scripts/tune_floor.py measures it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from ..text import fold, query_names, terms
from .bm25 import known_share
from .fusion import FusionParams, Ranked

MIN_FUZZY_NAME = 5     # names this long match a notes word one edit away
AGREE_TALKS = 3        # retrievers agree when their top talks (as many as an answer shows) overlap
LANG_SAMPLE = 512      # the median cosine of a language is taken over at most this many chunks
MIN_LANG_CHUNKS = 8    # a language with fewer chunks in a group is measured against the whole group
KNOWN_MEMO = 4096      # names remembered as known or not (per group), then forgotten at once


@dataclass(frozen=True)
class Evidence:
    """What a question's candidates in one group show, beyond their best scores."""

    margin: float        # best cosine minus the median cosine of the group's text in its language
    known_share: float   # share of the question's terms the group's BM25 vocabulary knows
    agree: bool          # the dense and the BM25 top talks overlap

    @property
    def lexical(self) -> float:
        """Lexical support in [0, 1]: full when the two retrievers agree, else the known share."""
        return 1.0 if self.agree else self.known_share


def needed_margin(params: FusionParams, lexical: float) -> float:
    """The margin a question needs: `floor_margin`, less `lexical_credit` at full support."""
    return params.floor_margin - params.lexical_credit * min(max(lexical, 0.0), 1.0)


def top_talks(rows: np.ndarray, scores: np.ndarray, chunk_talk: np.ndarray,
              k: int = AGREE_TALKS, floor: float = -np.inf) -> list[int]:
    """The first k distinct talks of the chunk rows by score (rows at `floor` or below left
    out)."""
    order = np.argsort(-scores, kind="stable")
    order = order[scores[order] > floor]
    out: list[int] = []
    # The first few rows hold the k talks (a question's best chunks are of a few talks).
    for talk in chunk_talk[np.asarray(rows)[order]].tolist():
        if talk not in out:
            out.append(talk)
            if len(out) == k:
                break
    return out


def median(values: np.ndarray) -> float:
    """np.median of a 1-D array, without its generic machinery (a question takes a few)."""
    n = len(values)
    if n == 0:
        return float("nan")
    middle = np.partition(values, [(n - 1) // 2, n // 2])
    return float((middle[(n - 1) // 2] + middle[n // 2]) / 2)


class Relevance:
    """Decides whether a group's candidates answer a question; knows each group's words."""

    def __init__(self, params: FusionParams, groups: np.ndarray, bm25_of: Callable[[str], Any],
                 dense: Any = None, chunk_talk: np.ndarray | None = None,
                 bm25_rows: Callable[[str, str], np.ndarray] | None = None,
                 languages: np.ndarray | None = None,
                 names: Mapping[str, Iterable[str]] | None = None) -> None:
        """`dense` (a DenseIndex), `chunk_talk` (each chunk row's talk) and `bm25_rows` (BM25
        scores of every chunk row for a text and a group) give the relative floor its evidence;
        `languages` is each talk's notes' language (`columns.talk_languages`) and `names` the
        name words of each group's talks (`columns.name_words`)."""
        self.params = params
        self.groups = groups            # each talk's group: notes, texts or catalog
        self.languages = languages if languages is not None else np.full(len(groups), "")
        self.names = {g: frozenset(ws) for g, ws in (names or {}).items()}
        self.bm25_of = bm25_of
        self.dense = dense
        self.chunk_talk = chunk_talk
        self.bm25_rows = bm25_rows
        self._vocab_cache: dict[str, tuple[Any, set[str]]] = {}
        self._vocab_words: dict[str, list[str]] = {}
        self._samples: dict[tuple[str, str], np.ndarray] = {}
        self._sample_vectors: dict[tuple[str, str], np.ndarray] = {}
        self._lang: np.ndarray | None = None         # distinct languages
        self._chunk_lang: np.ndarray | None = None   # each chunk row's, a number into _lang
        self._known: dict[tuple[str, str], bool] = {}
        self._shares: tuple[str, dict[str, float]] = ("", {})
        self._references: tuple[bytes, dict[tuple[str, str], float]] = (b"", {})

    def is_relevant(self, text: str, best_dense: float, best_bm25: float, group: str = "notes",
                    qvec: np.ndarray | None = None, found: Sequence[Ranked] = (),
                    rows: np.ndarray | None = None) -> bool:
        """The floor, from the question's vector and its candidates in the group (the talks
        `found`, or `rows`, all their chunk rows) when given, else from the best scores
        alone."""
        evidence = None
        candidates = len(rows) if rows is not None else len(found)
        if qvec is not None and candidates and self.dense is not None and \
                self.params.floor_dense > 0:
            evidence = self.evidence(text, qvec, found, group, rows)
        if group == "catalog":
            return self._catalog(text, best_dense, best_bm25, evidence)
        if evidence is None:
            return self._absolute(text, best_dense, best_bm25, group)
        return self.decide(evidence, text, best_bm25, group)

    def hopeless(self, group: str, best_bm25: float, best_dense: float | None = None,
                 text: str = "") -> bool:
        """Whether the group's best scores (the dense one when known) or the names of the
        question `text` already refuse it: catalog talks need a rare word in common with the
        question, a close embedding and no name the catalog does not know (`_catalog`)."""
        p = self.params
        return group == "catalog" and (
            best_bm25 < p.catalog_bm25 or
            (best_dense is not None and best_dense < p.catalog_floor_dense) or
            not all(self.known(n, "catalog") for n in query_names(text)))

    def decide(self, evidence: Evidence, text: str, best_bm25: float, group: str = "notes") -> bool:
        """The relative floor: enough margin for the lexical support; strong when the margin
        reaches `strong_margin` or BM25 `strong_bm25`."""
        p = self.params
        return self._verdict(evidence.margin < needed_margin(p, evidence.lexical),
                             evidence.margin >= p.strong_margin or best_bm25 >= p.strong_bm25,
                             text, best_bm25, group)

    def _verdict(self, weak: bool, strong: bool, text: str, best_bm25: float, group: str) -> bool:
        """Weak evidence answers only a question naming people or things the group knows, with a
        strong keyword match ("What did Brandon Philips present?", "a demo counting the words of
        Shakespeare": a name carries little meaning for the embeddings). Otherwise a question
        about names the notes never mention ("How do I run Apache Kafka with Strimzi?") is not
        answered by notes that share its generic words, unless the match is strong."""
        names = query_names(text)
        if weak:
            return best_bm25 >= self.params.strong_bm25 and bool(names) and \
                all(self.known(n, group) for n in names)
        return strong or all(self.known(n, group) for n in names)

    def _catalog(self, text: str, best_dense: float, best_bm25: float,
                 evidence: Evidence | None) -> bool:
        """A one-line title matches generic words easily ("What's a good recipe for lasagna?"):
        catalog-only talks need close embeddings and a keyword match, on a same talk when the
        candidates are known, and no name the catalog does not know."""
        p = self.params
        return best_dense >= p.catalog_floor_dense and best_bm25 >= p.catalog_bm25 and \
            (evidence is None or evidence.agree) and \
            all(self.known(n, "catalog") for n in query_names(text))

    def _absolute(self, text: str, best_dense: float, best_bm25: float, group: str) -> bool:
        """The floor from the best scores alone: the best cosine against `floor_dense`, strong
        from `strong_dense` (or BM25 `strong_bm25`)."""
        p = self.params
        return self._verdict(best_dense < p.floor_dense,
                             best_dense >= p.strong_dense or best_bm25 >= p.strong_bm25,
                             text, best_bm25, group)

    # -- evidence ----------------------------------------------------------------------------
    def evidence(self, text: str, qvec: np.ndarray, found: Iterable[Ranked],
                 group: str = "notes", rows: np.ndarray | None = None) -> Evidence:
        """Margin, known share and agreement of a question's candidate chunks in a group (the
        dense top talks by margin, so that the question's own language does not pick them);
        `rows`: all the chunk rows of `found`, sorted, when known."""
        assert self.dense is not None and self.chunk_talk is not None
        if rows is None:
            rows = np.unique(np.fromiter(chain.from_iterable(r.chunks for r in found),
                                         dtype=np.int64))
        codes = self._language_codes()[rows]
        # The notes' own text is a handful of chunks: it is measured against the talks of the
        # notes, whose text is written the same way, as its own median would be noise.
        against = "notes" if group == "texts" else group
        names = self._language_names()
        reference = np.zeros(len(names), dtype=np.float32)
        for code in np.unique(codes).tolist():
            reference[code] = self.reference(qvec, against, str(names[code]))
        margin = self.dense.scores(qvec, rows) - reference[codes]
        agree = False
        if self.bm25_rows is not None:
            bm25 = np.asarray(self.bm25_rows(text, group), dtype=np.float32)[rows]
            agree = bool(set(top_talks(rows, margin, self.chunk_talk))
                         & set(top_talks(rows, bm25, self.chunk_talk, floor=0.0)))
        return Evidence(float(margin.max()), self.share(text, group), agree)

    def share(self, text: str, group: str) -> float:
        """The share of the question's terms the group's BM25 knows, remembered for the
        last question (the ranking asks for it too)."""
        memo = self._shares
        if memo[0] != text:
            memo = self._shares = (text, {})
        if group not in memo[1]:
            memo[1][group] = known_share(self.bm25_of(group), text)
        return memo[1][group]

    def reference(self, qvec: np.ndarray, group: str, lang: str) -> float:
        """The question's median cosine with the group's chunks in a language (remembered for
        the last question: two groups are measured against the notes)."""
        asked = np.asarray(qvec, dtype=np.float32).tobytes()
        memo = self._references
        if memo[0] != asked:
            memo = self._references = (asked, {})
        if (group, lang) not in memo[1]:
            memo[1][(group, lang)] = self._reference(qvec, group, lang)
        return memo[1][(group, lang)]

    def _reference(self, qvec: np.ndarray, group: str, lang: str) -> float:
        key = (group, lang)
        if isinstance(self.dense.vectors, np.ndarray):      # in memory: the question's cosines
            sims = self.dense.scores(qvec, self._sample(group, lang))   # with every row, once
        else:
            if key not in self._sample_vectors:      # the same rows every question: read once
                self._sample_vectors[key] = np.asarray(
                    self.dense.vectors[self._sample(group, lang)])
            sims = np.asarray(self._sample_vectors[key] @ qvec, dtype=np.float32)
        return median(sims)

    def _sample(self, group: str, lang: str) -> np.ndarray:
        """Chunk rows of a group in a language, at most LANG_SAMPLE evenly spaced (the whole
        group when the language has fewer than MIN_LANG_CHUNKS)."""
        key = (group, lang)
        if key not in self._samples:
            assert self.chunk_talk is not None
            chunk_groups = self.groups[self.chunk_talk]
            in_group = chunk_groups == group if group else \
                np.ones(len(chunk_groups), dtype=bool)
            code = np.flatnonzero(self._language_names() == lang)
            rows = np.flatnonzero(in_group & (self._language_codes() == code[0])) \
                if len(code) else np.zeros(0, dtype=np.int64)
            if len(rows) < MIN_LANG_CHUNKS:
                rows = np.flatnonzero(in_group)
            if len(rows) > LANG_SAMPLE:
                rows = rows[np.linspace(0, len(rows) - 1, LANG_SAMPLE).astype(np.int64)]
            self._samples[key] = rows
        return self._samples[key]

    def _language_names(self) -> np.ndarray:
        if self._lang is None:
            self._lang_codes()
        assert self._lang is not None
        return self._lang

    def _language_codes(self) -> np.ndarray:
        """Each chunk row's language as a number into `_language_names()`."""
        if self._chunk_lang is None:
            self._lang_codes()
        assert self._chunk_lang is not None
        return self._chunk_lang

    def _lang_codes(self) -> None:
        assert self.chunk_talk is not None
        by_talk = self.languages if len(self.languages) else np.array([""])
        names, codes = np.unique(by_talk, return_inverse=True)
        self._chunk_lang = codes[self.chunk_talk] if len(self.chunk_talk) else codes[:0]
        self._lang = names

    # -- names -------------------------------------------------------------------------------
    def prepare(self, text: str, group: str) -> None:
        """Look up the question's names in the group now (the answers are remembered), as the
        retriever does while the question is being encoded."""
        for name in query_names(text):
            self.known(name, group)
        self.share(text, group)

    def known(self, name: str, group: str) -> bool:
        """The group's talks mention the name, or a word one letter away from it (notes have
        typos: "Deutche Telekom"). Remembered: a question asks per group, and names recur."""
        key = (name, group)
        found = self._known.get(key)
        if found is None:
            if len(self._known) >= KNOWN_MEMO:
                self._known.clear()
            found = self._known[key] = self._lookup(name, group)
        return found

    def _lookup(self, name: str, group: str) -> bool:
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
            meta = set(self.names.get(group, ())) if group else \
                set().union(*self.names.values())
            self._vocab_cache[group] = (vocab, meta)
        return self._vocab_cache[group]
