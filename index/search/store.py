"""The index directory: manifest, FAISS, BM25, talk and chunk metadata; atomic swap on write."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexCorruptError, IndexMissingError, IndexVersionError
from ..models import Chunk, Link, NoteMeta, Talk

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
EXACT_LIMIT = 20_000          # up to this many chunks the FAISS index is exact (flat)
# Beyond EXACT_LIMIT: IVF with 8-bit scalar quantisation (IVF-SQ8). nlist ~ sqrt(n) lists and
# nprobe = nlist / IVF_PROBE_DIV lists searched; the retriever re-scores the candidates exactly
# from vectors.npy. On bench/'s synthetic corpora (bench/README.md) this gave recall@10 >= 0.98
# against exact search at 100k and 1M chunks; HNSW (M=32) reached only ~0.93 there and took
# minutes to build at 1M on 2 cores.
IVF_PROBE_DIV = ((300_000, 4), (None, 8))   # up to 300k chunks: nlist/4; beyond: nlist/8


@dataclass
class StoredIndex:
    """Everything the retriever needs, loaded from an index directory."""

    path: Path
    manifest: dict[str, Any]
    talks: list[Talk]
    chunks: list[Chunk]
    chunk_hashes: list[str]
    vectors: np.ndarray
    faiss_index: Any
    bm25: Any
    talk_vectors: np.ndarray | None = None   # one vector per talk header (title, speakers, ...)
    bm25_catalog: Any = None                 # BM25 of the catalog-only chunks (rows after notes)
    notes_chunks: int = 0                    # chunks [0, notes_chunks) belong to talks with notes
    talk_index: Any = None                   # FAISS over talk_vectors beyond EXACT_LIMIT talks


def talk_to_record(talk: Talk) -> dict[str, Any]:
    return {
        "id": talk.id, "title": talk.title, "speakers": list(talk.speakers),
        "companies": list(talk.companies), "kind": talk.kind, "event": talk.event,
        "conference": talk.conference, "year": talk.year, "day": talk.day, "track": talk.track,
        "label": talk.label, "level": talk.level, "anchor": talk.anchor, "line": talk.line,
        "links": [link.to_dict() for link in talk.links],
        "note": talk.note.to_dict() if talk.note else None,
        "has_notes": talk.has_notes, "official_title": talk.official_title,
    }


def talk_from_record(rec: dict[str, Any]) -> Talk:
    note = NoteMeta(**rec["note"]) if rec.get("note") else None
    return Talk(
        id=rec["id"], title=rec["title"], speakers=tuple(rec["speakers"]),
        companies=tuple(rec["companies"]), kind=rec["kind"], event=rec["event"],
        conference=rec["conference"], year=rec["year"], day=rec.get("day", ""),
        track=rec.get("track", ""), label=rec.get("label", ""), level=rec.get("level", ""),
        anchor=rec.get("anchor", ""), line=rec.get("line", 0),
        links=tuple(Link(**link) for link in rec.get("links", [])), note=note,
        has_notes=rec.get("has_notes", True), official_title=rec.get("official_title", ""),
    )


def build_faiss(vectors: np.ndarray) -> Any:
    """Exact inner-product index up to EXACT_LIMIT chunks, IVF-SQ8 beyond (see above)."""
    import faiss
    dim = vectors.shape[1]
    n = len(vectors)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    index: Any
    if n <= EXACT_LIMIT:
        index = faiss.IndexFlatIP(dim)
    else:
        nlist = int(np.sqrt(n))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                              faiss.METRIC_INNER_PRODUCT)
        div = next(d for limit, d in IVF_PROBE_DIV if limit is None or n <= limit)
        index.nprobe = max(1, nlist // div)
        sample = vectors[np.random.default_rng(0).choice(n, min(n, nlist * 50), replace=False)]
        index.train(sample)
    if n:
        index.add(vectors)
    return index


def is_exact(index: Any) -> bool:
    """Whether a FAISS index's scores are exact inner products (a flat index)."""
    import faiss
    return isinstance(index, faiss.IndexFlat)


def write_index(out: Path, manifest: dict[str, Any], talks: list[Talk], chunks: list[Chunk],
                chunk_hashes: list[str], vectors: np.ndarray, bm25: Any,
                talk_vectors: np.ndarray, talk_hashes: list[str],
                extra_files: dict[str, str] | None = None, bm25_catalog: Any = None) -> None:
    """Write a complete index into a temporary sibling of `out`, then swap it into place."""
    import faiss
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}-{int(time.time() * 1000)}"
    tmp.mkdir()
    try:
        np.save(tmp / "vectors.npy", vectors.astype(np.float32))
        np.save(tmp / "talk_vectors.npy", talk_vectors.astype(np.float32))
        if len(talk_vectors) > EXACT_LIMIT:   # the retriever's title bonus needs the best few
            faiss.write_index(build_faiss(talk_vectors), str(tmp / "talk_dense.faiss"))
        _write_json(tmp / "talk_hashes.json", talk_hashes)
        faiss.write_index(build_faiss(vectors), str(tmp / "dense.faiss"))
        bm25.save(str(tmp / "bm25"), show_progress=False)
        if bm25_catalog is not None:
            bm25_catalog.save(str(tmp / "bm25-catalog"), show_progress=False)
        _write_json(tmp / "talks.json", [talk_to_record(t) for t in talks])
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for chunk, h in zip(chunks, chunk_hashes):
                fh.write(json.dumps({"id": chunk.id, "talk_id": chunk.talk_id,
                                     "header": chunk.header, "text": chunk.text, "hash": h},
                                    ensure_ascii=False) + "\n")
        for name, content in (extra_files or {}).items():
            (tmp / name).write_text(content, encoding="utf-8")
        # The manifest goes last: a directory without one is never a complete index.
        _write_json(tmp / MANIFEST, manifest)
        _fsync_dir(tmp)
        swap_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_json(path: Path, data: Any) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _rename_exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two directories (Linux renameat2 RENAME_EXCHANGE)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    rc = renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE)
    return rc == 0


def swap_into_place(new: Path, out: Path) -> None:
    """Make `new` the index at `out`; the old index stays loadable until the very swap."""
    if not out.exists():
        os.rename(new, out)
        return
    if _rename_exchange(new, out):
        shutil.rmtree(new, ignore_errors=True)   # `new` now holds the previous index
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    os.rename(out, old)
    os.rename(new, out)
    shutil.rmtree(old, ignore_errors=True)


def read_manifest(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise IndexMissingError(
            f"no index at {path}; build it with `python -m index.build --out {path}`")
    if not path.is_dir():
        raise IndexCorruptError(f"{path} is not a directory; remove it and run "
                                f"`python -m index.build --out {path}`")
    mpath = path / MANIFEST
    if not mpath.exists():
        raise IndexCorruptError(f"{path} has no {MANIFEST}: the index is incomplete or not an "
                                f"index; rebuild it with `python -m index.build --out {path}`")
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
        version = int(manifest["schema_version"])
    except (ValueError, KeyError, TypeError) as exc:
        raise IndexCorruptError(f"{mpath} is unreadable ({exc}); rebuild the index with "
                                f"`python -m index.build --out {path}`") from exc
    if version > SCHEMA_VERSION:
        raise IndexVersionError(
            f"{path} was written by a newer kubecon-bot (index schema {version}, this version "
            f"reads {SCHEMA_VERSION}); upgrade kubecon-bot or rebuild with "
            f"`python -m index.build --out {path}`")
    if version < SCHEMA_VERSION:
        raise IndexVersionError(f"{path} uses an old index schema ({version}); rebuild it with "
                                f"`python -m index.build --out {path}`")
    return manifest


def load_index(path: Path) -> StoredIndex:
    """Load a complete index directory; clear errors for missing, corrupt or newer indexes."""
    import bm25s
    import faiss
    path = Path(path)
    manifest = read_manifest(path)
    try:
        talks = [talk_from_record(r) for r in json.loads((path / "talks.json").read_text("utf-8"))]
        chunks, hashes = [], []
        with open(path / "chunks.jsonl", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                chunks.append(Chunk(rec["id"], rec["talk_id"], rec["header"], rec["text"]))
                hashes.append(rec["hash"])
        vectors = np.load(path / "vectors.npy", mmap_mode="r")
        faiss_index = faiss.read_index(str(path / "dense.faiss"))
        bm25 = bm25s.BM25.load(str(path / "bm25"), show_progress=False, mmap=False)
        talk_index = None
        if (path / "talk_dense.faiss").is_file():
            talk_index = faiss.read_index(str(path / "talk_dense.faiss"))
        # With a talk index only a few talk vectors are read per query: leave them on disk.
        talk_vectors = np.load(path / "talk_vectors.npy",
                               mmap_mode="r" if talk_index is not None else None)
        bm25_catalog = None
        if (path / "bm25-catalog").is_dir():
            bm25_catalog = bm25s.BM25.load(str(path / "bm25-catalog"), show_progress=False)
        notes_chunks = int(manifest.get("counts", {}).get("notes_chunks", len(chunks)))
    except Exception as exc:  # any unreadable part means a corrupt index
        raise IndexCorruptError(f"index at {path} is corrupt ({type(exc).__name__}: {exc}); "
                                f"rebuild it with `python -m index.build --out {path}`") from exc
    if not (len(chunks) == len(hashes) == vectors.shape[0] == faiss_index.ntotal) or \
            talk_vectors.shape[0] != len(talks):
        raise IndexCorruptError(f"index at {path} is inconsistent ({len(chunks)} chunks, "
                                f"{vectors.shape[0]} vectors); rebuild it with "
                                f"`python -m index.build --out {path}`")
    return StoredIndex(path, manifest, talks, chunks, hashes, vectors, faiss_index, bm25,
                       talk_vectors, bm25_catalog, notes_chunks, talk_index=talk_index)


def cached_vectors(path: Path, model: str) -> dict[str, np.ndarray]:
    """Vectors of the previous index at `path` by chunk hash, if it was built with `model`."""
    try:
        manifest = read_manifest(path)
        if manifest.get("model", {}).get("name") != model:
            return {}
        vectors = np.load(path / "vectors.npy")
        with open(path / "chunks.jsonl", encoding="utf-8") as fh:
            hashes = [json.loads(line)["hash"] for line in fh]
        talk_vectors = np.load(path / "talk_vectors.npy")
        talk_hashes = json.loads((path / "talk_hashes.json").read_text(encoding="utf-8"))
    except Exception:
        return {}
    if len(hashes) != len(vectors) or len(talk_hashes) != len(talk_vectors):
        return {}
    return {**dict(zip(hashes, vectors)), **dict(zip(talk_hashes, talk_vectors))}
