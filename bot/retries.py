"""Slack redelivers events it thinks we missed; this decides which deliveries to drop.

Which event ids were seen is kept by an `EventStore`: `SeenEvents` in the process (one
replica), or `bot.redis_store.RedisEvents` shared by every replica (REDIS_URL)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

# How long an event id is remembered: Slack retries within minutes.
EVENT_TTL = 3600

# Slack retried because our first answer to the delivery was slow: it reached us (or a sibling).
IN_PROGRESS_REASONS = frozenset({"http_timeout", ""})


class EventStore(Protocol):
    """Where the event ids delivered recently are remembered."""

    async def first_delivery(self, event_id: str) -> bool:
        """Remember an event id; False when it was already there (a duplicate delivery)."""
        ...


class SeenEvents:
    """Event ids delivered recently (bounded, with a time to live), in this process."""

    def __init__(self, max_entries: int = 10_000, ttl: float = EVENT_TTL,
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

    async def first_delivery(self, event_id: str) -> bool:
        return self.add(event_id)


def drop_verdict(first: bool | None, retry_num: str, retry_reason: str) -> bool:
    """True when a delivery must not be answered again; `first` says whether its event id was
    new (None: the request has no event id, as commands and clicks).

    A delivery of an event id we have already seen is dropped. A retry (`X-Slack-Retry-Num`)
    is also dropped when Slack says the first delivery timed out, since that one is being
    answered; a retry after a failed connection of an event we never saw is answered, once.
    """
    retried = bool(retry_num.strip())
    if first is None:
        return retried
    if not first:
        return True
    return retried and retry_reason.strip() in IN_PROGRESS_REASONS


def should_drop(seen: SeenEvents, event_id: str, retry_num: str, retry_reason: str) -> bool:
    """`drop_verdict` with the in-process store."""
    return drop_verdict(seen.add(event_id) if event_id else None, retry_num, retry_reason)


async def should_drop_shared(seen: EventStore, event_id: str, retry_num: str,
                             retry_reason: str) -> bool:
    """`drop_verdict` with any store (the middleware's: it may be Redis)."""
    first = await seen.first_delivery(event_id) if event_id else None
    return drop_verdict(first, retry_num, retry_reason)
