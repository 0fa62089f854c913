"""Hybrid retrieval: dense (FAISS) and BM25 fused by rank, grouped by talk, with filters and a floor."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .bm25 import bm25_scores, idf, known_share
from ..model.encoders import Encoder, make_encoder
from ..errors import ModelMismatchError
from .filters import parse_query, talk_matches
from .highlight import best_sentence
from ..models import Answer, Filters, IndexInfo, Passage, Result, Talk
from .store import StoredIndex, is_exact, load_index
from ..text import fold, query_names, terms, words


MIN_FUZZY_NAME = 5     # names this long match a notes word one edit away


@dataclass(frozen=True)
class FusionParams:
    """Score fusion weights and the relevance floor, tuned on eval/dev_questions.yaml
    (scripts/tune_fusion.py): fused = a*bm25/max_bm25 + (1-a)*dense_rescaled, where
    a = bm25_weight * (share of the question's terms the corpus knows), so a question in a
    language the notes are not written in leans on the embeddings."""

    bm25_weight: float = 0.7
    title_weight: float = 0.25   # bonus from the similarity of the question to the talk header
    title_ref_rank: int = 20     # talk-header cosines are rescaled between this rank and the best
    depth: int = 100             # candidates taken from each retriever
    floor_dense: float = 0.79    # best cosine below this: nothing relevant
    strong_dense: float = 0.88   # best cosine above this overrides the unknown-names check
    strong_bm25: float = 3.0     # so does a best BM25 score above this
    passages: int = 2            # passages per talk
    relative_floor: float = 0.5  # talks scoring under this share of the best are left out
    catalog_weight: float = 0.6  # talks known only from the catalog (a title, no notes) count less
    catalog_floor_dense: float = 0.82  # a title alone must match closely: see is_relevant
    catalog_bm25: float = 2.5    # ... and share a rare word with the question


@dataclass(frozen=True)
class Ranked:
    """A talk with its fused score and its chunk rows, best first."""

    talk: int
    score: float
    chunks: tuple[int, ...]


class Retriever:
    def __init__(self, stored: StoredIndex, encoder: Encoder, catalog_results: bool = True,
                 params: FusionParams | None = None) -> None:
        self.stored = stored
        self.encoder = encoder
        self.params = params or FusionParams()
        self.catalog_results = catalog_results
        self.talks: list[Talk] = stored.talks
        index_of = {t.id: i for i, t in enumerate(self.talks)}
        self.chunk_talk = np.array([index_of[c.talk_id] for c in stored.chunks], dtype=np.int64)
        counts = stored.manifest.get("counts", {})
        self.info = IndexInfo(built_at=stored.manifest.get("built_at", ""),
                              notes=int(counts.get("notes", 0)),
                              talks=int(counts.get("talks_with_notes", counts.get("talks", 0))),
                              chunks=int(counts.get("chunks", len(stored.chunks))),
                              model=stored.manifest.get("model", {}).get("name", ""))
        self._has_notes = np.array([t.has_notes for t in self.talks], dtype=bool)
        self._vocab_cache: dict[str, tuple[Any, set[str]]] = {}
        self._vocab_words: dict[str, list[str]] = {}

    @property
    def cites_catalog(self) -> bool:
        """Whether answers may cite talks known only from the catalog (on, and some indexed)."""
        return self.catalog_results and not self._has_notes.all()

    def warm_up(self) -> None:
        """Load the encoder and run one query through it (so start-up pays, not the first user)."""
        self.encoder.embed_query("warm up")

    # -- candidate scores ------------------------------------------------------------------
    def _allowed_talks(self, filters: Filters, group: str = "") -> np.ndarray:
        mask = np.ones(len(self.talks), dtype=bool)
        if not self.catalog_results or group == "notes":
            mask &= self._has_notes
        elif group == "catalog":
            mask &= ~self._has_notes
        if not filters.is_empty():
            mask &= self._filter_mask(filters)
        return mask

    # Fields of a talk that each kind of filter reads (see filters.talk_matches).
    _FILTER_FIELDS = {
        "year": lambda t: t.year,
        "event": lambda t: (t.event, t.conference, t.note.city if t.note is not None else ""),
        "speaker": lambda t: t.speakers,
        "company": lambda t: t.companies,
    }

    def _filter_mask(self, filters: Filters) -> np.ndarray:
        """talk_matches for every talk, evaluated once per distinct value of the fields each
        filter reads (a few hundred events, not a million talks) and combined with AND."""
        groups: dict[str, tuple[np.ndarray, np.ndarray]] | None = getattr(
            self, "_filter_groups", None)
        if groups is None:
            groups = {}
            self._filter_groups = groups
        mask = np.ones(len(self.talks), dtype=bool)
        for kind, field in self._FILTER_FIELDS.items():
            value = getattr(filters, kind)
            if not value:
                continue
            if kind not in groups:
                first: dict[Any, int] = {}
                inverse = np.fromiter((first.setdefault(field(t), len(first))
                                       for t in self.talks), dtype=np.int64, count=len(self.talks))
                reps = np.zeros(len(first), dtype=np.int64)
                reps[inverse[::-1]] = np.arange(len(self.talks))[::-1]
                groups[kind] = (reps, inverse)
            reps, inverse = groups[kind]
            only = Filters(**{kind: value})
            matches = np.fromiter((talk_matches(self.talks[r], only) for r in reps.tolist()),
                                  dtype=bool, count=len(reps))
            mask &= matches[inverse]
        return mask

    def dense_candidates(self, qvec: np.ndarray, allowed_chunks: np.ndarray | None
                         ) -> tuple[np.ndarray, np.ndarray]:
        """(chunk rows, cosines) of the nearest chunks, best first."""
        depth = self.params.depth
        if allowed_chunks is not None and len(allowed_chunks) <= 20_000:
            sims = np.asarray(self.stored.vectors[allowed_chunks] @ qvec, dtype=np.float32)
            top = np.argsort(-sims)[:depth]
            return allowed_chunks[top], sims[top]
        index = self.stored.faiss_index
        exact = getattr(self, "_dense_exact", None)
        if exact is None:
            exact = self._dense_exact = is_exact(index)
        k = depth if allowed_chunks is None else min(index.ntotal, depth * 20)
        if not exact:   # quantised scores (IVF-SQ8): take twice as many, re-score them exactly
            k = min(index.ntotal, 2 * k)
        scores, ids = _search_one(index, qvec, k)
        keep = ids >= 0
        if allowed_chunks is not None:
            keep &= np.isin(ids, allowed_chunks)
        ids, scores = ids[keep], scores[keep]
        if not exact and len(ids):
            scores = np.asarray(self.stored.vectors[ids] @ qvec, dtype=np.float32)
            order = np.argsort(-scores, kind="stable")
            ids, scores = ids[order], scores[order]
        return ids[:depth], scores[:depth]

    # -- ranking -----------------------------------------------------------------------------
    def rank(self, text: str, filters: Filters, mode: str = "hybrid",
             qvec: np.ndarray | None = None, group: str = "notes"
             ) -> tuple[list[Ranked], float, float]:
        """Candidate talks of a group ("notes", "catalog" or "" for all), best first, plus the
        best dense and BM25 scores seen. Each group is scored on its own scale."""
        allowed_talks = self._allowed_talks(filters, group)
        allowed_chunks = None
        if not allowed_talks.all():
            allowed_chunks = np.flatnonzero(allowed_talks[self.chunk_talk])
            if len(allowed_chunks) == 0:
                return [], 0.0, 0.0
        p = self.params
        rows: np.ndarray = np.zeros(0, dtype=np.int64)
        dense_n = np.zeros(0, dtype=np.float32)
        bm25_n = np.zeros(0, dtype=np.float32)
        best_dense = best_bm25 = 0.0
        d_rows = b_rows = np.zeros(0, dtype=np.int64)
        if mode in ("hybrid", "dense"):
            if qvec is None:
                qvec = self.encoder.embed_query(text)
            d_rows, d_sims = self.dense_candidates(qvec, allowed_chunks)
            if len(d_sims):
                best_dense = float(d_sims[0])
                ref = float(d_sims[-1]) if len(d_sims) > 1 else best_dense - 1.0
        if mode in ("hybrid", "bm25"):
            all_bm25 = self._bm25_scores(text, group)
            b_rows, b_scores = self._top_bm25(all_bm25, allowed_chunks)
            best_bm25 = float(b_scores[0]) if len(b_scores) else 0.0
        rows = np.union1d(d_rows, b_rows).astype(np.int64)
        if len(rows) == 0:
            return [], best_dense, best_bm25
        if mode in ("hybrid", "dense") and len(d_rows):
            sims = np.asarray(self.stored.vectors[rows] @ qvec, dtype=np.float32)
            dense_n = np.clip((sims - ref) / max(best_dense - ref, 1e-6), 0.0, None)
        else:
            dense_n = np.zeros(len(rows), dtype=np.float32)
        if mode in ("hybrid", "bm25") and best_bm25 > 0:
            bm25_n = all_bm25[rows] / best_bm25
        else:
            bm25_n = np.zeros(len(rows), dtype=np.float32)
        a = {"dense": 0.0, "bm25": 1.0}.get(
            mode, p.bm25_weight * known_share(self._bm25_of(group), text))
        fused = a * bm25_n + (1 - a) * dense_n
        by_talk: dict[int, list[tuple[float, int]]] = {}
        for row, score in zip(rows.tolist(), fused.tolist()):
            by_talk.setdefault(int(self.chunk_talk[row]), []).append((score, row))
        bonus = self._title_bonus(qvec, allowed_talks, by_talk.keys()) \
            if mode == "hybrid" else None
        ranked = []
        for t, items in by_talk.items():
            items.sort(reverse=True)
            score = items[0][0] + (float(bonus[t]) if bonus is not None else 0.0)
            if not self._has_notes[t]:
                score *= p.catalog_weight
            ranked.append(Ranked(t, score, tuple(row for _, row in items)))
        ranked.sort(key=lambda r: (-r.score, r.talk))
        return ranked, best_dense, best_bm25

    def _title_bonus(self, qvec: np.ndarray | None, allowed_talks: np.ndarray,
                     wanted: Iterable[int] = ()) -> Any:
        """Bonus by talk (indexable by talk number) for the talks in `wanted` at least."""
        tv = self.stored.talk_vectors
        if qvec is None or tv is None or not len(tv):
            return None
        index = getattr(self.stored, "talk_index", None)
        if index is not None:
            # Many talks (a talk index exists beyond store.EXACT_LIMIT): the best and the
            # (title_ref_rank+1)-th best allowed header cosines come from the talk index's
            # candidates, re-scored exactly, instead of a scan of every talk vector per query;
            # with a narrow filter, the allowed talks' vectors are scanned instead.
            n_allowed = int(allowed_talks.sum())
            if not n_allowed:
                return None
            kth = min(self.params.title_ref_rank, n_allowed - 1)
            k = 2 * (kth + 1) * max(1, len(tv) // n_allowed)
            if k <= 4096:
                _, ids = _search_one(index, qvec, min(len(tv), k))
                ids = np.sort(ids[ids >= 0])
                ids = ids[allowed_talks[ids]]
            if k > 4096 or len(ids) <= kth:
                ids = np.flatnonzero(allowed_talks)
            top = -np.sort(-np.asarray(tv[ids] @ qvec, dtype=np.float32))
            best, ref = top[0], top[min(kth, len(top) - 1)]
            talks = np.fromiter(wanted, dtype=np.int64)
            sims = np.asarray(tv[np.sort(talks)] @ qvec, dtype=np.float32)
            values = self.params.title_weight * np.clip(
                (sims - ref) / max(best - ref, 1e-6), 0, None)
            return dict(zip(np.sort(talks).tolist(), values.tolist()))
        sims = np.asarray(tv @ qvec, dtype=np.float32)
        allowed = sims[allowed_talks]
        if not len(allowed):
            return None
        # The best and the (title_ref_rank+1)-th best allowed cosine, without sorting them all.
        kth = min(self.params.title_ref_rank, len(allowed) - 1)
        ref = -np.partition(-allowed, kth)[kth]
        best = allowed.max()
        return self.params.title_weight * np.clip((sims - ref) / max(best - ref, 1e-6), 0, None)

    def _bm25_of(self, group: str) -> Any:
        if group == "catalog" and self.stored.bm25_catalog is not None:
            return self.stored.bm25_catalog
        return self.stored.bm25

    def _bm25_scores(self, text: str, group: str) -> np.ndarray:
        """BM25 scores for every chunk row; rows outside the group score 0."""
        n, split = len(self.stored.chunks), self.stored.notes_chunks
        out = np.zeros(n, dtype=np.float32)
        if group in ("notes", ""):
            out[:split] = bm25_scores(self.stored.bm25, text)
        if group in ("catalog", "") and self.stored.bm25_catalog is not None:
            out[split:] = bm25_scores(self.stored.bm25_catalog, text)
        return out

    def _top_bm25(self, scores: np.ndarray, allowed_chunks: np.ndarray | None
                  ) -> tuple[np.ndarray, np.ndarray]:
        if allowed_chunks is not None:
            masked = np.zeros_like(scores)
            masked[allowed_chunks] = scores[allowed_chunks]
            scores = masked
        depth = min(self.params.depth, len(scores))
        if depth == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        top = np.argpartition(-scores, depth - 1)[:depth]
        top = top[np.argsort(-scores[top])]
        top = top[scores[top] > 0]
        return top, scores[top]

    def list_talks(self, filters: Filters) -> list[Ranked]:
        """Filters without words: every matching talk, in corpus order."""
        allowed = self._allowed_talks(filters)
        firsts = getattr(self, "_first_rows", None)
        if firsts is None:     # each talk's first chunk row (chunk_talk never changes)
            firsts = self._first_rows = np.unique(self.chunk_talk, return_index=True)
        talks, first = firsts
        keep = allowed[talks]
        talks, first = talks[keep], first[keep]
        order = np.argsort(first, kind="stable")
        return [Ranked(int(t), 1.0, (int(row),)) for t, row in zip(talks[order], first[order])]

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
                all(self._known(n, group) for n in names)
        if best_dense < p.floor_dense:
            # Weak embeddings, unless the question names people or companies the notes know
            # and the keywords match strongly ("What did Brandon Philips present?": a name
            # carries little meaning for the embeddings).
            return best_bm25 >= p.strong_bm25 and bool(names) and \
                all(self._known(n, group) for n in names)
        if best_dense >= p.strong_dense or best_bm25 >= p.strong_bm25:
            return True
        # A question about names the notes never mention ("How do I run Apache Kafka with
        # Strimzi?") is not answered by notes that share its generic words.
        return all(self._known(n, group) for n in names)

    def _known(self, name: str, group: str) -> bool:
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
        """BM25 terms and name words of a group's talks (cached)."""
        if group not in self._vocab_cache:
            vocab = self._bm25_of(group).vocab_dict
            talks = [t for i, t in enumerate(self.talks) if group != "notes" or self._has_notes[i]]
            meta = {fold(w) for t in talks for w in words(" ".join(
                (t.event, t.conference, t.note.city if t.note else "", *t.speakers,
                 *t.companies)))}
            self._vocab_cache[group] = (vocab, meta)
        return self._vocab_cache[group]

    # -- answers -----------------------------------------------------------------------------
    def search(self, query: str, k: int = 3, offset: int = 0) -> Answer:
        """Answer a question: up to k talks after `offset`, each with its best passages."""
        text, filters = parse_query(query)
        if text:
            qvec = self.encoder.embed_query(text)
            groups = ["notes"]
            if self.cites_catalog:
                groups.append("catalog")
            ranked = []
            for group in groups:
                found, best_dense, best_bm25 = self.rank(text, filters, qvec=qvec, group=group)
                if found and self.is_relevant(text, best_dense, best_bm25, group):
                    ranked += self._cut(found)
            # Catalog talks (already down-weighted) slot in where they score higher.
            ranked = self._cut(sorted(ranked, key=lambda r: -r.score))
        else:
            ranked = self.list_talks(filters)
        page = ranked[offset:offset + k]
        results = tuple(self._result(offset + i + 1, r, text) for i, r in enumerate(page))
        return Answer(query=query, text=text, filters=filters, results=results, info=self.info,
                      offset=offset, total=len(ranked), has_more=offset + k < len(ranked))

    def _cut(self, ranked: list[Ranked]) -> list[Ranked]:
        """Talks far below the best one are weak matches, not answers."""
        if not ranked:
            return ranked
        floor = self.params.relative_floor * ranked[0].score
        return [r for r in ranked if r.score >= floor]

    def _result(self, rank: int, ranked: Ranked, text: str) -> Result:
        passages = []
        for row in ranked.chunks[: self.params.passages]:
            chunk = self.stored.chunks[row]
            body = chunk.text or ""
            bm25 = self._bm25_of("notes" if ranked.talk < len(self.talks) and
                                 self._has_notes[ranked.talk] else "catalog")
            highlight = best_sentence(body, text, lambda t: idf(bm25, t)) if text else ""
            passages.append(Passage(text=body, highlight=highlight))
        if len(passages) > 1 and not passages[1].highlight:
            passages = passages[:1]
        return Result(rank=rank, score=ranked.score, talk=self.talks[ranked.talk],
                      passages=tuple(passages))


def _search_one(index: Any, qvec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(scores, ids) of one query's k nearest in a FAISS index. One query is best searched on
    one thread: OpenMP's fork/join for a 1-row search costs more than it saves (10 ms against
    1 ms at 10k chunks on a busy 2-core box). The setting is per calling thread, so index
    builds elsewhere keep their threads."""
    import faiss
    faiss.omp_set_num_threads(1)
    scores, ids = index.search(qvec.reshape(1, -1).astype(np.float32), k)
    return scores[0], ids[0]


def load_retriever(index_dir: Path, model: str, catalog_results: bool = True,
                   encoder: Encoder | None = None, params: FusionParams | None = None,
                   backend: str | None = None) -> Retriever:
    """Load an index and its encoder once; refuses an index built with another model.
    `backend` (torch or onnx-int8; default $EMBEDDING_BACKEND or the code's default) picks the
    encoder when none is given."""
    stored = load_index(Path(index_dir))
    built_with = stored.manifest.get("model", {}).get("name", "")
    if built_with != model:
        raise ModelMismatchError(
            f"the index at {index_dir} was built with the model {built_with!r} but "
            f"EMBEDDING_MODEL is {model!r}; rebuild it with `python -m index.build` "
            f"(or set EMBEDDING_MODEL={built_with})")
    enc = encoder or make_encoder(model, backend)
    return Retriever(stored, enc, catalog_results=catalog_results, params=params)
