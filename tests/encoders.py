"""A deterministic fake encoder for fast tests: bag of hashed words, L2-normalised."""

from __future__ import annotations

import hashlib
import re
from typing import Callable

import numpy as np

DIM = 64


def word_vector(word: str) -> np.ndarray:
    """+1 in one dimension chosen by the word's md5 (computable by hand in a test)."""
    v = np.zeros(DIM, dtype=np.float32)
    v[int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] = 1.0
    return v


def fake_embed(text: str) -> np.ndarray:
    v = np.zeros(DIM, dtype=np.float32)
    for w in re.findall(r"\w+", text.lower()):
        v += word_vector(w)
    n = np.linalg.norm(v)
    return v / n if n else v


class FakeEncoder:
    def __init__(self, name: str = "fake-encoder", vectors_id: str | None = None) -> None:
        self.name = name
        self.vectors_id = vectors_id or name     # another backend of the same model: another id
        self.embedded: list[str] = []      # every document text embedded, for cache tests

    @property
    def dim(self) -> int:
        return DIM

    def embed_documents(self, texts: list[str], progress: Callable[[int], None] | None = None
                        ) -> np.ndarray:
        self.embedded.extend(texts)
        if progress:
            progress(len(texts))
        return np.array([fake_embed(t) for t in texts], dtype=np.float32).reshape(len(texts), DIM)

    def embed_query(self, text: str) -> np.ndarray:
        return fake_embed(text)
