"""Where the bot keeps what outlives a request: in the process and a local file (one replica),
or in Redis when REDIS_URL is set (any number of replicas)."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from bot.feedback import FeedbackLog, FeedbackStore
from bot.redis_store import Outage, RedisEvents, RedisFeedback, check_redis, connect, redacted
from bot.retries import EventStore, SeenEvents
from bot.settings import Settings


@dataclass
class Stores:
    """The retry filter's event ids and the feedback votes; `client` when they are in Redis."""

    seen: EventStore
    feedback: FeedbackStore
    client: Redis | None = None

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()


def stores_for(settings: Settings) -> Stores:
    """Redis stores when REDIS_URL is set (connecting on first use), else the local ones."""
    local = FeedbackLog(settings.feedback_path)
    url = settings.secret("redis_url")
    if not url:
        return Stores(SeenEvents(), local)
    client = connect(url)
    outage = Outage(redacted(url))
    return Stores(RedisEvents(client, outage), RedisFeedback(client, outage, local), client)


def check_stores(settings: Settings) -> None:
    """At start-up: with REDIS_URL, Redis must answer PING (SettingsError otherwise)."""
    url = settings.secret("redis_url")
    if url:
        check_redis(url)
