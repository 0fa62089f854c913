"""The slash command (`/kubecon` by default): answered privately, through its response_url."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot import blocks
from bot.answering import Answerer
from bot.blocks import View
from bot.escape import clean_incoming
from bot.listeners.senders import respond_with


def register(app: AsyncApp, answerer: Answerer) -> None:

    @app.command(answerer.command)
    async def on_command(ack: Any, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await answerer.reply(question=clean_incoming(str(command.get("text", ""))), offset=0,
                             user=str(command.get("user_id", "")), surface="command",
                             view=View(blocks.PRIVATE, answerer.command),
                             send=respond_with(respond))
