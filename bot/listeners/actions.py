"""Clicks on an answer's buttons: "Share in channel", "More results", "Search without these
filters", helpful / not helpful.

The button ids and the values they carry are defined in `bot.buttons`."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks, buttons
from bot.answering import Answerer, Send, apologise
from bot.blocks import View
from bot.feedback import FeedbackStore
from bot.listeners.senders import post_to, respond_with
from index.models import Feedback

logger = logging.getLogger("bot.listeners")

Value = tuple[str, int, str, list[str]]     # question, offset, where "More" posts, talk ids


def unpack_value(answerer: Answerer, action: dict[str, Any]) -> Value | None:
    """(question, offset, surface, talk ids) from a button value, or None if unusable."""
    data = answerer.values.unpack(str(action.get("value", "")))
    if data is None:
        return None
    question, offset = data.get("q"), data.get("o", 0)
    talks = data.get("t", [])
    if not isinstance(question, str) or not isinstance(offset, int) or offset < 0:
        return None
    if not isinstance(talks, list) or not all(isinstance(t, str) for t in talks):
        return None
    return question, offset, str(data.get("s", buttons.PRIVATE)), talks


async def _button(answerer: Answerer, action: dict[str, Any], body: dict[str, Any],
                  respond: AsyncRespond) -> tuple[Send, Value, str] | None:
    """A result button's (private reply, value, user id); None after telling the user that
    the button is too old or damaged to use."""
    private = respond_with(respond)
    value = unpack_value(answerer, action)
    if value is None:
        await private(blocks.expired_message(answerer.command))
        return None
    return private, value, str(body.get("user", {}).get("id", ""))


def register(app: AsyncApp, answerer: Answerer, feedback: FeedbackStore) -> None:
    _share(app, answerer)
    _more(app, answerer)
    _feedback(app, answerer, feedback)


def _share(app: AsyncApp, answerer: Answerer) -> None:
    """The same answer again, in the channel, crediting the asker; the private one removed."""

    @app.action(buttons.SHARE)
    async def on_share(ack: Any, body: dict[str, Any], action: dict[str, Any],
                       respond: AsyncRespond) -> None:
        await ack()
        button = await _button(answerer, action, body, respond)
        if button is None:
            return
        private, value, user = button
        shared = await answerer.reply(
            question=value[0], offset=value[1], user=user, surface="share",
            view=View(blocks.SHARED, answerer.command, asker=user),
            send=respond_with(respond, "in_channel"), send_error=private)
        if shared and body.get("container", {}).get("is_ephemeral"):
            try:
                await respond(delete_original=True)
            except Exception:
                logger.warning("could not remove the private answer after sharing it", exc_info=True)


def _more(app: AsyncApp, answerer: Answerer) -> None:
    """The next page, or the question again without the filters read from its words (its value
    says so): in the thread the answer is in, or privately."""

    async def on_more(ack: Any, body: dict[str, Any], action: dict[str, Any],
                      respond: AsyncRespond, client: AsyncWebClient) -> None:
        await ack()
        button = await _button(answerer, action, body, respond)
        if button is None:
            return
        private, (question, offset, where, _), user = button
        surface = "unfiltered" if action.get("action_id") == buttons.UNFILTERED else "more"
        if where == buttons.CHANNEL:
            container = body.get("container", {})
            channel = str(container.get("channel_id") or body.get("channel", {}).get("id", ""))
            thread_ts = body.get("message", {}).get("thread_ts") or container.get("thread_ts")
            await answerer.reply(question=question, offset=offset, user=user, surface=surface,
                                 view=View(blocks.THREAD, answerer.command),
                                 send=post_to(client, channel, thread_ts), send_error=private)
        else:
            await answerer.reply(question=question, offset=offset, user=user, surface=surface,
                                 view=View(blocks.PRIVATE, answerer.command), send=private)

    app.action(buttons.MORE)(on_more)
    app.action(buttons.UNFILTERED)(on_more)


def _feedback(app: AsyncApp, answerer: Answerer, feedback: FeedbackStore) -> None:
    """A vote, appended to the feedback log with the question and the talks it was about."""

    async def on_feedback(ack: Any, body: dict[str, Any], action: dict[str, Any],
                          respond: AsyncRespond) -> None:
        await ack()
        private = respond_with(respond)
        try:
            value = unpack_value(answerer, action)
            if value is None:
                await private(blocks.expired_message(answerer.command))
                return
            question, offset, _, talks = value
            helpful = action.get("action_id") == buttons.HELPFUL
            user_hash = answerer.user_hash(str(body.get("user", {}).get("id", "")))
            await feedback.record(Feedback(user_hash=user_hash, question=question,
                                           talk_ids=tuple(talks), helpful=helpful,
                                           extra={"offset": offset}))
            await private(blocks.thanks_message(helpful))
        except Exception:
            answerer.metrics.error("feedback")
            await apologise(private, "feedback")

    app.action(buttons.HELPFUL)(on_feedback)
    app.action(buttons.NOT_HELPFUL)(on_feedback)
