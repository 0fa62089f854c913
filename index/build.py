"""`python -m index.build [--corpus DIR] [--out DIR]`: corpus -> chunks -> vectors -> index dir."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .search.bm25 import build_bm25
from .search.groups import ORDER, talk_group
from .catalog.attach import attach_catalog
from .catalog.entries import load_catalog
from .notes.chunking import chunk_talks, talk_header
from .notes.corpus import read_corpus
from .model.encoders import Encoder, encoder_for
from .errors import CorpusError, KubeconBotError
from .models import Talk
from .settings import load_index_settings
from .search.store import SCHEMA_VERSION, cached_vectors, write_index


@dataclass(frozen=True)
class BuildReport:
    out: Path
    notes: int
    talks: int
    chunks: int
    embedded: int
    reused: int
    seconds: float
    warnings: int

    def summary(self) -> str:
        return (f"built {self.out}: {self.notes} notes, {self.talks} talks, {self.chunks} chunks "
                f"({self.embedded} texts embedded, {self.reused} cached) in {self.seconds:.1f} s")


def chunk_hash(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\0{text}".encode("utf-8")).hexdigest()[:32]


def embed_with_cache(encoder: Encoder, texts: list[str], hashes: list[str],
                     cache: dict[str, np.ndarray],
                     progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, int]:
    """Vectors for texts, taking cached ones by hash; returns (vectors, number embedded)."""
    first: dict[str, int] = {}
    for i, h in enumerate(hashes):
        if h not in cache:
            first.setdefault(h, i)          # identical texts are embedded once
    todo = list(first.values())
    fresh = encoder.embed_documents([texts[i] for i in todo], progress=progress) if todo else None
    dim = fresh.shape[1] if fresh is not None else (
        next(iter(cache.values())).shape[0] if cache else encoder.dim)
    vectors = np.zeros((len(texts), dim), dtype=np.float32)
    if fresh is not None:
        cache = {**cache, **{hashes[i]: fresh[j] for j, i in enumerate(todo)}}
    for i, h in enumerate(hashes):
        vectors[i] = cache[h]
    return vectors, len(todo)


def _preload(encoder: Encoder) -> None:
    """Load what `vectors_id` needs (the ONNX model; nothing for torch, whose load is only
    worth it when there is something to embed). A failure surfaces again, in the caller's
    thread, when `vectors_id` is asked for there."""
    try:
        encoder.vectors_id
    except Exception:
        pass


def _bm25_indexes(notes: list[str], texts: list[str], catalog: list[str]
                  ) -> tuple[Any, Any, Any]:
    """Talks with notes, the notes' own text and catalog titles get separate BM25 statistics,
    so that thousands of one-line catalog entries, or a note's intro and travel diary, do not
    change how the talks are scored."""
    return (build_bm25(notes), build_bm25(texts) if texts else None,
            build_bm25(catalog) if catalog else None)


def _group_order(talk: Talk) -> int:
    """Chunks are stored by group (`search.groups.ORDER`)."""
    return ORDER.index(talk_group(talk))


def _with_catalog(talks: list[Talk], catalog_dir: Path, out: Path, log: Callable[[str], None]
                  ) -> tuple[list[Talk], dict[str, str], dict[str, str]]:
    """The talks matched to the official talk lists (then the catalog-only talks), the match
    report as extra index files, and the catalog files' hashes for the manifest."""
    entries = load_catalog(catalog_dir)
    talks, report = attach_catalog(talks, entries)
    extra_files = {"catalog-matches.txt": report.to_text(),
                   "catalog-matches.json": json.dumps(report.to_dict(), ensure_ascii=False,
                                                      indent=1)}
    corpus_dir = catalog_dir.parent
    hashes = {str(p.relative_to(corpus_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
              for p in sorted(catalog_dir.iterdir()) if p.suffix in (".jsonl", ".csv")}
    totals = {k: sum(c.get(k, 0) for c in report.counts().values())
              for k in ("matched", "unmatched", "ambiguous")}
    log(f"catalog: {len(entries)} entries; talks from notes: {totals['matched']} matched, "
        f"{totals['unmatched']} unmatched, {totals['ambiguous']} ambiguous "
        f"(report: {out}/catalog-matches.txt)")
    return talks, extra_files, hashes


def _embed(encoder: Encoder, texts: list[str], hashes: list[str],
           cache: dict[str, np.ndarray], bar_total: int) -> tuple[np.ndarray, int]:
    """(vectors, number embedded), with a progress bar of `bar_total` texts (none when 0)."""
    bar = None
    if bar_total:
        from tqdm import tqdm
        bar = tqdm(total=bar_total, desc="embedding chunks", unit="chunk", file=sys.stderr)
    try:
        return embed_with_cache(encoder, texts, hashes, cache,
                                progress=bar.update if bar else None)
    finally:
        if bar is not None:
            bar.close()


def _manifest(model: str, dim: int, vectors_id: str, corpus_dir: Path, files: dict[str, str],
              notes: int, talks: list[Talk], chunks: int, groups: tuple[int, int]
              ) -> dict[str, Any]:
    """The index's manifest (`groups`: the chunks of the talks with notes, of the notes' own
    text)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "built_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "model": {"name": model, "dim": dim, "vectors": vectors_id},
        "corpus": {"root": str(corpus_dir), "files": files},
        "counts": {"notes": notes, "talks": sum(t.is_talk for t in talks),
                   "chunks": chunks, "notes_chunks": groups[0], "text_chunks": groups[1],
                   "talks_with_notes": sum(1 for t in talks if t.has_notes and t.is_talk),
                   "note_texts": sum(not t.is_talk for t in talks)},
    }


def build_index(corpus_dir: Path, out: Path, encoder: Encoder, catalog: bool = True,
                show_progress: bool = True, log: Callable[[str], None] = print) -> BuildReport:
    """Build the index for a corpus; raises CorpusError (writing nothing) on bad notes.

    With `catalog`, talks are matched to the official talk lists in `<corpus>/catalog/`
    (recording links, official titles) and catalog talks without notes are indexed too."""
    start = time.perf_counter()
    # The encoder loads (an ONNX session: ~2 s) while the notes are read and matched.
    loading = threading.Thread(target=_preload, args=(encoder,), name="load-encoder", daemon=True)
    loading.start()
    corpus = read_corpus(corpus_dir)
    if corpus.errors:
        loading.join()
        raise CorpusError(list(corpus.problems))
    for warning in corpus.warnings:
        log(str(warning))
    talks = [t for n in corpus.notes for t in n.talks]
    extra_files: dict[str, str] = {}
    catalog_hashes: dict[str, str] = {}
    if catalog and (corpus_dir / "catalog").is_dir():
        talks, extra_files, catalog_hashes = _with_catalog(talks, corpus_dir / "catalog", out, log)
    # The notes' own text (intro, travel, thanks) is searchable too, never matched or cited
    # as a talk. Notes first: their chunks come first.
    talks += [t for n in corpus.notes for t in n.texts]
    talks.sort(key=_group_order)
    chunks = chunk_talks(talks)
    order = {t.id: _group_order(t) for t in talks}
    notes_chunks = sum(1 for c in chunks if order[c.talk_id] == 0)
    text_chunks = sum(1 for c in chunks if order[c.talk_id] == 1)
    # Chunks and talk headers are embedded together; both are cached by content hash.
    texts = [c.full_text for c in chunks] + [talk_header(t) for t in talks]
    n = len(chunks)
    # BM25 while the encoder loads: with the encoder running on every core it cost the
    # embedding twice its own time (bench/README.md).
    a, b = notes_chunks, notes_chunks + text_chunks
    bm25, bm25_texts, bm25_catalog = _bm25_indexes(texts[:a], texts[a:b], texts[b:n])
    loading.join()
    vectors_id = encoder.vectors_id         # the model and backend: vectors are cached per both
    hashes = [chunk_hash(vectors_id, t) for t in texts]
    cache = cached_vectors(out, encoder.name)
    todo = len({h for h in hashes if h not in cache})
    reused = len({h for h in hashes if h in cache})
    vectors, embedded = _embed(encoder, texts, hashes, cache, todo if show_progress else 0)
    vectors, talk_vectors = vectors[:n], vectors[n:]
    notes_with_talks = len(corpus.notes)
    manifest = _manifest(encoder.name, int(vectors.shape[1]), vectors_id, corpus_dir,
                         {**corpus.hashes, **catalog_hashes}, notes_with_talks, talks,
                         len(chunks), (notes_chunks, text_chunks))
    write_index(out, manifest, talks, chunks, hashes[:n], vectors, bm25,
                talk_vectors=talk_vectors, talk_hashes=hashes[n:], extra_files=extra_files,
                bm25_catalog=bm25_catalog, bm25_texts=bm25_texts)
    return BuildReport(out, notes_with_talks, sum(t.is_talk for t in talks), len(chunks), embedded,
                       reused, time.perf_counter() - start,
                       len(corpus.warnings))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.build", description=__doc__)
    parser.add_argument("--corpus", type=Path, default=None,
                        help="notes folder (default: $CORPUS_DIR or corpus)")
    parser.add_argument("--out", type=Path, default=None,
                        help="index folder (default: $INDEX_DIR or data/index)")
    parser.add_argument("--model", default=None,
                        help="sentence-transformers model (default: $EMBEDDING_MODEL or the "
                             "bundled multilingual-e5-small)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--no-catalog", action="store_true",
                        help="ignore the official talk lists in <corpus>/catalog/")
    args = parser.parse_args(argv)
    try:
        settings = load_index_settings()
    except KubeconBotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    corpus_dir = args.corpus or settings.corpus_dir
    out = args.out or settings.index_dir
    model = args.model or settings.embedding_model
    if not corpus_dir.is_dir():
        print(f"error: corpus folder {corpus_dir} does not exist; pass --corpus DIR",
              file=sys.stderr)
        return 1
    try:
        report = build_index(corpus_dir, out, encoder_for(settings, model),
                             catalog=not args.no_catalog,
                             show_progress=not args.quiet,
                             log=lambda m: print(m, file=sys.stderr))
    except CorpusError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        print(f"error: the corpus has {sum(p.severity == 'error' for p in exc.problems)} "
              f"problem(s); fix them (see `python -m index.check`) and build again. "
              f"The previous index at {out} is unchanged.", file=sys.stderr)
        return 1
    except KubeconBotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except PermissionError as exc:
        print(f"error: cannot write the index ({exc.strerror}: {exc.filename}); pass --out DIR "
              f"with a folder you can write to. The previous index at {out} is unchanged.",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"interrupted; the previous index at {out} is unchanged", file=sys.stderr)
        return 130
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
