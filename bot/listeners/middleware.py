"""What runs around every listener: Slack's redeliveries dropped, unhandled errors logged,
both counted in the metrics."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.logs import new_error_id
from bot.metrics import Metrics, note_request
from bot.retries import EventStore, should_drop_shared

logger = logging.getLogger("bot.listeners")


def register(app: AsyncApp, seen: EventStore, metrics: Metrics) -> None:
    """The retry filter (before any listener) and the error handler."""

    @app.middleware
    async def drop_retries(request: AsyncBoltRequest, body: dict[str, Any],
                           next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        event_id = str(body.get("event_id") or "") if isinstance(body, dict) else ""
        retry = request.headers.get("x-slack-retry-num", [""])[0]
        reason = request.headers.get("x-slack-retry-reason", [""])[0]
        if await should_drop_shared(seen, event_id, retry, reason):
            logger.info("dropped a redelivery of event %s (retry %s, %s)", event_id or "-",
                        retry or "0", reason or "no reason")
            note_request(request, metrics, "dropped_retry")
            return BoltResponse(status=200, body="")
        note_request(request, metrics, "acked")
        await next()
        return None

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        error_id = new_error_id()
        metrics.error("listener")
        kind = (body.get("type") or body.get("command")) if isinstance(body, dict) else None
        logger.error("error_id=%s: unhandled error in a %s", error_id, kind or "request", exc_info=error,
                     extra={"error_id": error_id})
