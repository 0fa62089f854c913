"""Synthetic corpora for the benchmarks, made from the real notes.

* `make_index(real, out, n)`: an index directory of `n` chunks, written with the project's own
  `index.search.store.write_index` (so FAISS index selection is the project's). Talks are copies of the
  real talks (same chunks-per-talk ratio); each chunk is its source chunk's sentences reshuffled,
  on average a quarter swapped for sentences of a second chunk, under its talk's header.
  BM25 is computed directly as a sparse matrix (the same Lucene BM25 that bm25s computes, checked
  against bm25s by `check_bm25`), because tokenising a million chunks in Python would take longer
  than the rest of the suite. Vectors are generated: the source chunk's real vector plus Gaussian
  blended with a second chunk's (whose sentences it borrows) plus Gaussian noise shaped like the
  real vectors' covariance, L2-normalised, so neighbourhoods look like e5's
  (mean cosine ~0.86 between chunks, like the real index) and the encoder is not involved.
* `make_corpus(real_corpus, out, notes)`: Markdown notes with front matter, each made of
  talks (headings with speaker and company) whose bodies are reshuffled sentences of the real
  notes, for `python -m index.build`.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from index.settings import DEFAULT_MODEL
from index.models import Chunk
from index.search.groups import NOTES, talk_group
from index.search.store import SCHEMA_VERSION, talk_from_record, write_index
from index.text import sentences, terms

K1, B = 1.2, 0.75
NOISE = 0.5          # scale of the generated part of each vector (see module doc)
SWAP = 0.25          # mean share of a chunk's sentences taken from a second chunk


def talk_records(index: Path) -> list[dict[str, Any]]:
    """The talk records of an index directory (talks.jsonl, one a line)."""
    with open(index / "talks.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _real(real: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], np.ndarray]:
    """Talks with notes, their chunks and the chunks' vectors (catalog-only talks left out)."""
    talks = talk_records(real)
    chunks = [json.loads(line) for line in open(real / "chunks.jsonl", encoding="utf-8")]
    vectors = np.load(real / "vectors.npy")
    keep_talks = {t["id"] for t in talks if t.get("has_notes", True)}
    rows = [i for i, c in enumerate(chunks) if c["talk_id"] in keep_talks]
    return ([t for t in talks if t["id"] in keep_talks], [chunks[i] for i in rows],
            vectors[rows])


def _real_talk_vectors(real: Path, talks: list[dict[str, Any]], chunks: list[dict[str, Any]],
                       vectors: np.ndarray) -> np.ndarray:
    """Talk-header vectors of the real index (or the mean of each talk's chunks)."""
    all_talks = talk_records(real)
    row = {t["id"]: i for i, t in enumerate(all_talks)}
    path = real / "talk_vectors.npy"
    if path.is_file():
        tv = np.load(path)
        return tv[[row[t["id"]] for t in talks]]
    out = np.zeros((len(talks), vectors.shape[1]), dtype=np.float32)
    pos = {t["id"]: i for i, t in enumerate(talks)}
    for c, v in zip(chunks, vectors):
        out[pos[c["talk_id"]]] += v
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def _pool(chunks: list[dict[str, Any]]) -> tuple[list[str], np.ndarray, np.ndarray, dict[str, int]]:
    """Sentences of every real chunk (then one header per talk) as one pool.

    Returns (pool, start, count, header_of_talk): chunk c's sentences are
    pool[start[c]:start[c] + count[c]]; header_of_talk maps a talk id to its header's index."""
    pool: list[str] = []
    start = np.zeros(len(chunks), dtype=np.int64)
    count = np.zeros(len(chunks), dtype=np.int64)
    for i, c in enumerate(chunks):
        sents = sentences(c["text"]) if c["text"] else []
        start[i], count[i] = len(pool), len(sents)
        pool.extend(sents)
    header_of: dict[str, int] = {}
    for c in chunks:
        if c["talk_id"] not in header_of:
            header_of[c["talk_id"]] = len(pool)
            pool.append(c["header"])
    return pool, start, count, header_of


def _vectors(real_vectors: np.ndarray, src: np.ndarray, rng: np.random.Generator,
             block: int = 200_000, other: np.ndarray | None = None,
             alpha: np.ndarray | None = None) -> np.ndarray:
    """normalise(alpha*v[src] + (1-alpha)*v[other] + NOISE*gaussian with the real covariance)."""
    centred = real_vectors - real_vectors.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    shape = (s[:, None] * vt / np.sqrt(max(len(real_vectors) - 1, 1))).astype(np.float32)
    out = np.empty((len(src), real_vectors.shape[1]), dtype=np.float32)
    for i in range(0, len(src), block):
        part = src[i:i + block]
        z = rng.standard_normal((len(part), len(s)), dtype=np.float32)
        v = NOISE * (z @ shape)
        if other is None or alpha is None:
            v += real_vectors[part]
        else:
            a = alpha[i:i + block, None].astype(np.float32)
            v += a * real_vectors[part] + (1 - a) * real_vectors[other[i:i + block]]
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        out[i:i + block] = v
    return out


class SyntheticBM25:
    """Stands in for a bm25s.BM25 built on the synthetic texts; `save` writes bm25s's format."""

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray,
                 vocab: dict[str, int], num_docs: int) -> None:
        import bm25s
        self.inner = bm25s.BM25(k1=K1, b=B)
        self.inner.scores = {"data": data, "indices": indices, "indptr": indptr,
                             "num_docs": num_docs}
        self.inner.vocab_dict = vocab
        self.inner.nonoccurrence_array = None

    def save(self, path: str, show_progress: bool = False) -> None:
        self.inner.save(path, show_progress=show_progress)


def bm25_matrix(pool_terms: list[list[str]], chunk_rows: np.ndarray, pool_ids: np.ndarray,
                n_docs: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, int]]:
    """bm25s (method and idf "lucene") arrays for documents given as bags of pool items:
    document chunk_rows[j] contains pool item pool_ids[j] (repeats allowed)."""
    import scipy.sparse as sp
    vocab: dict[str, int] = {"": 0}
    rows, cols = [], []
    for p, ts in enumerate(pool_terms):
        for t in ts:
            rows.append(vocab.setdefault(t, len(vocab)))
            cols.append(p)
    n_pool = len(pool_terms)
    term_pool = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                              shape=(len(vocab), n_pool))
    pool_doc = sp.csr_matrix((np.ones(len(pool_ids), dtype=np.float32), (pool_ids, chunk_rows)),
                             shape=(n_pool, n_docs))
    tf = (term_pool @ pool_doc).tocsr()          # terms x docs: tf counts
    tf.sort_indices()
    pool_len = np.array([len(t) for t in pool_terms], dtype=np.float64)
    doc_len = np.asarray(pool_doc.T @ pool_len).ravel()
    avg = doc_len.mean()
    df = np.diff(tf.indptr)
    idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    term_of = np.repeat(np.arange(len(vocab)), df)
    norm = (K1 * ((1 - B) + B * doc_len / avg)).astype(np.float32)
    data = tf.data.astype(np.float32)
    data = idf[term_of] * data / (norm[tf.indices] + data)
    return (data.astype(np.float32), tf.indices.astype(np.int32),
            tf.indptr.astype(np.int64), vocab)


@dataclass
class _Layout:
    """Which real talks and chunks the synthetic ones copy, and which pool sentences each
    synthetic chunk is made of: chunk i's are ids[offsets[i]:offsets[i + 1]]."""

    pick: np.ndarray           # the real talk (index into sources) each synthetic talk copies
    src: np.ndarray            # each chunk's source chunk
    talk_of_chunk: np.ndarray  # each chunk's synthetic talk
    chunk_rows: np.ndarray     # for each pool id in `ids`, its chunk
    ids: np.ndarray
    offsets: np.ndarray
    other: np.ndarray          # the second source chunk
    alpha: np.ndarray          # the first source's share

    @property
    def n_talks(self) -> int:
        return len(self.pick)


def _layout(rng: np.random.Generator, per: np.ndarray, chunks_of_source: list[list[int]],
            start: np.ndarray, count: np.ndarray, n_chunks: int) -> _Layout:
    # Talks: copies of real talks with their chunk counts, until n_chunks chunks.
    est = int(n_chunks / per.mean() * 1.2) + 10
    pick = rng.integers(0, len(per), est)
    ends = np.cumsum(per[pick])
    n_talks = int(np.searchsorted(ends, n_chunks) + 1)
    pick = pick[:n_talks]
    src = np.concatenate([chunks_of_source[k] for k in pick])[:n_chunks]
    talk_of_chunk = np.repeat(np.arange(n_talks), per[pick])[:n_chunks]
    # Sentences: each chunk's own, shuffled, some swapped for others from the pool.
    k = count[src]
    total = int(k.sum())
    chunk_rows = np.repeat(np.arange(n_chunks), k)
    offsets = np.concatenate([[0], np.cumsum(k)])
    within = np.arange(total) - np.repeat(offsets[:-1], k)
    ids = start[src][chunk_rows] + within
    order = np.lexsort((rng.random(total), chunk_rows))
    ids = ids[order]
    # A second source per chunk: a share (1 - alpha) of the sentences comes from it, and the
    # vector is the same blend of the two sources' vectors (text and vector agree).
    other = rng.integers(0, len(count), n_chunks)
    other = np.where(count[other] > 0, other, src)
    alpha = rng.uniform(1 - 2 * SWAP, 1.0, n_chunks)
    swap = rng.random(total) < (1 - alpha)[chunk_rows]
    o = other[chunk_rows[swap]]
    ids[swap] = start[o] + (rng.random(int(swap.sum())) * count[o]).astype(np.int64)
    return _Layout(pick, src, talk_of_chunk, chunk_rows, ids, offsets, other, alpha)


def _synthetic_chunks(lay: _Layout, sources: list[dict[str, Any]],
                      first_chunk: list[dict[str, Any]],
                      pool: list[str]) -> tuple[list[dict[str, Any]], list[Chunk]]:
    """The synthetic talks' records (ids made unique) and their chunks' texts."""
    pool_arr = np.array(pool, dtype=object)
    talk_records = []
    for j, k_ in enumerate(lay.pick):
        rec = dict(sources[k_])
        rec["id"] = f"{rec['id']}~{j}"
        talk_records.append(rec)
    headers = [first_chunk[k_]["header"] for k_ in lay.pick]
    chunk_objs = []
    for i in range(len(lay.src)):
        t = int(lay.talk_of_chunk[i])
        text = " ".join(pool_arr[lay.ids[lay.offsets[i]:lay.offsets[i + 1]]])
        chunk_objs.append(Chunk(i, talk_records[t]["id"], headers[t], text))
    return talk_records, chunk_objs


def _manifest(real: Path, n_chunks: int, n_talks: int, dim: int, seed: int) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "model": {"name": DEFAULT_MODEL, "dim": dim},
        "corpus": {"root": f"synthetic:{n_chunks}", "files": {}},
        "counts": {"notes": 0, "talks": n_talks, "chunks": n_chunks,
                   "talks_with_notes": n_talks},
        "synthetic": {"from": str(real), "seed": seed},
    }


def make_index(real: Path, out: Path, n_chunks: int, seed: int = 0,
               log: Callable[[str], None] = print) -> dict[str, Any]:
    """Write a synthetic index of n_chunks chunks at `out`; returns timings and counts."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    talks, chunks, real_vectors = _real(real)
    pool, start, count, header_of = _pool(chunks)
    chunks_of: dict[str, list[int]] = {}
    for i, c in enumerate(chunks):
        chunks_of.setdefault(c["talk_id"], []).append(i)
    # Copies of the talks with notes: the notes' own text and the catalog are groups of
    # their own, stored after them (groups.ORDER), which a synthetic index has none of.
    sources = [t for t in talks
               if t["id"] in chunks_of and talk_group(talk_from_record(t)) == NOTES]
    source_chunks = [chunks_of[t["id"]] for t in sources]
    lay = _layout(rng, np.array([len(c) for c in source_chunks]), source_chunks, start, count,
                  n_chunks)
    t_text = time.perf_counter()
    talk_records, chunk_objs = _synthetic_chunks(lay, sources,
                                                 [chunks[c[0]] for c in source_chunks], pool)
    log(f"  synth {n_chunks}: texts {time.perf_counter() - t_text:.1f} s")
    # BM25 over header + sentences: documents are bags of pool items.
    t_bm = time.perf_counter()
    header_ids = np.array([header_of[sources[k_]["id"]] for k_ in lay.pick])[lay.talk_of_chunk]
    data, indices, indptr, vocab = bm25_matrix(
        [terms(p) for p in pool], np.concatenate([lay.chunk_rows, np.arange(n_chunks)]),
        np.concatenate([lay.ids, header_ids]), n_chunks)
    bm25 = SyntheticBM25(data, indices, indptr, vocab, n_chunks)
    log(f"  synth {n_chunks}: bm25 {time.perf_counter() - t_bm:.1f} s ({len(data):,} postings)")
    t_vec = time.perf_counter()
    vectors = _vectors(real_vectors, lay.src, rng, other=lay.other, alpha=lay.alpha)
    real_tv = _real_talk_vectors(real, talks, chunks, real_vectors)
    source_row = {t["id"]: i for i, t in enumerate(talks)}
    talk_vectors = _vectors(real_tv, np.array([source_row[sources[k_]["id"]] for k_ in lay.pick]),
                            rng)
    log(f"  synth {n_chunks}: vectors {time.perf_counter() - t_vec:.1f} s")
    t_write = time.perf_counter()
    write_index(out, _manifest(real, n_chunks, lay.n_talks, int(vectors.shape[1]), seed),
                [talk_from_record(r) for r in talk_records], chunk_objs,
                [f"synthetic-{i}" for i in range(n_chunks)], vectors, bm25,
                talk_vectors=talk_vectors, talk_hashes=[f"synthetic-talk-{j}" for j in
                                                        range(lay.n_talks)])
    write_s = time.perf_counter() - t_write
    log(f"  synth {n_chunks}: write_index (incl. FAISS) {write_s:.1f} s")
    return {"chunks": n_chunks, "talks": lay.n_talks, "postings": int(len(data)),
            "seconds": round(time.perf_counter() - t0, 1), "write_index_s": round(write_s, 1),
            "faiss": _faiss_kind(out)}


def _faiss_kind(path: Path) -> str:
    import faiss
    index: Any = faiss.read_index(str(path / "dense.faiss"))
    desc = type(index).__name__
    if hasattr(index, "nlist"):
        desc += f"(nlist={index.nlist}, nprobe={index.nprobe})"
    if hasattr(index, "hnsw"):
        desc += f"(M={index.hnsw.nb_neighbors(1)}, efSearch={index.hnsw.efSearch})"
    return desc


def check_bm25(real: Path, n_docs: int = 2000, seed: int = 1) -> float:
    """Largest difference between bm25_matrix and bm25s itself on n_docs synthetic texts."""
    from index.search.bm25 import build_bm25
    rng = np.random.default_rng(seed)
    _, chunks, _ = _real(real)
    pool, *_ = _pool(chunks)
    pool_terms = [terms(p) for p in pool]
    rows = np.repeat(np.arange(n_docs), 8)
    ids = rng.integers(0, len(pool), len(rows))
    texts = [" ".join(pool[i] for i in ids[rows == d]) for d in range(n_docs)]
    ref = build_bm25(texts)
    data, indices, indptr, vocab = bm25_matrix(pool_terms, rows, ids, n_docs)
    ours = SyntheticBM25(data, indices, indptr, vocab, n_docs).inner
    worst = 0.0
    for q in ["kubernetes security", "gitops flux argo", "service mesh istio envoy",
              "containerd docker", "observabilité prometheus", "jaeger tracing"]:
        qt = [t for t in dict.fromkeys(terms(q)) if t in ref.vocab_dict]
        if not qt:
            continue
        a = np.asarray(ref.get_scores(qt))
        b = np.asarray(ours.get_scores(qt))
        worst = max(worst, float(np.abs(a - b).max()))
    return worst


# -- a synthetic notes corpus for index.build ---------------------------------------------------

FRONT = """---
title: "Synthetic notes {i}"
author: Bench Writer {a}
url: https://notes.example.org/{i}/
conference: {conference}
event: {event}
city: {city}
year: {year}
date: {year}-0{month}-1{day}
language: {lang}
---

# Synthetic notes {i}

"""


def make_corpus(real_index: Path, out: Path, notes: int, talks_per_note: int = 3,
                sentences_per_talk: int = 8, seed: int = 0) -> dict[str, Any]:
    """`notes` Markdown files of `talks_per_note` talks each; returns counts."""
    rnd = random.Random(seed)
    talks, chunks, _ = _real(real_index)
    pool, *_ = _pool(chunks)
    pool = [s for s in pool[: len(pool) - len({c['talk_id'] for c in chunks})]
            if len(s) > 30 and not s.startswith(("#", "-", "*", ">", "|", "!", "[", "<"))]
    with_people = [t for t in talks if t["speakers"] and t["companies"]] or talks
    out.mkdir(parents=True, exist_ok=True)
    for i in range(notes):
        t0 = rnd.choice(talks)
        lines = [FRONT.format(i=i, a=i % 17, conference=t0["conference"] or "KubeCon",
                              event=t0["event"], city=(t0.get("note") or {}).get("city") or "Paris",
                              year=t0["year"] or 2019, month=rnd.randint(1, 9),
                              day=rnd.randint(0, 9), lang="en")]
        for j in range(talks_per_note):
            t = rnd.choice(with_people)
            speaker = t["speakers"][0] if t["speakers"] else "Jane Doe"
            company = t["companies"][0] if t["companies"] else "Example Inc"
            lines.append(f"## {t['title']} (part {i}.{j}) - {speaker}, {company}\n")
            body = rnd.sample(pool, min(sentences_per_talk, len(pool)))
            lines.append(" ".join(body[: len(body) // 2]) + "\n")
            lines.append(" ".join(body[len(body) // 2:]) + "\n")
        (out / f"synthetic-{i:04d}.md").write_text("\n".join(lines), encoding="utf-8")
    return {"notes": notes, "talks_per_note": talks_per_note,
            "sentences_per_talk": sentences_per_talk}


def touch_note(corpus: Path, index: int = 0) -> Path:
    """Change one note: one more sentence in its first talk."""
    path = sorted(corpus.glob("*.md"))[index]
    text = path.read_text("utf-8")
    marker = "\n## "
    head, sep, rest = text.partition(marker)
    first, nl, tail = rest.partition("\n")
    edited = (f"{head}{sep}{first}{nl}This sentence was added to measure an incremental "
              f"rebuild at {time.time():.0f}.\n{tail}")
    path.write_text(edited, encoding="utf-8")
    return path
