"""The App Home tab, published when a person opens it, and its "Ask again" buttons."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import home
from bot.answering import Answerer
from bot.listeners.conversations import answer_in_thread
from bot.search import CurrentRetriever, Retriever, current, search_page

logger = logging.getLogger("bot.listeners")

HISTORY_LIMIT = 100      # DM messages read for the person's last questions


class HomeFacts:
    """The index summary, computed (off the event loop) on the first Home opening after the
    index was loaded, so a reloaded index shows its own events, counts and build time."""

    def __init__(self, retriever: Retriever | CurrentRetriever) -> None:
        self.current = current(retriever)
        self._summary: home.Summary | None = None
        self._of: Retriever | None = None         # the retriever the summary describes
        self._lock = asyncio.Lock()

    @staticmethod
    def _works(retriever: Retriever, question: str) -> bool:
        try:
            return bool(search_page(retriever, question).results)
        except Exception:
            return False

    async def summary(self) -> home.Summary:
        async with self._lock:
            retriever = self.current.get()
            if self._summary is None or self._of is not retriever:
                talks = getattr(retriever, "talks", ())
                self._summary = await asyncio.to_thread(
                    home.summarise, talks, retriever.info,
                    lambda question: self._works(retriever, question))
                self._of = retriever
            return self._summary


async def dm_questions(client: AsyncWebClient, channel: str, user: str, bot_user_id: str) -> list[str]:
    """The person's last questions in their DM with the bot; none when Slack cannot say."""
    if not channel:
        return []
    try:
        history = await client.conversations_history(channel=channel, limit=HISTORY_LIMIT)
    except Exception:
        logger.warning("could not read the DM history for the Home tab", exc_info=True)
        return []
    return home.last_questions(history.get("messages") or [], user, bot_user_id)


def register(app: AsyncApp, answerer: Answerer, facts: HomeFacts) -> None:

    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], client: AsyncWebClient, context: Any) -> None:
        if event.get("tab", "home") != "home":
            return
        user = str(event.get("user", ""))
        questions = await dm_questions(client, str(event.get("channel", "")), user,
                                       context.bot_user_id or "")
        view = home.home_view(await facts.summary(), questions, answerer.command,
                              answerer.values.pack)
        await client.views_publish(user_id=user, view=view)

    @app.action(home.ASK_AGAIN)
    async def on_ask_again(ack: Any, body: dict[str, Any], action: dict[str, Any],
                           client: AsyncWebClient) -> None:
        await ack()
        data = answerer.values.unpack(str(action.get("value", ""))) or {}
        user = str(body.get("user", {}).get("id", ""))
        question = data.get("q")
        if not isinstance(question, str) or not user:
            return
        opened = await client.conversations_open(users=user)
        await answer_in_thread(answerer, client, channel=str(opened["channel"]["id"]),
                               thread_ts=None, question=question, user=user, surface="home")
