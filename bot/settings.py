"""Settings from the environment (and `.env`), and the start-up checks that go with a mode."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import NoDecode

from index.search.store import read_manifest
from index.settings import IndexSettings

SOCKET = "socket"
HTTP = "http"
TERMINAL = "terminal"


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line saying what to set or run."""


class Settings(IndexSettings):
    """Every setting of the bot: the index settings it shares with the index commands, and
    Slack's; environment variables win over `.env`.

    An empty value (`PORT=` in the environment or in `.env`) counts as unset: the next source,
    or the default, applies."""

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_command: str = "/kubecon"
    slack_api_url: str = "https://slack.com/api/"
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=0, le=65535)
    metrics_port: int | None = Field(default=None, ge=0, le=65535)   # Socket Mode's probes
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    feedback_path: Path = Path("data/feedback.jsonl")
    user_hash_salt: SecretStr | None = None
    auto_answer_channels: Annotated[tuple[str, ...], NoDecode] = ()
    shutdown_grace: float = Field(default=20.0, ge=0, le=3600)
    # Shared by every replica: retry de-duplication and feedback votes (None: in the process).
    redis_url: SecretStr | None = None
    # Seconds between looks at INDEX_DIR's manifest for a newly built index (0: never).
    index_reload_seconds: float = Field(default=10.0, ge=0, le=86400)

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _normalise_case(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        return value.strip().upper() if info.field_name == "log_level" else value.strip().lower()

    @field_validator("auto_answer_channels", mode="before")
    @classmethod
    def _channel_ids(cls, value: object) -> object:
        """`C0123,C0456` (commas or spaces) into channel ids."""
        if isinstance(value, str):
            return tuple(part for part in value.replace(",", " ").split() if part)
        return value

    @field_validator("slack_command")
    @classmethod
    def _slash(cls, value: str) -> str:
        value = value.strip()
        return value if value.startswith("/") else "/" + value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip().startswith(
                ("redis://", "rediss://", "unix://")):
            raise ValueError("must be a Redis URL such as redis://redis:6379/0")
        return value

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token",
                     "user_hash_salt", "redis_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """Whitespace-only (env_ignore_empty drops only "") or explicitly passed "": None."""
        return None if isinstance(value, str) and not value.strip() else value

    def secret(self, name: str) -> str:
        """The value of a secret setting, or "" when it is not set."""
        value = getattr(self, name)
        return value.get_secret_value().strip() if value is not None else ""


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; a malformed value becomes one SettingsError line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]).upper() if first.get("loc") else "a setting"
        raise SettingsError(f"{field} is invalid: {first['msg']}") from None


def choose_mode(settings: Settings, http: bool) -> str:
    """`http` with --http, `socket` when SLACK_APP_TOKEN is set, otherwise `terminal`."""
    if http:
        return HTTP
    if settings.slack_app_token is not None:
        return SOCKET
    if settings.slack_bot_token is not None:
        raise SettingsError("SLACK_APP_TOKEN is not set: set it (xapp-…) for Socket Mode, "
                            "or pass --http for HTTP mode")
    return TERMINAL


def _check_token(settings: Settings, name: str, prefix: str, purpose: str) -> None:
    value = settings.secret(name)
    env = name.upper()
    if not value:
        raise SettingsError(f"{env} is not set: set it to {purpose} ({prefix}…) {_where(name)}")
    if not value.startswith(prefix):
        raise SettingsError(f"{env} does not look like {purpose.replace('the ', 'a ', 1)}: "
                            f"it should start with {prefix}")


def _where(name: str) -> str:
    return {"slack_bot_token": "from OAuth & Permissions in your Slack app settings",
            "slack_app_token": "from Basic Information > App-Level Tokens (scope connections:write)",
            }.get(name, "")


def check_slack(settings: Settings, mode: str) -> None:
    """Raise SettingsError when the tokens for the chosen mode are missing or malformed."""
    if mode == SOCKET:
        _check_token(settings, "slack_app_token", "xapp-", "the Slack app-level token")
        _check_token(settings, "slack_bot_token", "xoxb-", "the Slack bot token")
    elif mode == HTTP:
        _check_token(settings, "slack_bot_token", "xoxb-", "the Slack bot token")
        if not settings.secret("slack_signing_secret"):
            raise SettingsError("SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify "
                                "requests (Basic Information > App Credentials > Signing Secret)")


def check_index(index_dir: Path) -> None:
    """Raise the index error (IndexMissingError, ...) when there is no readable index where
    INDEX_DIR points: the one check the index commands make too."""
    read_manifest(index_dir)


def terminal_help() -> str:
    """What to set when there is neither a Slack token nor a terminal to prompt in."""
    return ("No Slack tokens and no terminal: set SLACK_APP_TOKEN (xapp-…) and SLACK_BOT_TOKEN "
            "(xoxb-…) for Socket Mode, or SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET and pass "
            "--http; or run `python -m bot ask \"question\"`")
