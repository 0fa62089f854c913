"""What replicas share through Redis (REDIS_URL): the event ids Slack delivered, so that a retry
reaching another replica is not answered twice, and the feedback votes, so that they outlive
the pod that took them.

Redis blinking must never cost a user an answer: when a command fails, one warning is logged,
this replica uses its own store (its `SeenEvents`, its FEEDBACK_PATH file) for `retry_after`
seconds, then asks Redis again; one line says when Redis answers again."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.asyncio import Redis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot.feedback import FeedbackLog, parse_records, vote_record
from bot.retries import EVENT_TTL, SeenEvents
from bot.settings import SettingsError
from index.models import Feedback

logger = logging.getLogger("bot.redis")

PREFIX = "kubecon-bot"          # every key: kubecon-bot:event:<event id>, kubecon-bot:feedback
TIMEOUT = 1.0                   # seconds per command: the retry filter runs before Slack's ack
RETRY_AFTER = 5.0               # seconds on the local store after a failure
ERRORS = (redis.RedisError, OSError, asyncio.TimeoutError)


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def connect(url: str, timeout: float = TIMEOUT) -> Redis:
    """An asyncio client that gives up after `timeout` and never retries on its own (the
    stores fall back instead); it connects on first use."""
    return Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                          retry=AsyncRetry(NoBackoff(), 0), decode_responses=True)


def check_redis(url: str, timeout: float = 3.0) -> None:
    """PING once; a SettingsError line saying what to check when Redis cannot be reached."""
    try:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                      retry=Retry(NoBackoff(), 0))
    except ValueError as exc:
        raise SettingsError(f"REDIS_URL {redacted(url)} is not a Redis URL ({exc}): write it as "
                            "redis://[:password@]host:6379/0") from None
    try:
        client.ping()
    except ERRORS as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SettingsError(
            f"REDIS_URL {redacted(url)} cannot be reached ({reason}): check that Redis is "
            "running and the URL's host, port, database and password, or unset REDIS_URL "
            "(then run one replica)") from None
    finally:
        client.close()


class Outage:
    """Whether Redis failed lately: one warning when it does, one line when it is back."""

    def __init__(self, where: str, retry_after: float = RETRY_AFTER,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.where = where
        self.retry_after = retry_after
        self._clock = clock
        self._until: float | None = None

    def skip(self) -> bool:
        """True while Redis should not be asked (it failed less than `retry_after` ago)."""
        return self._until is not None and self._clock() < self._until

    def failed(self, exc: BaseException) -> None:
        if self._until is None:
            logger.warning("Redis at %s is unreachable (%s): this replica uses its own store "
                           "(retries reaching other replicas may be answered twice, votes go to "
                           "FEEDBACK_PATH) and asks again every %gs", self.where,
                           str(exc) or type(exc).__name__, self.retry_after)
        self._until = self._clock() + self.retry_after

    def ok(self) -> None:
        if self._until is not None:
            logger.warning("Redis at %s answers again: shared store back in use", self.where)
        self._until = None


class RedisEvents:
    """Event ids in Redis, `SET <prefix>:event:<id> 1 NX EX <ttl>`: the first replica to set
    it answers; the local `SeenEvents` stands in while Redis is unreachable."""

    def __init__(self, client: Redis, outage: Outage, prefix: str = PREFIX,
                 ttl: int = EVENT_TTL, local: SeenEvents | None = None) -> None:
        self.client = client
        self.outage = outage
        self.prefix = prefix
        self.ttl = ttl
        self.local = local or SeenEvents(ttl=ttl)

    def key(self, event_id: str) -> str:
        return f"{self.prefix}:event:{event_id}"

    async def first_delivery(self, event_id: str) -> bool:
        if not self.outage.skip():
            try:
                added = await self.client.set(self.key(event_id), 1, nx=True, ex=self.ttl)
            except ERRORS as exc:
                self.outage.failed(exc)
            else:
                self.outage.ok()
                return bool(added)
        return self.local.add(event_id)


class RedisFeedback:
    """Votes as a Redis list `<prefix>:feedback`, one JSON record (`vote_record`) each, oldest
    first; a vote that cannot reach Redis goes to the local file instead of being lost."""

    def __init__(self, client: Redis, outage: Outage, local: FeedbackLog, prefix: str = PREFIX) -> None:
        self.client = client
        self.outage = outage
        self.local = local
        self.key = f"{prefix}:feedback"

    async def record(self, feedback: Feedback) -> None:
        if not self.outage.skip():
            try:
                await self.client.rpush(self.key, json.dumps(vote_record(feedback), ensure_ascii=False))
            except ERRORS as exc:
                self.outage.failed(exc)
            else:
                self.outage.ok()
                return
        logger.warning("a vote went to %s: Redis is unreachable", self.local.path)
        await self.local.record(feedback)

    async def records(self) -> list[dict[str, Any]]:
        lines: list[str] = await self.client.lrange(self.key, 0, -1)  # type: ignore[misc]
        return parse_records(lines, self.describe())

    def describe(self) -> str:
        return f"{self.outage.where} (list {self.key})"
