"""Events: a mention is answered in a thread, a direct message in the DM; the rest is ignored."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks
from bot.answering import Answerer
from bot.blocks import View
from bot.escape import clean_incoming
from bot.listeners.senders import post_to


def is_dm(event: dict[str, Any]) -> bool:
    """A person's message in a DM with the bot (not an edit, not a bot's post)."""
    return (event.get("channel_type") == "im" and not event.get("subtype")
            and not event.get("bot_id") and bool(event.get("user")))


def register(app: AsyncApp, answerer: Answerer) -> None:
    thread = View(blocks.THREAD, answerer.command)

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        channel = str(event.get("channel", ""))
        if channel.startswith("D"):
            return  # a mention inside a DM: the DM listener answers it
        thread_ts = event.get("thread_ts") or event.get("ts")
        question = clean_incoming(str(event.get("text", "")), context.bot_user_id or "")
        await answerer.reply(question=question, offset=0, user=str(event.get("user", "")),
                             surface="mention", view=thread,
                             send=post_to(client, channel, thread_ts))

    async def dm_matcher(event: dict[str, Any]) -> bool:
        return is_dm(event)

    @app.event("message", matchers=[dm_matcher])
    async def on_dm(event: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        question = clean_incoming(str(event.get("text", "")), context.bot_user_id or "")
        await answerer.reply(question=question, offset=0, user=str(event.get("user", "")),
                             surface="dm", view=thread,
                             send=post_to(client, str(event["channel"]), event.get("thread_ts")))

    @app.event("message")
    async def on_other_message() -> None:
        """Channel messages, edits and our own posts need no answer."""
