"""Hybrid retrieval: dense (FAISS) and BM25 fused by rank, grouped by talk, with filters and a floor."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .bm25 import bm25_scores, idf
from .embedding import Encoder, make_encoder
from .errors import ModelMismatchError
from .filters import parse_query, talk_matches
from .highlight import best_sentence
from .models import Answer, Filters, IndexInfo, Passage, Result, Talk
from .store import StoredIndex, load_index


@dataclass(frozen=True)
class FusionParams:
    """Weights of reciprocal rank fusion and the relevance floor (tuned on the dev questions)."""

    rrf_k: float = 60.0
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    depth: int = 100             # candidates taken from each retriever
    floor_dense: float = 0.80    # best cosine below this ...
    floor_bm25: float = 4.0      # ... and best BM25 below this: nothing relevant
    passages: int = 2            # passages per talk


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

    # -- candidate scores ------------------------------------------------------------------
    def _allowed_talks(self, filters: Filters) -> np.ndarray:
        mask = np.ones(len(self.talks), dtype=bool)
        if not self.catalog_results:
            mask &= self._has_notes
        if not filters.is_empty():
            mask &= np.array([talk_matches(t, filters) for t in self.talks], dtype=bool)
        return mask

    def dense_candidates(self, qvec: np.ndarray, allowed_chunks: np.ndarray | None
                         ) -> tuple[np.ndarray, np.ndarray]:
        """(chunk rows, cosines) of the nearest chunks, best first."""
        depth = self.params.depth
        if allowed_chunks is not None and len(allowed_chunks) <= 20_000:
            sims = np.asarray(self.stored.vectors[allowed_chunks] @ qvec, dtype=np.float32)
            top = np.argsort(-sims)[:depth]
            return allowed_chunks[top], sims[top]
        k = depth if allowed_chunks is None else min(self.stored.faiss_index.ntotal, depth * 20)
        scores, ids = self.stored.faiss_index.search(qvec.reshape(1, -1).astype(np.float32), k)
        ids, scores = ids[0], scores[0]
        keep = ids >= 0
        if allowed_chunks is not None:
            keep &= np.isin(ids, allowed_chunks)
        return ids[keep][:depth], scores[keep][:depth]

    def bm25_candidates(self, text: str, allowed_chunks: np.ndarray | None
                        ) -> tuple[np.ndarray, np.ndarray]:
        scores = bm25_scores(self.stored.bm25, text)
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

    # -- ranking -----------------------------------------------------------------------------
    def rank(self, text: str, filters: Filters, mode: str = "hybrid",
             qvec: np.ndarray | None = None) -> tuple[list[Ranked], float, float]:
        """All relevant talks, best first, plus the best dense and BM25 scores seen."""
        allowed_talks = self._allowed_talks(filters)
        allowed_chunks = None
        if not allowed_talks.all():
            allowed_chunks = np.flatnonzero(allowed_talks[self.chunk_talk])
            if len(allowed_chunks) == 0:
                return [], 0.0, 0.0
        p = self.params
        fused: dict[int, float] = {}
        best_dense = best_bm25 = 0.0
        if mode in ("hybrid", "dense"):
            if qvec is None:
                qvec = self.encoder.embed_query(text)
            rows, sims = self.dense_candidates(qvec, allowed_chunks)
            best_dense = float(sims[0]) if len(sims) else 0.0
            for r, row in enumerate(rows):
                fused[int(row)] = fused.get(int(row), 0.0) + p.dense_weight / (p.rrf_k + r + 1)
        if mode in ("hybrid", "bm25"):
            rows, scores = self.bm25_candidates(text, allowed_chunks)
            best_bm25 = float(scores[0]) if len(scores) else 0.0
            for r, row in enumerate(rows):
                fused[int(row)] = fused.get(int(row), 0.0) + p.bm25_weight / (p.rrf_k + r + 1)
        by_talk: dict[int, list[tuple[float, int]]] = {}
        for row, score in fused.items():
            by_talk.setdefault(int(self.chunk_talk[row]), []).append((score, row))
        ranked = []
        for t, items in by_talk.items():
            items.sort(reverse=True)
            ranked.append(Ranked(t, items[0][0], tuple(row for _, row in items)))
        ranked.sort(key=lambda r: (-r.score, r.talk))
        return ranked, best_dense, best_bm25

    def list_talks(self, filters: Filters) -> list[Ranked]:
        """Filters without words: every matching talk, in corpus order."""
        allowed = self._allowed_talks(filters)
        first: dict[int, int] = {}
        for row, t in enumerate(self.chunk_talk):
            if allowed[t] and int(t) not in first:
                first[int(t)] = row
        return [Ranked(t, 1.0, (row,)) for t, row in first.items()]

    def is_relevant(self, best_dense: float, best_bm25: float) -> bool:
        return best_dense >= self.params.floor_dense or best_bm25 >= self.params.floor_bm25

    # -- answers -----------------------------------------------------------------------------
    def search(self, query: str, k: int = 3, offset: int = 0) -> Answer:
        """Answer a question: up to k talks after `offset`, each with its best passages."""
        text, filters = parse_query(query)
        if text:
            ranked, best_dense, best_bm25 = self.rank(text, filters)
            if not self.is_relevant(best_dense, best_bm25):
                ranked = []
        else:
            ranked = self.list_talks(filters)
        page = ranked[offset:offset + k]
        results = tuple(self._result(offset + i + 1, r, text) for i, r in enumerate(page))
        return Answer(query=query, text=text, filters=filters, results=results, info=self.info,
                      offset=offset, total=len(ranked), has_more=offset + k < len(ranked))

    def _result(self, rank: int, ranked: Ranked, text: str) -> Result:
        passages = []
        for row in ranked.chunks[: self.params.passages]:
            chunk = self.stored.chunks[row]
            body = chunk.text or ""
            highlight = best_sentence(body, text, lambda t: idf(self.stored.bm25, t)) if text else ""
            passages.append(Passage(text=body, highlight=highlight))
        if len(passages) > 1 and not passages[1].highlight:
            passages = passages[:1]
        return Result(rank=rank, score=ranked.score, talk=self.talks[ranked.talk],
                      passages=tuple(passages))


def load_retriever(index_dir: Path, model: str, catalog_results: bool = True,
                   encoder: Encoder | None = None) -> Retriever:
    """Load an index and its encoder once; refuses an index built with another model."""
    stored = load_index(Path(index_dir))
    built_with = stored.manifest.get("model", {}).get("name", "")
    if built_with != model:
        raise ModelMismatchError(
            f"the index at {index_dir} was built with the model {built_with!r} but "
            f"EMBEDDING_MODEL is {model!r}; rebuild it with `python -m index.build` "
            f"(or set EMBEDDING_MODEL={built_with})")
    enc = encoder or make_encoder(model)
    return Retriever(stored, enc, catalog_results=catalog_results)
