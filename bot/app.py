"""The Bolt app factory: one AsyncApp with every listener registered."""

from __future__ import annotations

import logging
import secrets

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.answering import Answerer
from bot.buttons import ValueStore
from bot.listeners import register_listeners
from bot.listeners.home import HomeFacts
from bot.metrics import Metrics
from bot.search import CurrentRetriever, Retriever, Searcher, current
from bot.settings import Settings
from bot.shutdown import Inflight
from bot.stores import Stores, stores_for


def web_client(settings: Settings) -> AsyncWebClient:
    """A Web API client with the bot token, pointed at SLACK_API_URL."""
    client = AsyncWebClient(token=settings.secret("slack_bot_token") or None,
                            base_url=settings.slack_api_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client


def create_app(settings: Settings, retriever: Retriever | CurrentRetriever,
               client: AsyncWebClient | None = None, *, values: ValueStore | None = None,
               inflight: Inflight | None = None, metrics: Metrics | None = None,
               stores: Stores | None = None) -> AsyncApp:
    """An AsyncApp answering from `retriever` (a CurrentRetriever: whichever is current when a
    question arrives); pass `client` to talk to another Slack (tests), `inflight` to track the
    questions being answered (for a graceful shutdown), `metrics` to count into the server's
    metrics (`ServerState.metrics`, which /metrics shows), `stores` for the event ids and votes
    (default: Redis with REDIS_URL, else in the process and a file)."""
    live = current(retriever)
    client = client or web_client(settings)
    if client.token is None:
        client.token = settings.secret("slack_bot_token") or None
    # Never verify HTTP requests against an empty secret: without one, nothing verifies.
    signing_secret = settings.secret("slack_signing_secret") or secrets.token_hex(32)
    app = AsyncApp(
        name="kubecon-bot",
        client=client,
        signing_secret=signing_secret,
        logger=logging.getLogger("bot.app"),
    )
    answerer = Answerer(
        command=settings.slack_command,
        searcher=Searcher(live),
        values=values or ValueStore(),
        salt=settings.secret("user_hash_salt"),
        inflight=inflight if inflight is not None else Inflight(),
        metrics=metrics if metrics is not None else Metrics(),
    )
    stores = stores or stores_for(settings)
    register_listeners(app, answerer, stores.feedback, stores.seen, HomeFacts(live),
                       settings.auto_answer_channels)
    return app
