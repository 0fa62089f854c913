"""Logging: text or JSON lines, hashed user ids, one line per answered question, error ids."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

ANSWERS = logging.getLogger("bot.answers")
QUIET_LIBRARIES = ("faiss.loader",)
# Loggers of code we do not write that may put a request or a payload into a message: Bolt
# (under its own names and the app's logger, `bot.app`), the Slack SDK and aiohttp.
LIBRARIES = ("slack_bolt", "slack_sdk", "aiohttp", "bot.app", "kubecon-bot")
# Where a library message starts to carry data: a body, a payload, a dict, form fields.
DATA_MARKERS = ("body", "payload", "{", "response_url", "user_name", "user_id", "token=",
                "text=", "&")
MAX_MESSAGE = 1000

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, any `extra=` fields, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


class RedactingFilter(logging.Filter):
    """Keeps request bodies out of the log whatever the libraries log: at INFO and above, a
    library message is cut where data starts; every message is capped at MAX_MESSAGE."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.levelno >= logging.INFO and _from_library(record.name):
            cut = min((i + len(m) for m in DATA_MARKERS if (i := message.find(m)) >= 0),
                      default=-1)
            if cut >= 0:
                message = f"{message[:min(cut, MAX_MESSAGE)]} [redacted, {len(message)} chars]"
        if len(message) > MAX_MESSAGE:
            message = f"{message[:MAX_MESSAGE]} [cut, {len(message)} chars]"
        if message != record.getMessage():
            record.msg, record.args = message, None
        return True


def _from_library(name: str) -> bool:
    return any(name == lib or name.startswith((lib + ".", lib + ":")) for lib in LIBRARIES)


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Configure the root logger once, on stderr, through the RedactingFilter."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Libraries' start-up chatter ("Loading faiss with AVX2 support.") only when debugging.
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET if root.level <= logging.DEBUG
                                         else logging.WARNING)


def hash_user(user_id: str, salt: str = "") -> str:
    """A short stable pseudonym for a Slack user id (HMAC-SHA256 when a salt is configured)."""
    data = user_id.encode()
    digest = (hmac.new(salt.encode(), data, hashlib.sha256) if salt else hashlib.sha256(data))
    return digest.hexdigest()[:16]


def new_error_id() -> str:
    """A short id the user can quote and the log can be searched for."""
    return secrets.token_hex(4)


def log_answer(*, user: str, surface: str, latency_ms: int, talks: Sequence[str],
               offset: int = 0, outcome: str = "answered") -> None:
    """The one line per answered question: hashed user, latency, talks cited; no question text."""
    fields = {"event": "answer", "outcome": outcome, "user": user, "surface": surface,
              "latency_ms": latency_ms, "talks": list(talks), "offset": offset}
    ANSWERS.info("%s surface=%s user=%s latency_ms=%d offset=%d talks=%s", outcome, surface,
                 user, latency_ms, offset, ",".join(talks) or "-", extra=fields)
