"""Shared command-line plumbing: loading the retriever with friendly errors."""

from __future__ import annotations

import sys
from pathlib import Path

from .settings import default_catalog_results, default_index_dir, default_model
from .errors import KubeconBotError
from .search.retriever import Retriever, load_retriever


def open_retriever(index_dir: Path | None, model: str | None = None) -> Retriever | None:
    """The retriever, or None after printing what went wrong and what to do."""
    path = index_dir or default_index_dir()
    try:
        return load_retriever(path, model or default_model(),
                              catalog_results=default_catalog_results())
    except (KubeconBotError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
