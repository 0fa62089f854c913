"""Replicas that agree (issue 16): two bot processes in HTTP mode share one real redis-server;
a Slack retry reaching the other replica is not answered twice, votes taken by either land in
one store, and `python -m bot feedback export` returns them all as JSONL and CSV."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
import redis

from bot.cli import main
from bot.slack_fakes import (SECRET, MockSlack, action_body, action_payload, buttons,
                             event_payload, mention, signed)
from bot_fakes import QUESTION, FakeRetriever
from bot_harness import BOT_TOKEN, make_settings, quiet
from test_bot_server import free_port, poll

ROOT = Path(__file__).resolve().parents[1]


def _env(index_dir: Path, redis_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "REDIS_"))}
    return env | {"PYTHONPATH": str(ROOT), "INDEX_DIR": str(index_dir), "REDIS_URL": redis_url,
                  "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, **extra}


@asynccontextmanager
async def replicas(mock: MockSlack, index_dir: Path, redis_url: str,
                   tmp_path: Path) -> AsyncIterator[list[str]]:
    """Two `bot.cli.main --http` processes (tests/bot_process.py); yields their base URLs."""
    procs, urls = [], []
    for name in ("a", "b"):
        work = tmp_path / name
        work.mkdir()
        port = free_port()
        env = _env(index_dir, redis_url, SLACK_API_URL=mock.api_url, HOST="127.0.0.1",
                   PORT=str(port), FEEDBACK_PATH=str(work / "feedback.jsonl"))
        with (work / "bot.log").open("wb") as log:
            procs.append(subprocess.Popen([sys.executable, str(ROOT / "tests" / "bot_process.py")],
                                          cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        async with aiohttp.ClientSession() as session:
            for url in urls:
                await poll(session, url + "/readyz", 200, timeout=60)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            assert proc.wait(30) == 0, (tmp_path / "a" / "bot.log").read_text()[-2000:]


async def _post(url: str, body: str, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as session:
        async with session.post(url + "/slack/events", data=body.encode(), headers=headers) as resp:
            return resp.status


async def deliver(url: str, event_id: str, retry: dict[str, str] | None = None) -> int:
    body = json.dumps(event_payload(mention(f"<@UBOT0001> {QUESTION}"), event_id))
    return await _post(url, body, signed(body, content_type="application/json") | (retry or {}))


async def vote(url: str, mock: MockSlack, action: str, value: str, user: str) -> None:
    body = action_body(action_payload(action, value, mock.response_url(user), user=user))
    assert await _post(url, body, signed(body)) == 200
    await mock.wait_for(lambda m: m.responses(user))


@pytest.mark.parametrize(("reason", "shared", "answers"), [
    ("http_timeout", True, 1),
    ("connection_failed", True, 1),
    # The control: without Redis, replica B never saw the event and Slack says the first
    # delivery failed to connect, so B answers it a second time. The test can fail.
    ("connection_failed", False, 2)])
async def test_a_retry_reaching_the_other_replica_is_answered_once(
        fake_index: Path, redis_url: str, tmp_path: Path, reason: str, shared: bool,
        answers: int) -> None:
    mock = await MockSlack().start()
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": reason}
    try:
        async with replicas(mock, fake_index, redis_url if shared else "", tmp_path) as (a, b):
            assert await deliver(a, "EvShared1") == 200
            await mock.wait_for(lambda m: m.calls("chat.postMessage"))
            assert await deliver(b, "EvShared1", retry) == 200
            await quiet(0.5)
            posts = mock.calls("chat.postMessage")
    finally:
        await mock.close()
    assert len(posts) == answers, [p.body.get("text", "")[:60] for p in posts]
    with redis.Redis.from_url(redis_url) as client:
        assert client.exists("kubecon-bot:event:EvShared1") == shared


def export(redis_url: str, index_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "feedback", "export", *args], cwd=cwd,
                          env=_env(index_dir, redis_url), capture_output=True, text=True, timeout=60)


async def test_votes_on_both_replicas_land_in_one_store_and_export(
        fake_index: Path, redis_url: str, tmp_path: Path) -> None:
    mock = await MockSlack().start()
    try:
        async with replicas(mock, fake_index, redis_url, tmp_path) as (a, b):
            assert await deliver(a, "EvVote1") == 200
            [answer] = await mock.wait_for(lambda m: m.calls("chat.postMessage"))
            values = buttons(answer.body)
            await vote(a, mock, "kubecon_helpful", values["kubecon_helpful"], "U0VOTER01")
            await vote(b, mock, "kubecon_not_helpful", values["kubecon_not_helpful"], "U0VOTER02")
            await vote(b, mock, "kubecon_helpful", values["kubecon_helpful"], "U0VOTER03")
    finally:
        await mock.close()
    assert not list(tmp_path.glob("*/feedback.jsonl"))          # nothing in the pods' files
    jsonl = export(redis_url, fake_index, tmp_path)
    assert jsonl.returncode == 0, jsonl.stderr
    records = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [r["helpful"] for r in records] == [True, False, True]
    assert {r["question"] for r in records} == {QUESTION} and len({r["user"] for r in records}) == 3
    assert all(r["talk_ids"] for r in records) and "U0VOTER01" not in jsonl.stdout
    assert "exported 3 votes from redis://127.0.0.1:" in jsonl.stderr
    out = tmp_path / "votes.csv"
    done = export(redis_url, fake_index, tmp_path, "--format", "csv", "--out", str(out))
    assert done.returncode == 0 and done.stdout == "", done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["user"], r["helpful"]) for r in rows] == [
        (r["user"], "true" if r["helpful"] else "false") for r in records]
    assert rows[0]["talk_ids"].split() == records[0]["talk_ids"]


def test_start_up_stops_with_one_line_when_redis_cannot_be_reached(fake_index: Path,
                                                                  tmp_path: Path) -> None:
    port = free_port()
    settings = make_settings(MockSlack(), tmp_path, index_dir=fake_index,
                             redis_url=f"redis://127.0.0.1:{port}/0")
    err = io.StringIO()
    code = main(["--http"], settings=settings, stderr=err, load=lambda s: FakeRetriever())
    assert code == 2
    [line] = err.getvalue().splitlines()
    assert line.startswith(f"error: REDIS_URL redis://127.0.0.1:{port}/0 cannot be reached (")
    assert "check that Redis is running" in line


def test_export_reads_the_file_without_redis(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    path.write_text('{"time": "t", "user": "h1", "helpful": true, "question": "q?", '
                    '"talk_ids": ["x/y"], "offset": 0}\n')
    settings = make_settings(MockSlack(), tmp_path, feedback_path=path)
    out, err = io.StringIO(), io.StringIO()
    assert main(["feedback", "export", "--format", "csv"], settings=settings, stdout=out,
                stderr=err) == 0
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert (row["user"], row["helpful"], row["talk_ids"]) == ("h1", "true", "x/y")
    assert f"exported 1 votes from {path} as csv" in err.getvalue()
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    err = io.StringIO()
    assert main(["feedback", "export", "--out", str(blocked / "votes.jsonl")], settings=settings,
                stderr=err) == 1
    assert err.getvalue().startswith(f"error: cannot write {blocked / 'votes.jsonl'} (")
