"""Helpful / not helpful votes, appended to a local JSONL file."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import datetime, timezone
from pathlib import Path

from index.models import Feedback


class FeedbackLog:
    """Appends one JSON line per vote: time, hashed user, question, cited talk ids, verdict."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, feedback: Feedback) -> None:
        record = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "user": feedback.user_hash,
            "helpful": feedback.helpful,
            "question": feedback.question,
            "talk_ids": list(feedback.talk_ids),
            **feedback.extra,
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)

    async def record(self, feedback: Feedback) -> None:
        """Write off the event loop."""
        await asyncio.to_thread(self.write, feedback)
