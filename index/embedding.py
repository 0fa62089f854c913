"""The encoder boundary: embed_documents / embed_query, with sentence-transformers behind it."""

from __future__ import annotations

import os
import threading
from typing import Callable, Protocol

import numpy as np


class Encoder(Protocol):
    name: str

    @property
    def dim(self) -> int: ...

    def embed_documents(self, texts: list[str], progress: Callable[[int], None] | None = None
                        ) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class SentenceTransformerEncoder:
    """Any sentence-transformers model; loaded lazily, on the CPU, offline-friendly."""

    def __init__(self, name: str, batch_size: int = 32) -> None:
        self.name = name
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()
        self._prompts: tuple[str | None, str | None] = (None, None)

    def _load(self):  # -> SentenceTransformer
        with self._lock:
            if self._model is None:
                from .e5model import resolve_model
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                from sentence_transformers import SentenceTransformer
                path = resolve_model(self.name)
                model = SentenceTransformer(path, device="cpu")
                prompts = getattr(model, "prompts", {}) or {}
                self._prompts = ("query" if "query" in prompts else None,
                                 "passage" if "passage" in prompts else
                                 "document" if "document" in prompts else None)
                self._model = model
        return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        get = getattr(model, "get_embedding_dimension", None) or \
            model.get_sentence_embedding_dimension
        return int(get())

    def embed_documents(self, texts: list[str], progress: Callable[[int], None] | None = None
                        ) -> np.ndarray:
        model = self._load()
        out = []
        for i in range(0, len(texts), self.batch_size):
            batch = texts[i:i + self.batch_size]
            vecs = model.encode(batch, prompt_name=self._prompts[1], batch_size=self.batch_size,
                                normalize_embeddings=True, convert_to_numpy=True,
                                show_progress_bar=False)
            out.append(np.asarray(vecs, dtype=np.float32))
            if progress:
                progress(len(batch))
        if not out:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack(out)

    def embed_query(self, text: str) -> np.ndarray:
        model = self._load()
        vec = model.encode([text], prompt_name=self._prompts[0], normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vec[0], dtype=np.float32)


def make_encoder(name: str) -> Encoder:
    return SentenceTransformerEncoder(name)
