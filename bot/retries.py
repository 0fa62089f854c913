"""Slack redelivers events it thinks we missed; this decides which deliveries to drop."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

# Slack retried because our first answer to the delivery was slow: it reached us (or a sibling).
IN_PROGRESS_REASONS = frozenset({"http_timeout", ""})


class SeenEvents:
    """Event ids delivered recently (bounded, with a time to live)."""

    def __init__(self, max_entries: int = 10_000, ttl: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ids: OrderedDict[str, float] = OrderedDict()
        self._max = max_entries
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()

    def add(self, event_id: str) -> bool:
        """Remember an event id; False when it was already there (a duplicate delivery)."""
        now = self._clock()
        with self._lock:
            while self._ids and next(iter(self._ids.values())) < now:
                self._ids.popitem(last=False)
            if event_id in self._ids:
                return False
            self._ids[event_id] = now + self._ttl
            while len(self._ids) > self._max:
                self._ids.popitem(last=False)
            return True


def should_drop(seen: SeenEvents, event_id: str, retry_num: str, retry_reason: str) -> bool:
    """True when a delivery must not be answered again.

    A delivery of an event id we have already seen is dropped. A retry (`X-Slack-Retry-Num`)
    is also dropped when Slack says the first delivery timed out, since that one is being
    answered; a retry after a failed connection of an event we never saw is answered, once.
    """
    retried = bool(retry_num.strip())
    if not event_id:
        return retried
    if not seen.add(event_id):
        return True
    return retried and retry_reason.strip() in IN_PROGRESS_REASONS
