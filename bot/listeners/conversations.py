"""Conversations: follow-ups in threads the bot answered, and channels that answer themselves.

A thread's context is read back from Slack (`conversations.replies`, with the answers'
metadata), never kept in memory, so any replica can answer a follow-up. Deciding what is meant
for the bot is `bot.threads`; turning a follow-up into a query is `bot.followups`."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks, followups
from bot.answering import Answerer, Tag
from bot.blocks import View
from bot.listeners.senders import post_to
from bot.threads import Turn, answer_metadata, cited_talks, turns_of
from index.models import Answer

logger = logging.getLogger("bot.listeners")

REPLIES_LIMIT = 200      # thread messages read back; the bot's latest answers are what matter


def tag_for(asked: str, user: str) -> Tag:
    """The metadata an answer to `asked` (by `user`) carries into its thread."""
    def tag(answer: Answer) -> dict[str, Any]:
        return answer_metadata(asked, answer.filters.describe(), user, cited_talks(answer))
    return tag


async def thread_turns(client: AsyncWebClient, channel: str, thread_ts: str,
                       bot_user_id: str) -> list[Turn]:
    """The bot's earlier answers in a thread (none when Slack cannot say)."""
    try:
        replies = await client.conversations_replies(channel=channel, ts=thread_ts,
                                                     include_all_metadata=True,
                                                     limit=REPLIES_LIMIT)
    except Exception:
        logger.warning("could not read the thread %s in %s", thread_ts, channel, exc_info=True)
        return []
    return turns_of(replies.get("messages") or [], bot_user_id)


async def answer_in_thread(answerer: Answerer, client: AsyncWebClient, *, channel: str,
                           thread_ts: str | None, question: str, user: str,
                           turns: Collection[Turn] = (), surface: str) -> bool:
    """Answer `question` in the thread (read against its earlier answers), tagged so that the
    next follow-up can read this answer back."""
    query = followups.build(question, list(turns)).query if turns else question
    return await answerer.reply(question=query, offset=0, user=user, surface=surface,
                                view=View(blocks.THREAD, answerer.command),
                                send=post_to(client, channel, thread_ts),
                                tag=tag_for(question, user))
