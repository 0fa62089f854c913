"""Graceful shutdown (issue 16, finding 1): on SIGTERM every acknowledged question gets its
answer, or past SHUTDOWN_GRACE an apology where the answer would have gone; none is dropped."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import time
from pathlib import Path
from typing import Any

import aiohttp

from bot.blocks import restart_message
from bot.cli import _run_http
from bot.shutdown import Inflight
from bot.slack_fakes import MockSlack, command_body, signed
from bot_fakes import FakeRetriever
from bot_harness import ended, make_settings
from test_bot_server import free_port, poll

APOLOGY = restart_message("/kubecon")


def assert_each_answered_once(mock: MockSlack, acked: list[str], lost_acks: int = 0) -> None:
    """Every acknowledged command got exactly one reply at its response_url (its answer or the
    apology), some of each; nothing that was not acknowledged got one, except at most
    `lost_acks` apologies (Socket Mode: a command received as the websocket closes is owed an
    answer though its ack can no longer be sent)."""
    replies: dict[str, list[dict[str, Any]]] = {}
    for r in mock.responses():
        replies.setdefault(r.path.removeprefix("/response/"), []).append(r.body)
    missing = [name for name in acked if len(replies.get(name, [])) != 1]
    assert not missing, [(n, [b.get("text", "")[:60] for b in replies.get(n, [])]) for n in missing]
    apologised = sum(replies[name][0].get("text") == APOLOGY["text"] for name in acked)
    answered = len(acked) - apologised
    assert answered > 0 and apologised > 0, (answered, apologised)
    unacked = set(replies) - set(acked)          # a refused command is not answered
    assert len(unacked) <= lost_acks, sorted(unacked)
    assert all([r.get("text") for r in replies[name]] == [APOLOGY["text"]] for name in unacked)


async def test_drain_waits_for_answers_and_apologises_for_the_rest() -> None:
    inflight, sent = Inflight(), []

    def to(name: str, fail: bool = False) -> Any:
        async def send(message: dict[str, Any]) -> None:
            if fail:
                raise RuntimeError("Slack is down")
            sent.append((name, message))
        return send

    async def answer(name: str, seconds: float, fail: bool = False) -> None:
        with inflight.track(to(name, fail)):
            await asyncio.sleep(seconds)
            sent.append((name, "answer"))

    async def late_starter() -> None:          # taken on while the drain already waits
        await asyncio.sleep(0.05)
        await answer("late", 0.05)

    tasks = [asyncio.create_task(answer("quick", 0.1)), asyncio.create_task(answer("slow", 30)),
             asyncio.create_task(answer("unreachable", 30, fail=True)),
             asyncio.create_task(late_starter())]
    await asyncio.sleep(0)
    assert len(inflight) == 3
    deadline = asyncio.get_running_loop().time() + 0.5
    drained = await inflight.drain(deadline, APOLOGY)
    assert sorted(sent, key=str) == sorted([("quick", "answer"), ("late", "answer"),
                                            ("slow", APOLOGY)], key=str)
    assert (drained.apologised, drained.failed) == (1, 1)
    assert len(inflight) == 0
    assert tasks[1].cancelled() and tasks[2].cancelled()


async def test_drain_with_nothing_owed_returns_at_once() -> None:
    start = time.perf_counter()
    drained = await Inflight().drain(asyncio.get_running_loop().time() + 10, APOLOGY)
    assert (drained.answered, drained.apologised, drained.failed) == (0, 0, 0)
    assert time.perf_counter() - start < 0.5


async def _send_all(session: aiohttp.ClientSession, url: str, mock: MockSlack,
                    count: int) -> dict[str, int]:
    """`count` signed commands at once, each with its own response_url; name -> status."""
    async def one(i: int) -> tuple[str, int]:
        name = f"q{i}"
        body = command_body(f"what did Netflix say about Spinnaker {i}", mock.response_url(name))
        try:
            async with session.post(url, data=body, headers=signed(body)) as resp:
                return name, resp.status
        except aiohttp.ClientError:
            return name, 0                  # refused once the server stopped listening
    return dict(await asyncio.gather(*(one(i) for i in range(count))))


async def test_sigterm_under_load_answers_or_apologises_for_every_acked_command(
        tmp_path: Path) -> None:
    mock = await MockSlack().start()
    port = free_port()
    settings = make_settings(mock, tmp_path, host="127.0.0.1", port=port, shutdown_grace=1.0)
    retriever = FakeRetriever(on_search=lambda _: time.sleep(0.02))   # a backlog: 300 x 20 ms
    run = asyncio.create_task(_run_http(settings, lambda _: retriever, io.StringIO()))
    base = f"http://127.0.0.1:{port}"
    try:
        connector = aiohttp.TCPConnector(limit=100)
        async with ended(run), aiohttp.ClientSession(connector=connector) as session:
            await poll(session, base + "/readyz", 200)
            start = asyncio.get_running_loop().time()
            sending = asyncio.create_task(_send_all(session, base + "/slack/events", mock, 300))
            await asyncio.sleep(1.5)
            os.kill(os.getpid(), signal.SIGTERM)
            await poll(session, base + "/readyz", 503, timeout=1)
            statuses = await sending
            assert await asyncio.wait_for(run, 15) == 0
            assert asyncio.get_running_loop().time() - start < 10
        acked = [name for name, status in statuses.items() if status == 200]
        assert len(acked) >= 100, statuses
        assert all(status in (200, 503, 0) for status in statuses.values())
        assert_each_answered_once(mock, acked)
    finally:
        await mock.close()
