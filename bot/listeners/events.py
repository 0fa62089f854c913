"""Events: a mention is answered in a thread, a direct message in the DM, a follow-up in a
thread the bot answered in that thread, a question in an auto-answer channel in a thread of
its own; the rest (other bots, edits, joins, side conversations) is ignored."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.answering import Answerer
from bot.escape import clean_incoming
from bot.listeners.conversations import answer_in_thread, thread_turns
from bot.threads import for_the_bot, in_thread, is_person, is_question, mentions_bot, mentions_others


def is_dm(event: dict[str, Any]) -> bool:
    """A person's top-level message in a DM with the bot (not an edit, not a bot's post)."""
    return (event.get("channel_type") == "im" and not event.get("subtype")
            and not event.get("bot_id") and bool(event.get("user")) and not in_thread(event))


def is_auto_question(event: dict[str, Any], channels: Collection[str], bot_user_id: str) -> bool:
    """A person's top-level question in an auto-answer channel, addressed to nobody else
    (a message that mentions the bot is answered as a mention)."""
    text = str(event.get("text", ""))
    return (str(event.get("channel", "")) in channels and is_person(event, bot_user_id)
            and not in_thread(event) and not mentions_bot(text, bot_user_id)
            and not mentions_others(text, bot_user_id)
            and is_question(clean_incoming(text, bot_user_id)))


def may_follow_up(event: dict[str, Any], bot_user_id: str) -> bool:
    """A thread reply worth reading the thread for: a person's question that mentions nobody
    (a mention of the bot outside a DM is answered as a mention)."""
    text = str(event.get("text", ""))
    mention = mentions_bot(text, bot_user_id) and event.get("channel_type") != "im"
    return (in_thread(event) and is_person(event, bot_user_id) and not mention
            and not mentions_others(text, bot_user_id)
            and is_question(clean_incoming(text, bot_user_id)))


def register(app: AsyncApp, answerer: Answerer, auto_channels: Collection[str] = ()) -> None:
    channels = frozenset(auto_channels)

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        channel = str(event.get("channel", ""))
        if channel.startswith("D"):
            return  # a mention inside a DM: the DM listener answers it
        bot = context.bot_user_id or ""
        thread_ts = event.get("thread_ts") or event.get("ts")
        turns = await thread_turns(client, channel, str(thread_ts), bot) if in_thread(event) else []
        await answer_in_thread(answerer, client, channel=channel, thread_ts=thread_ts,
                               question=clean_incoming(str(event.get("text", "")), bot),
                               user=str(event.get("user", "")), turns=turns, surface="mention")

    async def dm_matcher(event: dict[str, Any]) -> bool:
        return is_dm(event)

    @app.event("message", matchers=[dm_matcher])
    async def on_dm(event: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        await answer_in_thread(answerer, client, channel=str(event["channel"]), thread_ts=None,
                               question=clean_incoming(str(event.get("text", "")),
                                                       context.bot_user_id or ""),
                               user=str(event.get("user", "")), surface="dm")

    @app.event("message")
    async def on_message(event: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        """Follow-ups and auto-answer questions; other messages need no answer."""
        bot = context.bot_user_id or ""
        channel, user = str(event.get("channel", "")), str(event.get("user", ""))
        question = clean_incoming(str(event.get("text", "")), bot)
        if is_auto_question(event, channels, bot):
            await answer_in_thread(answerer, client, channel=channel, thread_ts=str(event["ts"]),
                                   question=question, user=user, surface="auto")
        elif may_follow_up(event, bot):
            thread_ts = str(event["thread_ts"])
            turns = await thread_turns(client, channel, thread_ts, bot)
            if for_the_bot(event, question, turns, bot):
                await answer_in_thread(answerer, client, channel=channel, thread_ts=thread_ts,
                                       question=question, user=user, turns=turns,
                                       surface="followup")
