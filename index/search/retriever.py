"""Hybrid retrieval: dense (FAISS) and BM25 candidates of chunks, fused into talks, with filters,
the relevance floor and the best passages of each talk.

The parts live beside it: `dense.py` (the vector index), `bm25.py`, `fusion.py` (scores into a
ranking of talks), `relevance.py` (the floor), `filters.py` and `highlight.py`."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import ModelMismatchError
from ..model.encoders import Encoder, encoder_for, make_encoder
from ..models import Answer, Filters, IndexInfo, Passage, Result, Understood
from ..settings import IndexSettings
from .bm25 import idf
from .dense import Rows, one_blas_thread, share_header_vectors
from .filters import parse_query
from .groups import CATALOG, NOTES, TEXTS
from .fusion import (FusionParams, Ranked, header_fetch, rank_talks, rescale, talk_weights,
                     title_bonus)
from .highlight import best_sentence
from .listing import Listing
from .overview import overview_of_rows
from .relevance import Relevance
from .scope import Lexical, Reading, Scope, helpers
from .store import StoredIndex, load_index
from .understanding import understand, without_switch
from .vocabulary import Vocabulary

__all__ = ["FusionParams", "Lexical", "Ranked", "Retriever", "load_retriever", "retriever_for"]


class Retriever:
    def __init__(self, stored: StoredIndex, encoder: Encoder, catalog_results: bool = True,
                 params: FusionParams | None = None) -> None:
        self.stored = stored
        self.encoder = encoder
        self.params = params or FusionParams()
        self.catalog_results = catalog_results
        self.talks = stored.talks             # read by row, only for the results shown
        self.scope = scope = Scope(stored, self.params, catalog_results)
        cols = scope.columns
        self.columns = cols
        self.chunk_talk = cols.chunk_talk
        counts = stored.manifest.get("counts", {})
        self.info = IndexInfo(built_at=stored.manifest.get("built_at", ""),
                              notes=int(counts.get("notes", 0)),
                              talks=int(counts.get("talks_with_notes", counts.get("talks", 0))),
                              chunks=int(counts.get("chunks", len(stored.chunks))),
                              model=stored.manifest.get("model", {}).get("name", ""))
        self._group = scope.groups
        self._has_notes = scope.has_notes
        self._is_talk = scope.is_talk
        self._weights = talk_weights(self._has_notes, self._is_talk, self.params)
        self.vocabulary = Vocabulary.from_dict(cols.vocabulary)
        self.relevance = Relevance(self.params, self._group, scope.bm25_of, stored.dense,
                                   self.chunk_talk, scope.bm25_scores,
                                   cols.languages_of_talks, cols.names)
        talks, first = self._first_rows
        share_header_vectors(stored.talk_dense, stored.dense, talks, first)
        # The scope's, under the names the tests and tuning scripts use.
        self.implied_mask = scope.implied_mask
        self._titled = scope.titled
        self._allowed_talks = scope.allowed_talks

    @functools.cached_property
    def _first_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Each talk's first chunk row, in corpus order (for listing talks without a question)."""
        talks, first = np.unique(self.chunk_talk, return_index=True)
        return talks.astype(np.int64), first

    @property
    def cites_catalog(self) -> bool:
        """Whether answers may cite talks known only from the catalog (on, and some indexed)."""
        return self.catalog_results and not self._has_notes.all()

    def warm_up(self) -> None:
        """Load the encoder and run one query through it (so start-up pays, not the first user)."""
        self.encoder.embed_query("warm up")

    def is_relevant(self, text: str, best_dense: float, best_bm25: float, group: str = "notes",
                    qvec: np.ndarray | None = None, found: list[Ranked] | None = None) -> bool:
        return self.relevance.is_relevant(text, best_dense, best_bm25, group, qvec, found or ())

    def _boosted(self, ranked: list[Ranked], boost: Filters) -> list[Ranked]:
        """Weak evidence ("Google" named in passing, a bare year) favours matching talks."""
        if boost.is_empty() or not ranked:
            return ranked
        match = self.scope.filter_mask(boost)
        if boost.company:
            match |= self._titled(boost.company)
        factor = 1.0 + self.params.implied_boost
        out = [Ranked(r.talk, r.score * factor, r.chunks) if match[r.talk] else r for r in ranked]
        return sorted(out, key=lambda r: (-r.score, r.talk))

    def dense_candidates(self, qvec: np.ndarray, allowed_chunks: Rows | None
                         ) -> tuple[np.ndarray, np.ndarray]:
        """(chunk rows, cosines) of the nearest chunks, best first."""
        return self.stored.dense.search(qvec, self.params.depth, allowed_chunks)

    def _lexical(self, text: str, filters: Filters, group: str,
                 implied: np.ndarray | None) -> Lexical:
        """The scope's `lexical` share of a question in a group."""
        return self.scope.lexical(text, filters, group, implied,
                                  self.relevance.share(text, group))

    def rank(self, text: str, filters: Filters, mode: str = "hybrid",
             qvec: np.ndarray | None = None, group: str = "notes",
             implied: np.ndarray | None = None, lexical: Lexical | None = None
             ) -> tuple[list[Ranked], float, float]:
        """Candidate talks of a group ("notes", "catalog" or "" for all), best first, plus the
        best dense and BM25 scores seen. Each group is scored on its own scale. `lexical`:
        the question's `_lexical(text, filters, group, implied)`, when worked out already."""
        return self._rank(text, filters, mode, qvec, group, implied, lexical)

    def _rank(self, text: str, filters: Filters, mode: str = "hybrid",
              qvec: np.ndarray | None = None, group: str = "notes",
              implied: np.ndarray | None = None, lexical: Lexical | None = None,
              answer: bool = False) -> tuple[list[Ranked], float, float]:
        """`rank`; to `answer`: only the talks `_cut` keeps,
        and none when the group's candidates do not answer the question (the relevance
        floor, judged before they are ranked)."""
        lex = lexical or self._lexical(text, filters, group, implied)
        allowed_chunks = lex.allowed_chunks
        if allowed_chunks is not None and len(allowed_chunks) == 0:
            return [], 0.0, 0.0
        uses_dense, uses_bm25 = mode in ("hybrid", "dense"), mode in ("hybrid", "bm25")
        best_dense = best_bm25 = ref = best_dense_scale = 0.0
        d_rows = b_rows = np.zeros(0, dtype=np.int64)
        scale = lex.scale
        if uses_dense:
            if qvec is None:
                qvec = self.encoder.embed_query(text)
            d_rows, d_sims = self.dense_candidates(qvec, allowed_chunks)
            if len(d_sims):
                best_dense = float(d_sims[0])
                top = self.dense_candidates(qvec, scale)[1] if scale is not None else d_sims
                ref = float(top[-1]) if len(top) > 1 else float(top[0]) - 1.0
                best_dense_scale = max(float(top[0]), best_dense)
        if uses_bm25:
            b_rows, best_bm25 = lex.bm25_rows, lex.best_bm25
        if answer and self.relevance.hopeless(group, best_bm25, best_dense):
            return [], best_dense, best_bm25
        rows = np.unique(np.concatenate((d_rows, b_rows)).astype(np.int64, copy=False))
        if len(rows) == 0:
            return [], best_dense, best_bm25
        if answer and not self.relevance.is_relevant(text, best_dense, best_bm25, group, qvec,
                                                     rows=rows):
            return [], best_dense, best_bm25
        zeros = np.zeros(len(rows), dtype=np.float32)
        dense_n = rescale(self.stored.dense.scores(qvec, rows), best_dense_scale, ref) \
            if uses_dense and len(d_rows) and qvec is not None else zeros
        bm25_n = lex.bm25[rows] / lex.bm25_scale if uses_bm25 and best_bm25 > 0 else zeros
        a = {"dense": 0.0, "bm25": 1.0}.get(mode, self.params.bm25_weight * lex.known_share)
        # The header bonus rewards a question that names a talk; the notes' own text has no
        # talk to name (its header is the note's title, which every question about the event
        # would match).
        talks = self.stored.talk_dense    # (the talks wanted matter with a talk index only)
        bonus = title_bonus(talks, qvec, lex.scale_talks, np.unique(self.chunk_talk[rows])
                            if talks.index is not None else (), self.params) \
            if mode == "hybrid" and group != TEXTS else None
        ranked = rank_talks(rows, a * bm25_n + (1 - a) * dense_n, self.chunk_talk, bonus,
                            self._weights, self.params.relative_floor if answer else 0.0,
                            self._is_talk)
        return ranked, best_dense, best_bm25

    def list_talks(self, filters: Filters, implied: np.ndarray | None = None) -> Listing:
        """Filters without words: every matching talk, in corpus order."""
        allowed = self._allowed_talks(filters, "", implied) & self._is_talk
        talks, first = self._first_rows
        keep = allowed[talks]
        talks, first = talks[keep], first[keep]
        order = np.argsort(first, kind="stable")
        return Listing(talks[order], first[order])

    # -- answers -----------------------------------------------------------------------------
    def search(self, query: str, k: int = 3, offset: int = 0) -> Answer:
        """Answer a question: up to k talks after `offset`, each with its best passages."""
        with one_blas_thread():
            return self._search(query, k, offset)

    def _search(self, query: str, k: int, offset: int) -> Answer:
        asked, literal = without_switch(query)
        text, filters = parse_query(asked)
        (understood, words, implied, lexical), qvec = self._read(text, filters, literal)
        overview = None
        ranked: Sequence[Ranked]
        if understood.overview or not text:
            listing = self.list_talks(filters, implied)
            if understood.overview:
                listing = self._overview_order(text, filters, implied, listing, qvec)
            if understood.overview and offset == 0:
                overview = overview_of_rows(
                    listing.talk_ids(),
                    self._has_notes & self._is_talk, ~self._has_notes & self._is_talk,
                    self.columns.facets, self._overview_title)
            ranked = listing
        else:
            ranked = self._boosted(self._answers(words, filters, implied, qvec, lexical),
                                   understood.boost)
        page = ranked[offset:offset + k]
        results = tuple(self._result(offset + i + 1, r, words) for i, r in enumerate(page))
        return Answer(query=query, text=text, filters=filters, results=results, info=self.info,
                      offset=offset, total=len(ranked), has_more=offset + k < len(ranked),
                      understood=understood, overview=overview)

    def _read(self, text: str, filters: Filters, literal: bool
              ) -> tuple[Reading, np.ndarray | None]:
        """A question read (`_understand`, `_lexical_all`) and encoded, with the parts that
        wait for nothing of each other run at once (numpy, FAISS and onnxruntime let go of the
        GIL; on the real index this took a third off a search beyond the encode, at a million
        chunks half of it):
        - with an encoder that can be started apart from tokenizing (`prepared_query`,
          onnx-int8), the question is read in a thread while it is encoded;
        - else it is encoded after its words are understood, and read while its vector
          searches the chunks and talk headers (`_start_dense`).
        The vector is of the words searched for, or of `text` for an overview (None: no
        text, or not encoded yet)."""
        prepare = getattr(self.encoder, "prepared_query", None)
        if not text:
            return Reading(*self._understand(text, filters, literal), {}), None
        if prepare is not None:
            run = prepare(text)          # tokenized first: the reading would hold the GIL
            pending = helpers().submit(self._read_all, text, filters, literal)
            try:
                qvec: np.ndarray | None = run()
            finally:
                reading = pending.result()
            if reading.understood.overview:
                return reading, qvec
            if reading.words != text:    # the reading changed the words: encode those
                qvec = self.encoder.embed_query(reading.words)
            assert qvec is not None
            self._start_dense(qvec, filters, reading.implied)
            return reading, qvec
        understood, words, implied = self._understand(text, filters, literal)
        if understood.overview:
            return Reading(understood, words, implied, {}), None
        qvec = self.encoder.embed_query(words)
        self._start_dense(qvec, filters, implied)
        return Reading(understood, words, implied,
                       self._lexical_all(words, filters, implied)), qvec

    def _read_all(self, text: str, filters: Filters, literal: bool) -> Reading:
        understood, words, implied = self._understand(text, filters, literal)
        reading = Reading(understood, words, implied, {} if understood.overview else
                          self._lexical_all(words, filters, implied))
        self.stored.dense.touch()      # the encoder has evicted them; it is still running
        return reading

    def _understand(self, text: str, filters: Filters, literal: bool
                    ) -> tuple[Understood, str, np.ndarray | None]:
        """The question's understood filters, its words to search for, and the talks the
        filters read from its words allow (None: any)."""
        understood, words = Understood(), text
        if text and not literal:
            understood, words = understand(text, self.vocabulary, filters)
        return understood, words, self.implied_mask(understood)

    def _lexical_all(self, words: str, filters: Filters, implied: np.ndarray | None
                     ) -> dict[str, Lexical]:
        """Each answer group's `lexical`; the names the relevance floor will look up are
        looked up too."""
        out = {}
        for group in self._answer_groups():
            out[group] = self._lexical(words, filters, group, implied)
            self.relevance.prepare(words, group)
        return out

    def _start_dense(self, qvec: np.ndarray, filters: Filters,
                     implied: np.ndarray | None) -> None:
        """Start, in threads, the vector searches the notes' ranking will ask for: its chunks
        (and, with filters read from the words, the group's chunks they are scaled among) and
        the talk headers of its header bonus."""
        pool = helpers()
        dense = self.stored.dense
        if not dense.in_memory:     # (vectors in memory are scanned by the caller)
            wanted = [self.scope.group_chunks(NOTES, filters, implied)]
            if implied is not None:
                wanted.append(self.scope.group_chunks(NOTES, filters))
            for rows in wanted:
                if rows is None or isinstance(rows, range):
                    dense.start(qvec, pool, self.params.depth, rows)
        talks = self.stored.talk_dense
        n_allowed = self.scope.talks_allowed(filters, NOTES)
        if len(talks) and n_allowed:
            talks.start(qvec, pool, header_fetch(len(talks), n_allowed, self.params))

    def _overview_title(self, row: int) -> str:
        talk = self.talks[row]
        return talk.title.strip() or talk.official_title.strip()

    def _overview_order(self, text: str, filters: Filters, implied: np.ndarray | None,
                        listed: Listing, qvec: np.ndarray | None = None) -> Listing:
        """An overview's talks: the notes' talks closest to the question first, then the rest
        in corpus order (notes before the catalog)."""
        found, _, _ = self.rank(text, filters, group=NOTES, implied=implied, qvec=qvec)
        return Listing(listed.talks, listed.rows, [r for r in found if self._is_talk[r.talk]])

    def _answer_groups(self) -> list[str]:
        """The groups an answer draws on: the notes' talks, their own text, the catalog."""
        groups = [NOTES]
        if self.stored.text_chunks:
            groups.append(TEXTS)
        if self.cites_catalog:
            groups.append(CATALOG)
        return groups

    def _answers(self, text: str, filters: Filters, implied: np.ndarray | None,
                 qvec: np.ndarray | None = None,
                 lexical: dict[str, Lexical] | None = None) -> list[Ranked]:
        """Relevant talks of every group the answers may cite, best first (`qvec`: the
        question's vector, `lexical`: its groups' `lexical`, when known)."""
        if qvec is None:
            qvec = self.encoder.embed_query(text)
        lexical = lexical or {}
        ranked = []
        for group in self._answer_groups():
            lex = lexical.get(group) or self._lexical(text, filters, group, implied)
            if self.relevance.hopeless(group, lex.best_bm25, text=text):
                continue
            ranked += self._rank(text, filters, qvec=qvec, group=group, implied=implied,
                                 lexical=lex, answer=True)[0]
        # Catalog talks (already down-weighted) slot in where they score higher.
        return self._cut(sorted(ranked, key=lambda r: -r.score))

    def _cut(self, ranked: list[Ranked]) -> list[Ranked]:
        """Talks far below the best one are weak matches, not answers. The best talk sets the
        bar: a note's own text (an intro naming every talk) must not push talks out."""
        if not ranked:
            return ranked
        best = next((r.score for r in ranked if self._is_talk[r.talk]), ranked[0].score)
        floor = self.params.relative_floor * best
        return [r for r in ranked if r.score >= floor]

    def _result(self, rank: int, ranked: Ranked, text: str) -> Result:
        passages = []
        for row in ranked.chunks[: self.params.passages]:
            chunk = self.stored.chunks[row]
            body = chunk.text or ""
            bm25 = self.scope.bm25_of(str(self._group[ranked.talk]))
            highlight = best_sentence(body, text, lambda t: idf(bm25, t)) if text else ""
            passages.append(Passage(text=body, highlight=highlight))
        if len(passages) > 1 and not passages[1].highlight:
            passages = passages[:1]
        return Result(rank=rank, score=ranked.score, talk=self.talks[ranked.talk],
                      passages=tuple(passages))


def load_retriever(index_dir: Path, model: str, catalog_results: bool = True,
                   encoder: Encoder | None = None, params: FusionParams | None = None,
                   backend: str | None = None) -> Retriever:
    """Load an index and its encoder once; refuses an index built with another model.
    Without an `encoder`, one is made for `model` (`backend`: torch or onnx-int8, None for
    the default; the default threads and model cache)."""
    stored = load_index(Path(index_dir))
    built_with = stored.manifest.get("model", {}).get("name", "")
    if built_with != model:
        raise ModelMismatchError(
            f"the index at {index_dir} was built with the model {built_with!r} but "
            f"EMBEDDING_MODEL is {model!r}; rebuild it with `python -m index.build` "
            f"(or set EMBEDDING_MODEL={built_with})")
    enc = encoder or make_encoder(model, backend)
    return Retriever(stored, enc, catalog_results=catalog_results, params=params)


def retriever_for(settings: IndexSettings, index_dir: Path | None = None,
                  model: str | None = None) -> Retriever:
    """The retriever the settings describe (the index at `index_dir` or INDEX_DIR, built with
    `model` or EMBEDDING_MODEL), as the bot and the index commands load it."""
    model = model or settings.embedding_model
    return load_retriever(index_dir or settings.index_dir, model,
                          catalog_results=settings.catalog_results,
                          encoder=encoder_for(settings, model))
