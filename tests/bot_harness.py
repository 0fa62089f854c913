"""The bot running in HTTP mode on 127.0.0.1, wired to a MockSlack, and a client to poke it."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import create_app
from bot.buttons import ValueStore
from bot.search import CurrentRetriever, Retriever
from bot.server import SLACK_PATH, ServerState, start_server
from bot.settings import Settings
from bot.slack_fakes import (SECRET, MockSlack, action_body, action_payload, command_body,
                             event_payload, signed)

BOT_TOKEN = "xoxb-0000-test-token"


@asynccontextmanager
async def ended(task: asyncio.Task[Any]) -> AsyncIterator[None]:
    """A running bot (`_run_http`, `_run_socket`) that is cancelled, if still running, and
    awaited on the way out, whatever the test did."""
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def quiet(seconds: float = 0.3) -> None:
    """Give the app time to do something it should not do."""
    await asyncio.sleep(seconds)


def make_settings(mock: MockSlack, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        slack_bot_token=BOT_TOKEN, slack_signing_secret=SECRET, slack_app_token=None,
        slack_command="/kubecon", slack_api_url=mock.api_url,
        feedback_path=tmp_path / "feedback.jsonl", user_hash_salt=None)
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class Harness:
    mock: MockSlack
    url: str
    session: aiohttp.ClientSession
    settings: Settings
    state: ServerState

    async def post(self, body: str, headers: dict[str, str] | None) -> tuple[int, str]:
        async with self.session.post(self.url + SLACK_PATH, data=body.encode(),
                                     headers=headers or {}) as resp:
            return resp.status, await resp.text()

    async def command(self, text: str, response: str = "r1", **kw: Any) -> tuple[int, str]:
        body = command_body(text, self.mock.response_url(response), **kw)
        return await self.post(body, signed(body))

    async def event(self, event: dict[str, Any], event_id: str = "Ev0000001",
                    extra_headers: dict[str, str] | None = None) -> tuple[int, str]:
        body = json.dumps(event_payload(event, event_id))
        headers = signed(body, content_type="application/json") | (extra_headers or {})
        return await self.post(body, headers)

    async def click(self, action_id: str, value: str, response: str = "click", **kw: Any) -> tuple[int, str]:
        body = action_body(action_payload(action_id, value, self.mock.response_url(response), **kw))
        return await self.post(body, signed(body))

    async def get(self, path: str) -> tuple[int, dict[str, Any]]:
        async with self.session.get(self.url + path) as resp:
            return resp.status, await resp.json()


@asynccontextmanager
async def running_bot(retriever: Retriever | None, tmp_path: Path, *, values: ValueStore | None = None,
                      **overrides: Any) -> AsyncIterator[Harness]:
    """Start MockSlack and the bot's HTTP server (not ready when retriever is None)."""
    mock = await MockSlack().start()
    settings = make_settings(mock, tmp_path, **overrides)
    state = ServerState()
    if retriever is not None:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=mock.api_url)
        state.serve(CurrentRetriever(retriever))
        state.app = create_app(settings, state.current, client, values=values,
                               metrics=state.metrics)
        state.signing_secret = settings.secret("slack_signing_secret")
    runner, port = await start_server(state, "127.0.0.1", 0)
    session = aiohttp.ClientSession()
    try:
        yield Harness(mock, f"http://127.0.0.1:{port}", session, settings, state)
    finally:
        await session.close()
        await runner.cleanup()
        await mock.close()
