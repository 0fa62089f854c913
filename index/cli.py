"""Shared command-line plumbing: the settings and the retriever, with friendly errors."""

from __future__ import annotations

import sys
from pathlib import Path

from .errors import KubeconBotError
from .search.retriever import Retriever, retriever_for
from .settings import load_index_settings


def open_retriever(index_dir: Path | None, model: str | None = None) -> Retriever | None:
    """The retriever the settings describe (`index_dir` and `model` override INDEX_DIR and
    EMBEDDING_MODEL), or None after printing what went wrong and what to do."""
    try:
        return retriever_for(load_index_settings(), index_dir, model)
    except (KubeconBotError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
