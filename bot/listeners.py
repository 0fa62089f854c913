"""Slack listeners: the slash command, mentions, DMs and buttons, registered in one place."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot import actions, blocks
from bot.actions import ValueStore
from bot.blocks import Message, View
from bot.content import is_help
from bot.escape import clean_incoming
from bot.feedback import FeedbackLog
from bot.logs import hash_user, log_answer, new_error_id
from bot.retries import SeenEvents, should_drop
from bot.search import Searcher
from index.errors import QueryError
from index.models import Feedback

logger = logging.getLogger("bot.listeners")

Send = Callable[[Message], Awaitable[Any]]


@dataclass
class Deps:
    """What the listeners need; built once by create_app."""

    command: str
    searcher: Searcher
    values: ValueStore
    feedback: FeedbackLog
    seen: SeenEvents
    salt: str = ""


def _post(client: AsyncWebClient, channel: str, thread_ts: str | None) -> Send:
    async def send(message: Message) -> Any:
        return await client.chat_postMessage(channel=channel, thread_ts=thread_ts,
                                             unfurl_links=False, unfurl_media=False, **message)
    return send


def _respond(respond: AsyncRespond, response_type: str = "ephemeral") -> Send:
    async def send(message: Message) -> Any:
        return await respond(**message, response_type=response_type, replace_original=False,
                             unfurl_links=False, unfurl_media=False)
    return send


def _fail(error_id: str, where: str) -> None:
    logger.exception("error_id=%s: failed while handling %s", error_id, where,
                     extra={"error_id": error_id})


async def _apologise(send: Send, where: str) -> str:
    """Log the current exception under a new error id and tell the user that id."""
    error_id = new_error_id()
    _fail(error_id, where)
    try:
        await send(blocks.apology_message(error_id))
    except Exception:
        logger.exception("error_id=%s: could not send the apology either", error_id,
                         extra={"error_id": error_id})
    return error_id


async def reply(deps: Deps, *, question: str, offset: int, user: str, surface: str, view: View,
                send: Send, send_error: Send | None = None) -> bool:
    """Answer one question (or show help) and log one line; True when the answer was sent."""
    start = time.perf_counter()
    user_hash = hash_user(user, deps.salt)

    def elapsed() -> int:
        return round((time.perf_counter() - start) * 1000)

    try:
        if is_help(question):
            await send(blocks.help_message(deps.command))
            return True
        try:
            answer = await deps.searcher.search(question, offset)
        except QueryError as exc:
            await (send_error or send)(blocks.problem_message(str(exc), deps.command))
            log_answer(user=user_hash, surface=surface, latency_ms=elapsed(), talks=(),
                       offset=offset, outcome="rejected")
            return False
        await send(blocks.answer_message(answer, view, deps.values.pack))
        log_answer(user=user_hash, surface=surface, latency_ms=elapsed(),
                   talks=[r.talk.id for r in answer.results], offset=offset,
                   outcome="answered" if answer.results else "nothing_found")
        return True
    except Exception:
        await _apologise(send_error or send, surface)
        log_answer(user=user_hash, surface=surface, latency_ms=elapsed(), talks=(),
                   offset=offset, outcome="error")
        return False


def _value(deps: Deps, action: dict[str, Any]) -> tuple[str, int, str, list[str]] | None:
    """(question, offset, surface, talk ids) from a button value, or None if unusable."""
    data = deps.values.unpack(str(action.get("value", "")))
    if data is None:
        return None
    question, offset = data.get("q"), data.get("o", 0)
    talks = data.get("t", [])
    if not isinstance(question, str) or not isinstance(offset, int) or offset < 0:
        return None
    if not isinstance(talks, list) or not all(isinstance(t, str) for t in talks):
        return None
    return question, offset, str(data.get("s", actions.PRIVATE)), talks


async def _button(deps: Deps, action: dict[str, Any], body: dict[str, Any],
                  respond: AsyncRespond) -> tuple[Send, tuple[str, int, str, list[str]], str] | None:
    """A result button's (private reply, value, user id); None after telling the user that
    the button is too old or damaged to use."""
    private = _respond(respond)
    value = _value(deps, action)
    if value is None:
        await private(blocks.expired_message(deps.command))
        return None
    return private, value, str(body.get("user", {}).get("id", ""))


def _is_dm(event: dict[str, Any]) -> bool:
    return (event.get("channel_type") == "im" and not event.get("subtype")
            and not event.get("bot_id") and bool(event.get("user")))


def register(app: AsyncApp, deps: Deps) -> None:
    """Attach the middleware and every listener to the app."""

    @app.middleware
    async def drop_retries(request: AsyncBoltRequest, body: dict[str, Any],
                           next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        event_id = str(body.get("event_id") or "") if isinstance(body, dict) else ""
        retry = request.headers.get("x-slack-retry-num", [""])[0]
        reason = request.headers.get("x-slack-retry-reason", [""])[0]
        if should_drop(deps.seen, event_id, retry, reason):
            logger.info("dropped a redelivery of event %s (retry %s, %s)", event_id or "-",
                        retry or "0", reason or "no reason")
            return BoltResponse(status=200, body="")
        await next()
        return None

    @app.command(deps.command)
    async def on_command(ack: Any, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        send = _respond(respond)
        await reply(deps, question=clean_incoming(str(command.get("text", ""))), offset=0,
                    user=str(command.get("user_id", "")), surface="command",
                    view=View(blocks.PRIVATE, deps.command), send=send)

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        channel = str(event.get("channel", ""))
        if channel.startswith("D"):
            return  # a mention inside a DM: the DM listener answers it
        thread_ts = event.get("thread_ts") or event.get("ts")
        question = clean_incoming(str(event.get("text", "")), context.bot_user_id or "")
        await reply(deps, question=question, offset=0, user=str(event.get("user", "")),
                    surface="mention", view=View(blocks.THREAD, deps.command),
                    send=_post(client, channel, thread_ts))

    async def is_dm(event: dict[str, Any]) -> bool:
        return _is_dm(event)

    @app.event("message", matchers=[is_dm])
    async def on_dm(event: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        question = clean_incoming(str(event.get("text", "")), context.bot_user_id or "")
        await reply(deps, question=question, offset=0, user=str(event.get("user", "")),
                    surface="dm", view=View(blocks.THREAD, deps.command),
                    send=_post(client, str(event["channel"]), event.get("thread_ts")))

    @app.event("message")
    async def on_other_message() -> None:
        """Channel messages, edits and our own posts need no answer."""

    @app.action(actions.SHARE)
    async def on_share(ack: Any, body: dict[str, Any], action: dict[str, Any],
                       respond: AsyncRespond) -> None:
        await ack()
        button = await _button(deps, action, body, respond)
        if button is None:
            return
        private, value, user = button
        shared = await reply(deps, question=value[0], offset=value[1], user=user, surface="share",
                             view=View(blocks.SHARED, deps.command, asker=user),
                             send=_respond(respond, "in_channel"), send_error=private)
        if shared and body.get("container", {}).get("is_ephemeral"):
            try:
                await respond(delete_original=True)
            except Exception:
                logger.warning("could not remove the private answer after sharing it", exc_info=True)

    @app.action(actions.MORE)
    async def on_more(ack: Any, body: dict[str, Any], action: dict[str, Any],
                      respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        button = await _button(deps, action, body, respond)
        if button is None:
            return
        private, (question, offset, where, _), user = button
        if where == actions.CHANNEL:
            container = body.get("container", {})
            channel = str(container.get("channel_id") or body.get("channel", {}).get("id", ""))
            thread_ts = body.get("message", {}).get("thread_ts") or container.get("thread_ts")
            await reply(deps, question=question, offset=offset, user=user, surface="more",
                        view=View(blocks.THREAD, deps.command),
                        send=_post(client, channel, thread_ts), send_error=private)
        else:
            await reply(deps, question=question, offset=offset, user=user, surface="more",
                        view=View(blocks.PRIVATE, deps.command), send=private)

    async def on_feedback(ack: Any, body: dict[str, Any], action: dict[str, Any],
                          respond: AsyncRespond) -> None:
        await ack()
        private = _respond(respond)
        try:
            value = _value(deps, action)
            if value is None:
                await private(blocks.expired_message(deps.command))
                return
            question, offset, _, talks = value
            helpful = action.get("action_id") == actions.HELPFUL
            user_hash = hash_user(str(body.get("user", {}).get("id", "")), deps.salt)
            await deps.feedback.record(Feedback(user_hash=user_hash, question=question,
                                                talk_ids=tuple(talks), helpful=helpful,
                                                extra={"offset": offset}))
            await private(blocks.thanks_message(helpful))
        except Exception:
            await _apologise(private, "feedback")

    app.action(actions.HELPFUL)(on_feedback)
    app.action(actions.NOT_HELPFUL)(on_feedback)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        error_id = new_error_id()
        kind = (body.get("type") or body.get("command")) if isinstance(body, dict) else None
        logger.error("error_id=%s: unhandled error in a %s", error_id, kind or "request", exc_info=error,
                     extra={"error_id": error_id})
