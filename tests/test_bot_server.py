"""HTTP mode as `python -m bot --http` runs it: listening at once, ready once the index is loaded."""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
import threading
from pathlib import Path

import aiohttp

from bot.cli import _run_http
from bot.settings import Settings
from bot.slack_fakes import MockSlack, command_body, sections, signed
from bot_fakes import SPINNAKER, FakeRetriever
from bot_harness import make_settings
from index.errors import IndexMissingError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def poll(session: aiohttp.ClientSession, url: str, status: int, timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(url) as resp:
                if resp.status == status:
                    return
        assert asyncio.get_running_loop().time() < deadline, f"{url} never answered {status}"
        await asyncio.sleep(0.05)


async def test_http_mode_listens_first_and_is_ready_only_after_loading(tmp_path: Path) -> None:
    mock = await MockSlack().start()
    port = free_port()
    settings: Settings = make_settings(mock, tmp_path, host="127.0.0.1", port=port)
    release = threading.Event()
    loads: list[int] = []

    def load(_: Settings) -> FakeRetriever:
        loads.append(1)
        release.wait(10)
        return FakeRetriever()

    task = asyncio.create_task(_run_http(settings, load, io.StringIO()))
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            await poll(session, base + "/healthz", 200)
            async with session.get(base + "/readyz") as resp:
                assert resp.status == 503
            release.set()
            await poll(session, base + "/readyz", 200)
            body = command_body("what did Netflix say about Spinnaker", mock.response_url())
            async with session.post(base + "/slack/events", data=body, headers=signed(body)) as resp:
                assert resp.status == 200
            [reply] = await mock.wait_for(lambda m: m.responses("r1"))
            assert SPINNAKER.title in sections(reply.body)[1]
            assert mock.calls("auth.test")          # SLACK_API_URL is where the Web API goes
        assert loads == [1]                          # loaded once, not per request
    finally:
        release.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await mock.close()


async def test_http_mode_exits_2_when_the_index_cannot_load(tmp_path: Path) -> None:
    mock = await MockSlack().start()
    settings = make_settings(mock, tmp_path, host="127.0.0.1", port=free_port())

    def load(_: Settings) -> FakeRetriever:
        raise IndexMissingError("no index at data/index: run `python -m index.build`")

    err = io.StringIO()
    try:
        assert await asyncio.wait_for(_run_http(settings, load, err), 10) == 2
    finally:
        await mock.close()
    assert "python -m index.build" in err.getvalue()
