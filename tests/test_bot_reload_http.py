"""A new index is served without a restart (issue 16's Done-when): the bot runs in HTTP mode
(`bot.cli._run_http`, the real aiohttp server, signed slash commands over loopback, answers at
the mock Slack's response_url) or Socket Mode, questions keep coming, and `index.build` writes
a new index with one added note into the same INDEX_DIR."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import logging
import shutil
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
import pytest

from bot.cli import _run_http, _run_socket
from bot.search import Retriever
from bot.settings import Settings
from bot.slack_fakes import MockSlack, command_body, command_payload, sections, signed
from bot_harness import ended, make_settings
from encoders import FakeEncoder
from index.atomic import replace_dir
from index.build import build_index
from index.search.retriever import FusionParams, load_retriever
from test_bot_server import free_port, poll

NEW_TITLE = "Quokkaflux: Hot Swapping Search Indexes"
NEW_QUESTION = "what is quokkaflux"
OLD_QUESTION = "what did Netflix say about Spinnaker"
ADDED_NOTE = f"""---
title: Reload day notes
author: Ada Lovelace
url: https://notes.example.org/reload-day/
conference: KubeCon + CloudNativeCon Europe 2019
event: kubecon-eu-2019
city: Barcelona
year: 2019
date: 2019-05-25
language: en
---

# Reload day notes

## {NEW_TITLE} - Grace Hopper, Example Corp

Grace Hopper showed Quokkaflux, which swaps a search index while the service keeps
answering. Quokkaflux watches a manifest, loads the new index beside the old one and
switches over atomically, so no request fails during the swap.
"""
RELOAD_SECONDS = 0.25


def build(corpus: Path, out: Path) -> None:
    build_index(corpus, out, FakeEncoder(), catalog=False, show_progress=False, log=lambda m: None)


def load(settings: Settings) -> Retriever:
    """What `python -m bot` loads, with the fake encoder (its cosines have no dense floor)."""
    return load_retriever(settings.index_dir, "fake-encoder", encoder=FakeEncoder(),
                          params=FusionParams(floor_dense=0.0))


@pytest.fixture
def index_dir(fake_index: Path, tmp_path: Path) -> Path:
    out = tmp_path / "index"
    shutil.copytree(fake_index, out)         # the corpus as shipped, built beforehand
    return out


def bot_settings(mock: MockSlack, tmp_path: Path, index: Path, **overrides: Any) -> Settings:
    return make_settings(mock, tmp_path, host="127.0.0.1", port=free_port(), index_dir=index,
                         embedding_model="fake-encoder", index_reload_seconds=RELOAD_SECONDS,
                         **overrides)


@asynccontextmanager
async def serving(mock: MockSlack, tmp_path: Path, index: Path
                  ) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    """The bot in HTTP mode on `index`, ready: a client session and the bot's base URL."""
    settings = bot_settings(mock, tmp_path, index)
    base = f"http://127.0.0.1:{settings.port}"
    run = asyncio.create_task(_run_http(settings, load, io.StringIO()))
    async with ended(run), aiohttp.ClientSession() as session:
        await poll(session, base + "/readyz", 200)
        yield session, base


def cites(reply: dict[str, Any], title: str) -> bool:
    return any(title in text for text in sections(reply)[1:2])


def is_error(reply: dict[str, Any]) -> bool:
    """An apology, a problem or a restart message: every one starts with a warning sign."""
    return str(reply.get("text", "")).startswith(":warning:")


class Load:
    """Signed slash commands, `senders` at a time, until stopped; which were acknowledged."""

    def __init__(self, session: aiohttp.ClientSession, url: str, mock: MockSlack,
                 questions: tuple[str, str] = (OLD_QUESTION, NEW_QUESTION)) -> None:
        self.session, self.url, self.mock, self.questions = session, url, mock, questions
        self.statuses: dict[str, int] = {}
        self.sent_at: dict[str, float] = {}
        self._names = itertools.count()
        self._stop = asyncio.Event()

    async def _sender(self) -> None:
        while not self._stop.is_set():
            i = next(self._names)
            name = f"q{i}"
            body = command_body(self.questions[i % 2], self.mock.response_url(name))
            self.sent_at[name] = time.monotonic()
            async with self.session.post(self.url, data=body, headers=signed(body)) as resp:
                self.statuses[name] = resp.status
            await asyncio.sleep(0.02)

    @asynccontextmanager
    async def running(self, senders: int = 4) -> AsyncIterator[Load]:
        tasks = [asyncio.create_task(self._sender()) for _ in range(senders)]
        try:
            yield self
        finally:
            self._stop.set()
            await asyncio.gather(*tasks)

    def replies(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for r in self.mock.responses():
            out.setdefault(r.path.removeprefix("/response/"), []).append(r.body)
        return out

    def first_new_answer(self) -> float | None:
        """When the first question that got the added note's talk was sent."""
        times = [self.sent_at[name] for name, bodies in self.replies().items()
                 if any(cites(b, NEW_TITLE) for b in bodies)]
        return min(times, default=None)


async def test_a_rebuilt_index_with_an_added_note_is_served_under_load_without_errors(
        corpus_copy: Path, index_dir: Path, tmp_path: Path) -> None:
    mock = await MockSlack().start()
    try:
        async with serving(mock, tmp_path, index_dir) as (session, base):
            old = (await (await session.get(base + "/readyz")).json())["index"]
            (corpus_copy / "kubecon-eu-2019-reload-day.md").write_text(ADDED_NOTE, "utf-8")
            async with Load(session, base + "/slack/events", mock).running() as load_:
                await asyncio.sleep(1.0)                  # answers from the old index first
                await asyncio.to_thread(build, corpus_copy, index_dir)
                built = time.monotonic()
                while (first := load_.first_new_answer()) is None:
                    assert time.monotonic() - built < 30, "the new note was never answered"
                    await asyncio.sleep(0.1)
                await asyncio.sleep(1.0)                  # and from the new one for a while
            ready = await (await session.get(base + "/readyz")).json()
            await mock.wait_for(lambda m: len(load_.replies()) == len(load_.statuses), timeout=30)
    finally:
        await mock.close()
    new_built = json.loads((index_dir / "manifest.json").read_text())["built_at"]
    assert ready["index"]["built_at"] == new_built != old["built_at"]
    assert ready["index"]["notes"] == old["notes"] + 1
    print(f"\nreload: {len(load_.statuses)} commands, added note answered "
          f"{first - built:.2f}s after the build")
    assert set(load_.statuses.values()) == {200}
    replies = load_.replies()
    assert all(len(bodies) == 1 for bodies in replies.values())
    assert not [name for name, [body] in replies.items() if is_error(body)]
    old_answers = [name for name, [body] in replies.items() if load_.sent_at[name] < built
                   and "Spinnaker" in "".join(sections(body))]
    assert old_answers, "no question was answered before the rebuild"
    assert first - built < 30


async def test_a_corrupt_new_index_is_logged_once_and_the_old_one_keeps_serving(
        corpus_copy: Path, index_dir: Path, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    mock = await MockSlack().start()
    try:
        async with serving(mock, tmp_path, index_dir) as (session, base):
            before = await (await session.get(base + "/readyz")).json()
            broken = tmp_path / "broken"
            shutil.copytree(index_dir, broken)
            manifest = json.loads((broken / "manifest.json").read_text())
            (broken / "manifest.json").write_text(json.dumps(manifest | {"built_at": 5}))
            with caplog.at_level(logging.INFO, logger="bot.reload"):
                replace_dir(broken, index_dir)        # installed as a build installs one
                await asyncio.sleep(RELOAD_SECONDS * 8)
                after = await (await session.get(base + "/readyz")).json()
                body = command_body(OLD_QUESTION, mock.response_url("after"))
                async with session.post(base + "/slack/events", data=body, headers=signed(body)) as r:
                    assert r.status == 200
                [reply] = await mock.wait_for(lambda m: m.responses("after"))
                errors = [r for r in caplog.records if r.name == "bot.reload"]
                (corpus_copy / "kubecon-eu-2019-reload-day.md").write_text(ADDED_NOTE, "utf-8")
                await asyncio.to_thread(build, corpus_copy, index_dir)     # fixed: tried again
                await poll_until(lambda: session.get(base + "/readyz"),
                                 lambda ready: ready["index"]["notes"] > before["index"]["notes"])
            metrics = await (await session.get(base + "/metrics")).text()
    finally:
        await mock.close()
    assert after == before
    assert "Spinnaker" in "".join(sections(reply.body)) and not is_error(reply.body)
    [line] = errors
    assert line.levelno == logging.ERROR and line.exc_info is None
    assert "'built_at' must be text" in line.getMessage()
    assert "still serving the one built at " + before["index"]["built_at"] in line.getMessage()
    reloads = {sample.labels["outcome"]: sample.value
               for family in text_string_to_metric_families(metrics)
               for sample in family.samples if sample.name == "kubecon_bot_index_reloads_total"}
    assert reloads == {"ok": 2, "failed": 1}          # start-up's load, the fixed build; the broken


async def poll_until(get: Callable[[], Any], ok: Callable[[dict[str, Any]], bool],
                     timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        async with get() as resp:
            if ok(await resp.json()):
                return
        assert time.monotonic() < deadline, "never reloaded"
        await asyncio.sleep(0.1)


async def test_socket_mode_serves_the_rebuilt_index(corpus_copy: Path, index_dir: Path,
                                                     tmp_path: Path) -> None:
    mock = await MockSlack().start()
    settings = bot_settings(mock, tmp_path, index_dir, slack_app_token="xapp-1-A0000001-0-test",
                            slack_signing_secret=None)
    run = asyncio.create_task(_run_socket(settings, load(settings)))
    try:
        async with ended(run):
            await mock.wait_for(lambda m: m.calls("apps.connections.open"))
            await asyncio.sleep(0.3)                      # the websocket is up
            await mock.send_envelope("slash_commands", command_payload(
                NEW_QUESTION, mock.response_url("before")), "env-1")
            [before] = await mock.wait_for(lambda m: m.responses("before"))
            (corpus_copy / "kubecon-eu-2019-reload-day.md").write_text(ADDED_NOTE, "utf-8")
            await asyncio.to_thread(build, corpus_copy, index_dir)
            await asyncio.sleep(RELOAD_SECONDS * 8)
            await mock.send_envelope("slash_commands", command_payload(
                NEW_QUESTION, mock.response_url("after")), "env-2")
            [after] = await mock.wait_for(lambda m: m.responses("after"), timeout=10)
    finally:
        await mock.close()
    assert not cites(before.body, NEW_TITLE)
    assert cites(after.body, NEW_TITLE), sections(after.body)[:2]
