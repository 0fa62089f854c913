"""Socket Mode: the SDK's client connects to the websocket that apps.connections.open names."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from slack_sdk.web.async_client import AsyncWebClient

from bot.app import create_app
from bot.server import socket_handler
from bot.slack_fakes import (CHANNEL, MockSlack, command_payload, event_payload, mention,
                             sections)
from bot_fakes import SPINNAKER, FakeRetriever
from bot_harness import BOT_TOKEN, make_settings

APP_TOKEN = "xapp-1-A0000001-0000-test"
QUESTION = "what did Netflix say about Spinnaker"


@asynccontextmanager
async def socket_bot(retriever: FakeRetriever, tmp_path: Path) -> AsyncIterator[MockSlack]:
    mock = await MockSlack().start()
    settings = make_settings(mock, tmp_path, slack_app_token=APP_TOKEN, slack_signing_secret=None)
    app = create_app(settings, retriever, AsyncWebClient(token=BOT_TOKEN, base_url=mock.api_url))
    handler = socket_handler(app, settings.secret("slack_app_token"))
    await handler.connect_async()
    try:
        yield mock
    finally:
        await handler.close_async()
        await mock.close()


async def test_slash_command_over_socket_mode_acks_then_answers(tmp_path: Path) -> None:
    gate = threading.Event()
    retriever = FakeRetriever(gate=gate)
    try:
        async with socket_bot(retriever, tmp_path) as mock:
            [opened] = mock.calls("apps.connections.open")
            assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"
            payload = command_payload(QUESTION, mock.response_url("sock"))
            await mock.send_envelope("slash_commands", payload, "env-cmd-1")
            await mock.wait_ack("env-cmd-1")
            assert await asyncio.to_thread(retriever.entered.wait, 5)
            assert mock.responses("sock") == []      # acked while the search is still running
            gate.set()
            [reply] = await mock.wait_for(lambda m: m.responses("sock"))
    finally:
        gate.set()
    assert reply.body["response_type"] == "ephemeral"
    assert SPINNAKER.title in sections(reply.body)[1]


async def test_mention_over_socket_mode_and_its_retry(tmp_path: Path) -> None:
    retriever = FakeRetriever()
    async with socket_bot(retriever, tmp_path) as mock:
        event = event_payload(mention(f"<@UBOT0001> {QUESTION}", ts="1700000000.000100"), "EvSock1")
        await mock.send_envelope("events_api", event, "env-ev-1")
        await mock.wait_ack("env-ev-1")
        [post] = await mock.wait_for(lambda m: m.calls("chat.postMessage"))
        await mock.send_envelope("events_api", event, "env-ev-2", retry_attempt=1,
                                 retry_reason="timeout")
        await mock.wait_ack("env-ev-2")
        await asyncio.sleep(0.3)
        assert len(mock.calls("chat.postMessage")) == 1
    assert post.body["channel"] == CHANNEL and post.body["thread_ts"] == "1700000000.000100"
    assert retriever.calls == [(QUESTION, 3, 0)]
