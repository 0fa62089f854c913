"""Helpful / not helpful votes: one record per vote, appended to a local JSONL file
(`FeedbackLog`, one replica) or to Redis (`bot.redis_store.RedisFeedback`, REDIS_URL)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from index.models import Feedback

logger = logging.getLogger("bot.feedback")


class FeedbackStore(Protocol):
    """Where votes go, and where `python -m bot feedback export` reads them back."""

    async def record(self, feedback: Feedback) -> None: ...

    async def records(self) -> list[dict[str, Any]]:
        """Every vote, oldest first."""
        ...

    def describe(self) -> str:
        """Where the votes are, for messages (no password)."""
        ...


def vote_record(feedback: Feedback, now: datetime | None = None) -> dict[str, Any]:
    """The stored form of a vote: time, hashed user, question, cited talk ids, verdict, extras."""
    when = now or datetime.now(timezone.utc)
    return {
        "time": when.isoformat(timespec="seconds"),
        "user": feedback.user_hash,
        "helpful": feedback.helpful,
        "question": feedback.question,
        "talk_ids": list(feedback.talk_ids),
        **feedback.extra,
    }


def parse_records(lines: list[str], where: str) -> list[dict[str, Any]]:
    """JSON records, one a line; a damaged line (a write cut short) is skipped with a warning."""
    out: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict):
            out.append(record)
        else:
            logger.warning("skipped vote %d of %s: not a JSON object", number, where)
    return out


class FeedbackLog:
    """Appends one JSON line per vote (`vote_record`) to a file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, feedback: Feedback) -> None:
        line = json.dumps(vote_record(feedback), ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)

    async def record(self, feedback: Feedback) -> None:
        """Write off the event loop."""
        await asyncio.to_thread(self.write, feedback)

    def read(self) -> list[dict[str, Any]]:
        """Every vote in the file; none when there is no file yet."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return parse_records(text.splitlines(), str(self.path))

    async def records(self) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.read)

    def describe(self) -> str:
        return str(self.path)
