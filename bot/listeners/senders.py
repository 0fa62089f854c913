"""Where a message goes: posted in a channel or thread, or sent through a response_url."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.answering import Send
from bot.blocks import Message


def post_to(client: AsyncWebClient, channel: str, thread_ts: str | None) -> Send:
    """chat.postMessage in `channel` (in the thread `thread_ts`, if given), without unfurls."""
    async def send(message: Message) -> Any:
        return await client.chat_postMessage(channel=channel, thread_ts=thread_ts,
                                             unfurl_links=False, unfurl_media=False, **message)
    return send


def respond_with(respond: AsyncRespond, response_type: str = "ephemeral") -> Send:
    """A new message through the request's response_url: private unless `in_channel`."""
    async def send(message: Message) -> Any:
        return await respond(**message, response_type=response_type, replace_original=False,
                             unfurl_links=False, unfurl_media=False)
    return send
