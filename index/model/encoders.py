"""The encoder boundary: embed_documents / embed_query, with sentence-transformers behind it.

Two backends run the same model: ``torch`` (sentence-transformers) and ``onnx-int8``
(the model's transformer exported once to ONNX, fused by onnxruntime's BERT optimiser and
dynamically quantised to int8, cached next to the model (``index.model.onnx_export``); run with
onnxruntime, without importing torch). The ``backend`` argument of :func:`make_encoder`
(the ``EMBEDDING_BACKEND`` setting) chooses (onnx-int8 by default: 1.9-3.6x faster
documents and 3.4-5.8x faster queries at the same dev-set recall; bench/README.md). Both give the
same model name, so an index built with one can be queried with the other (vectors agree at
cosine >= 0.994), but their vectors are cached apart (``vectors_id``)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import ModelUnavailableError
from ..settings import BACKENDS, DEFAULT_BACKEND, ONNX_INT8, IndexSettings
from .onnx_export import ONNX_EXPORT_VERSION, ensure_onnx_int8, has_onnx_int8, st_spec


class Encoder(Protocol):
    name: str

    @property
    def vectors_id(self) -> str:
        """What produced the vectors (model and backend): part of the embedding cache key."""
        ...

    @property
    def dim(self) -> int: ...

    def embed_documents(self, texts: list[str], progress: Callable[[int], None] | None = None
                        ) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class SentenceTransformerEncoder:
    """Any sentence-transformers model; loaded lazily, on the CPU, offline-friendly."""

    def __init__(self, name: str, batch_size: int = 32, cache_dir: Path | None = None) -> None:
        self.name = name
        self.batch_size = batch_size
        self.cache_dir = cache_dir       # where the bundled model is converted to (None: default)
        self._model = None
        self._lock = threading.Lock()
        self._prompts: tuple[str | None, str | None] = (None, None)

    def _load(self):  # -> SentenceTransformer
        with self._lock:
            if self._model is None:
                from .cache import resolve_model
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                SentenceTransformer = _sentence_transformer_class()
                path = resolve_model(self.name, self.cache_dir)
                model = SentenceTransformer(path, device="cpu")
                prompts = getattr(model, "prompts", {}) or {}
                self._prompts = ("query" if "query" in prompts else None,
                                 "passage" if "passage" in prompts else
                                 "document" if "document" in prompts else None)
                self._model = model
        return self._model

    @property
    def vectors_id(self) -> str:
        return self.name

    @property
    def dim(self) -> int:
        model = self._load()
        get = getattr(model, "get_embedding_dimension", None) or \
            model.get_sentence_embedding_dimension
        return int(get())

    def embed_documents(self, texts: list[str], progress: Callable[[int], None] | None = None
                        ) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Batches of similar length (longest first), as SentenceTransformer.encode does over
        # one call: batching in corpus order pads short chunks to long ones.
        order = _length_order(texts)
        out = np.zeros((len(texts), 0), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            rows = order[i:i + self.batch_size]
            vecs = model.encode([texts[j] for j in rows], prompt_name=self._prompts[1],
                                batch_size=self.batch_size, normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=False)
            vecs = np.asarray(vecs, dtype=np.float32)
            if out.shape[1] == 0:
                out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
            out[rows] = vecs
            if progress:
                progress(len(rows))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        model = self._load()
        vec = model.encode([text], prompt_name=self._prompts[0], normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vec[0], dtype=np.float32)


def _sentence_transformer_class() -> Any:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:      # a serving install: onnxruntime only
        raise ModelUnavailableError(
            f"the torch backend needs sentence-transformers ({exc.name} is not installed): "
            f"use EMBEDDING_BACKEND=onnx-int8, or install the build extra "
            f"(pip install 'kubecon-bot[build]', CPU torch first, as ./run does)") from exc
    return SentenceTransformer


def _length_order(texts: list[str]) -> np.ndarray:
    return np.argsort([-len(t) for t in texts], kind="stable")


logger = logging.getLogger(__name__)


# One question is a single short sequence: on one thread it encodes faster than on two (4.5
# against 4.9 ms p50 for the dev questions on 2 cores, bench/README.md) and leaves the other
# core to the rest of the search and to other questions.
QUERY_THREADS = 1


class OnnxEncoder:
    """The same sentence-transformers model run by onnxruntime, int8-quantised.

    Supports the usual embedding models: a BERT-style transformer, mean or CLS pooling and an
    optional L2 normalisation (others raise ValueError). The first use exports and quantises
    the model into ``<model folder>.onnx-int8-v<N>/`` (needs torch, onnx and onnxruntime, about
    a minute); later uses need only onnxruntime, sentencepiece (``index.model.spm``; tokenizers
    when its model is missing) and the export with the model folder's small files (not its
    weights): the serving install and image have no torch."""

    def __init__(self, name: str, batch_size: int = 64, threads: int = 0,
                 strict: bool = True, token_budget: int = 1024,
                 cache_dir: Path | None = None) -> None:
        self.name = name
        self.batch_size = batch_size         # at most this many texts in one run ...
        self.token_budget = token_budget     # ... and about this many tokens, padding included
        self.strict = strict     # False: fall back to torch when ONNX cannot run this model
        self._fallback: SentenceTransformerEncoder | None = None
        self.cache_dir = cache_dir       # where the bundled model is converted to (None: default)
        self.threads = threads or max(1, min(os.cpu_count() or 1, 4))   # 0: the CPUs, at most 4
        self._lock = threading.Lock()
        self._sessions: dict[int, Any] = {}    # by intra-op threads: documents', queries'
        self._path: Path | None = None
        self._tokenizer: Any = None
        self._prompts: tuple[str, str] = ("", "")
        self._dim = 0
        self._pad_id = 0

    def _load(self, threads: int = 0) -> Any:
        """The session with `threads` intra-op threads (0: any open one, else `self.threads`),
        opened on first use; None when falling back to torch."""
        with self._lock:
            if self._fallback is None and not self._sessions:
                try:
                    self._open(threads or self.threads)
                except Exception as exc:   # no onnxruntime, unsupported model, export failed
                    if self.strict:
                        raise
                    logger.warning("the onnx-int8 backend cannot run %s (%s); using torch",
                                   self.name, exc)
                    self._fallback = SentenceTransformerEncoder(self.name, self.batch_size,
                                                                self.cache_dir)
            if self._fallback is not None:
                return None
            if not threads:
                return next(iter(self._sessions.values()))
            if threads not in self._sessions:
                import onnxruntime as ort
                assert self._path is not None
                self._sessions[threads] = self._session_for(ort, self._path, threads)
            return self._sessions[threads]

    def _open(self, threads: int) -> None:
        from .cache import resolve_model
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import onnxruntime as ort

        from .spm import load_tokenizer
        # A converted folder without its weights serves if its export is there (the image).
        folder = Path(resolve_model(self.name, self.cache_dir, servable=has_onnx_int8))
        if not folder.is_dir():
            raise ValueError(f"the onnx-int8 backend needs a local model folder, "
                             f"not {self.name!r}; use EMBEDDING_BACKEND=torch")
        spec = st_spec(folder)
        path = ensure_onnx_int8(folder, spec)
        # The tokenizer (SentencePiece, or tokenizers without its .model: index.model.spm)
        # loads in a thread while the session opens: onnxruntime releases the GIL for most of
        # its load (the tokenizer holds it).
        with ThreadPoolExecutor(1, thread_name_prefix="load-tokenizer") as pool:
            tokenizer = pool.submit(load_tokenizer, folder, spec["max_seq_length"])
            session = self._session_for(ort, path, threads)
            self._tokenizer = tokenizer.result()
        self._pad_id = spec["pad_id"]
        self._prompts = (spec["prompts"].get("query", ""),
                         spec["prompts"].get("passage",
                                             spec["prompts"].get("document", "")))
        self._dim = spec["dim"]
        self._path = path
        self._sessions[threads] = session

    @staticmethod
    def _session_for(ort: Any, path: Path, threads: int) -> Any:
        ort.disable_telemetry_events()      # an offline bot sends nothing anywhere
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        # Busy-waiting worker threads cost more than they save on a shared small box.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    @property
    def vectors_id(self) -> str:
        self._load()
        if self._fallback:
            return self._fallback.vectors_id
        return f"{self.name} ({ONNX_INT8} v{ONNX_EXPORT_VERSION})"

    @property
    def dim(self) -> int:
        self._load()
        return self._fallback.dim if self._fallback else self._dim

    def _run(self, session: Any, token_ids: list[list[int]]) -> np.ndarray:
        ids, mask = padded(token_ids, self._pad_id)
        out = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return np.asarray(out, dtype=np.float32)

    def embed_documents(self, texts: list[str], progress: Callable[[int], None] | None = None
                        ) -> np.ndarray:
        session = self._load(self.threads)
        if self._fallback:
            return self._fallback.embed_documents(texts, progress)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        tokens = self._tokenizer.encode_batch([self._prompts[1] + t for t in texts])
        for rows in token_batches([len(t) for t in tokens], self.token_budget, self.batch_size):
            out[rows] = self._run(session, [tokens[j] for j in rows])
            if progress:
                progress(len(rows))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One question, on a session of its own with QUERY_THREADS threads (the bot opens only
        that one; a process that also embeds documents opens both, about 70 MB more)."""
        return self.prepared_query(text)()

    def prepared_query(self, text: str) -> Callable[[], np.ndarray]:
        """`embed_query` in two steps: the question tokenized now, and a function that runs
        the model on it, releasing the GIL while it runs (a caller can start other work in
        a thread between the two, and that work will not wait for the tokenizer)."""
        session = self._load(QUERY_THREADS)
        if self._fallback:
            fallback = self._fallback
            return lambda: fallback.embed_query(text)
        ids, mask = padded([self._tokenizer.encode(self._prompts[0] + text)], self._pad_id)
        return lambda: np.asarray(
            session.run(None, {"input_ids": ids, "attention_mask": mask})[0], np.float32)[0]


def padded(token_ids: list[list[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(input ids, attention mask) of one batch, padded to its longest text."""
    width = max(len(t) for t in token_ids)
    ids = np.full((len(token_ids), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(token_ids), width), dtype=np.int64)
    for row, t in enumerate(token_ids):
        ids[row, :len(t)] = t
        mask[row, :len(t)] = 1
    return ids, mask


def token_batches(lengths: list[int], budget: int, most: int) -> list[list[int]]:
    """Indexes of texts in batches, longest first: each batch has at most `most` texts and,
    padded to its longest, at most `budget` tokens (a longer text goes alone). Small batches of
    similar lengths waste little on padding; on 2 cores, 1,024 tokens ran 1.3x faster than
    batches of 32 texts (bench/README.md)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches, i = [], 0
    while i < len(order):
        n = max(1, min(most, budget // max(1, lengths[order[i]])))
        batches.append(order[i:i + n])
        i += n
    return batches


def make_encoder(name: str, backend: str | None = None, threads: int = 0,
                 cache_dir: Path | None = None) -> Encoder:
    """The encoder for a model name; `backend` picks torch or onnx-int8 (None: the default,
    onnx-int8). When onnx-int8 is only the default (not asked for) and onnxruntime is missing or
    the model is not one it supports, the torch backend is used, with a warning. `threads`: the
    onnx-int8 backend's threads (0: the CPUs, at most 4); `cache_dir`: where the bundled model
    is converted to (None: the default cache)."""
    explicit = bool(backend)
    backend = backend or DEFAULT_BACKEND
    if backend not in BACKENDS:
        raise ValueError(f"unknown encoder backend {backend!r}: choose one of "
                         f"{', '.join(BACKENDS)}")
    if backend == ONNX_INT8:
        return OnnxEncoder(name, threads=threads, strict=explicit, cache_dir=cache_dir)
    return SentenceTransformerEncoder(name, cache_dir=cache_dir)


def encoder_for(settings: IndexSettings, model: str | None = None) -> Encoder:
    """The encoder the settings describe, for `model` (default EMBEDDING_MODEL)."""
    return make_encoder(model or settings.embedding_model, settings.embedding_backend,
                        settings.embedding_threads, settings.model_cache)
