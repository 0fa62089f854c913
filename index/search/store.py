"""The index directory: manifest, FAISS, BM25, talk and chunk metadata; atomic swap on write.

An index is opened, not loaded: FAISS, BM25 and the vectors are memory-mapped, talks and chunks
are read by row when a result shows them (`rowfile.py`), and what every search needs of every
talk is in numpy columns written at build time (`columns.py`). Opening costs the same at a
thousand chunks and at a million; the operating system pages in what searches touch."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import fsync_dir, remove_stale_temps, replace_dir, staged_dir
from ..errors import IndexCorruptError, IndexMissingError, IndexVersionError
from ..models import Chunk, Link, NoteMeta, Talk
from .columns import FOLDER as COLUMNS
from .columns import Columns, build_columns, read_columns, write_columns
from .dense import EXACT_LIMIT, DenseIndex
from .rowfile import RowFile, write_rows

# 2: talks.jsonl and chunks.jsonl read by row through *_offsets.npy, columns/, FAISS and BM25
# memory-mapped (1: talks.json and chunks.jsonl read whole into Python objects).
SCHEMA_VERSION = 2
MANIFEST = "manifest.json"


@dataclass
class StoredIndex:
    """Everything the retriever needs, opened from an index directory."""

    path: Path
    manifest: dict[str, Any]
    talks: Sequence[Talk]                    # read by row (talks.jsonl)
    chunks: Sequence[Chunk]                  # read by row (chunks.jsonl)
    chunk_hashes: Sequence[str]
    dense: DenseIndex                        # one vector per chunk (dense.faiss, vectors.npy)
    bm25: Any
    talk_dense: DenseIndex                   # one vector per talk header (title, speakers, ...)
    bm25_catalog: Any = None                 # BM25 of the catalog-only chunks (the last rows)
    notes_chunks: int = 0                    # chunks [0, notes_chunks) belong to talks with notes
    bm25_texts: Any = None                   # BM25 of the notes' own text (rows after the talks')
    text_chunks: int = 0                     # ... [notes_chunks, notes_chunks + text_chunks)
    columns: Columns | None = None           # per-talk and per-chunk attributes (columns.py)


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


def write_index(out: Path, manifest: dict[str, Any], talks: list[Talk], chunks: list[Chunk],
                chunk_hashes: list[str], vectors: np.ndarray, bm25: Any,
                talk_vectors: np.ndarray, talk_hashes: list[str],
                extra_files: dict[str, str] | None = None, bm25_catalog: Any = None,
                bm25_texts: Any = None) -> None:
    """Write a complete index into a temporary sibling of `out`, then swap it into place.
    Temporary folders that killed builds left behind are removed first."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out.parent, out.name)
    with staged_dir(out) as tmp:
        DenseIndex.build(vectors).save(tmp / "vectors.npy", tmp / "dense.faiss")
        # The retriever's title bonus needs the best few talks: a FAISS index beyond
        # EXACT_LIMIT talks, a numpy scan below.
        DenseIndex.build(talk_vectors, scan_limit=EXACT_LIMIT).save(
            tmp / "talk_vectors.npy", tmp / "talk_dense.faiss")
        _write_json(tmp / "talk_hashes.json", talk_hashes)
        bm25.save(str(tmp / "bm25"), show_progress=False)
        if bm25_catalog is not None:
            bm25_catalog.save(str(tmp / "bm25-catalog"), show_progress=False)
        if bm25_texts is not None:
            bm25_texts.save(str(tmp / "bm25-texts"), show_progress=False)
        write_rows(tmp / "talks.jsonl", tmp / "talk_offsets.npy",
                   (talk_to_record(t) for t in talks))
        write_rows(tmp / "chunks.jsonl", tmp / "chunk_offsets.npy",
                   ({"id": chunk.id, "talk_id": chunk.talk_id, "header": chunk.header,
                     "text": chunk.text, "hash": h} for chunk, h in zip(chunks, chunk_hashes)))
        write_columns(tmp / COLUMNS, build_columns(talks, chunks))
        for name, content in (extra_files or {}).items():
            (tmp / name).write_text(content, encoding="utf-8")
        # The manifest goes last: a directory without one is never a complete index.
        _write_json(tmp / MANIFEST, manifest)
        fsync_dir(tmp)
        replace_dir(tmp, out)


def _write_json(path: Path, data: Any) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())


def read_manifest(path: Path, oldest: int = SCHEMA_VERSION) -> dict[str, Any]:
    """The manifest of the index at `path`, if its schema is between `oldest` and ours."""
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
    if version < oldest:
        raise IndexVersionError(f"{path} uses an old index schema ({version}); rebuild it with "
                                f"`python -m index.build --out {path}`")
    wrong = manifest_problem(manifest)
    if wrong:
        raise IndexCorruptError(f"{mpath} is not a valid manifest ({wrong}); rebuild the index "
                                f"with `python -m index.build --out {path}`")
    return manifest


def manifest_problem(manifest: Any) -> str:
    """What is wrong with a manifest's shape ("" when nothing): the types every reader of it
    relies on, so that a broken one is one clear line rather than a traceback."""
    if not isinstance(manifest, dict):
        return "not a JSON object"
    model = manifest.get("model")
    if not isinstance(model, dict) or not isinstance(model.get("name"), str) or \
            not isinstance(model.get("dim", 0), int):
        return "'model' must be an object with a text 'name' and a whole-number 'dim'"
    if not isinstance(manifest.get("built_at", ""), str):
        return "'built_at' must be text"
    counts = manifest.get("counts", {})
    if not isinstance(counts, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts.values()):
        return "'counts' must map names to whole numbers"
    return ""


def _chunk_from_record(rec: dict[str, Any]) -> Chunk:
    return Chunk(rec["id"], rec["talk_id"], rec["header"], rec["text"])


def _unwrapped(bm25: Any) -> Any:
    """A memory-mapped BM25 with plain ndarray views of its maps: numpy's memmap wrapper costs
    microseconds at every indexing, and a question indexes them dozens of times."""
    bm25.scores = {k: np.asarray(v) if isinstance(v, np.memmap) else v
                   for k, v in bm25.scores.items()}
    return bm25


def load_index(path: Path) -> StoredIndex:
    """Open a complete index directory; clear errors for missing, corrupt or newer indexes."""
    import bm25s
    path = Path(path)
    manifest = read_manifest(path)
    try:
        talks = RowFile(path / "talks.jsonl", path / "talk_offsets.npy", talk_from_record)
        chunks = RowFile(path / "chunks.jsonl", path / "chunk_offsets.npy", _chunk_from_record)
        hashes = RowFile(path / "chunks.jsonl", path / "chunk_offsets.npy",
                         lambda rec: str(rec["hash"]))
        columns = read_columns(path / COLUMNS)
        dense = DenseIndex.load(path / "vectors.npy", path / "dense.faiss", required=True)
        talk_dense = DenseIndex.load(path / "talk_vectors.npy", path / "talk_dense.faiss")
        bm25, bm25_catalog, bm25_texts = (
            _unwrapped(bm25s.BM25.load(str(path / name), show_progress=False, mmap=True))
            if (path / name).is_dir() or name == "bm25" else None
            for name in ("bm25", "bm25-catalog", "bm25-texts"))
        notes_chunks = int(manifest.get("counts", {}).get("notes_chunks", len(chunks)))
        text_chunks = int(manifest.get("counts", {}).get("text_chunks", 0))
    except Exception as exc:  # any unreadable part means a corrupt index
        raise IndexCorruptError(f"index at {path} is corrupt ({type(exc).__name__}: {exc}); "
                                f"rebuild it with `python -m index.build --out {path}`") from exc
    wrong = _inconsistency(len(chunks), dense, len(talks), talk_dense, columns, notes_chunks,
                           text_chunks, (bm25, bm25_texts, bm25_catalog))
    if wrong:
        raise IndexCorruptError(f"index at {path} is inconsistent ({wrong}); rebuild it with "
                                f"`python -m index.build --out {path}`")
    return StoredIndex(path, manifest, talks, chunks, hashes, dense, bm25, talk_dense,
                       bm25_catalog, notes_chunks, bm25_texts, text_chunks, columns)


def _inconsistency(n_chunks: int, dense: DenseIndex, n_talks: int, talk_dense: DenseIndex,
                   columns: Columns, notes_chunks: int, text_chunks: int,
                   bm25s: tuple[Any, Any, Any]) -> str:
    """What does not add up between the parts of an index ("" when they agree)."""
    if not (n_chunks == len(dense) == dense.index.ntotal == len(columns.chunk_talk)):
        return f"{n_chunks} chunks, {len(dense)} vectors, {len(columns.chunk_talk)} chunk rows"
    if not (len(talk_dense) == n_talks == len(columns.group)):
        return f"{n_talks} talks, {len(talk_dense)} talk vectors, {len(columns.group)} talk rows"
    if notes_chunks + text_chunks > n_chunks:
        return f"the manifest counts {notes_chunks + text_chunks} chunks of notes, the index " \
               f"has {n_chunks}"
    sizes = (notes_chunks, text_chunks, n_chunks - notes_chunks - text_chunks)
    for index, size in zip(bm25s, sizes):
        if index is not None and int(index.scores["num_docs"]) != size:
            return f"a BM25 index has {int(index.scores['num_docs'])} passages for {size}"
    if n_chunks and not 0 <= int(columns.chunk_talk.min()) <= int(columns.chunk_talk.max()) \
            < n_talks:
        return f"a passage belongs to an unknown talk (row {int(columns.chunk_talk.max())} " \
               f"of {n_talks})"
    return ""


def cached_vectors(path: Path, model: str) -> dict[str, np.ndarray]:
    """Vectors of the previous index at `path` by chunk hash, if it was built with `model`
    (an index of schema 1 too: its vectors.npy and chunks.jsonl are written the same way)."""
    try:
        manifest = read_manifest(path, oldest=1)
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
