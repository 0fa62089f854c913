"""Graceful shutdown in Socket Mode (issue 16, finding 1): `python -m bot` connected to a local
websocket standing in for Slack's gets SIGTERM while slash commands stream in; every envelope it
acknowledged gets its answer, or past SHUTDOWN_GRACE the apology, at its response_url."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.slack_fakes import MockSlack, command_payload
from bot_harness import BOT_TOKEN
from test_bot_shutdown import assert_each_answered_once
from test_bot_socket import APP_TOKEN, QUESTION

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
COUNT = 300

# The bot's own entry point (settings from the environment, Socket Mode chosen by
# SLACK_APP_TOKEN, its signal handling and drain); only the index loader is a fake whose
# searches take 50 ms, so that answers are still owed when SIGTERM comes.
BOT = """
import sys, time
from bot.cli import main
from bot_fakes import FakeRetriever
sys.exit(main([], load=lambda s: FakeRetriever(on_search=lambda q: time.sleep(0.05))))
"""


def bot_env(mock: MockSlack, index: Path, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "INDEX_", "EMBEDDING_", "LOG_", "SHUTDOWN_"))}
    return env | {"PYTHONPATH": os.pathsep.join([str(ROOT), str(TESTS)]),
                  "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_BOT_TOKEN": BOT_TOKEN,
                  "SLACK_API_URL": mock.api_url, "INDEX_DIR": str(index),
                  "FEEDBACK_PATH": str(tmp_path / "feedback.jsonl"), "SHUTDOWN_GRACE": "1.0",
                  "LOG_LEVEL": "INFO"}


async def send_commands(mock: MockSlack, count: int) -> int:
    """Push `count` slash commands, each with its own response_url, until the bot hangs up."""
    for i in range(count):
        payload = command_payload(f"{QUESTION} {i}", mock.response_url(f"q{i}"))
        try:
            await mock.send_envelope("slash_commands", payload, f"env-q{i}")
        except (ConnectionError, RuntimeError, AssertionError):
            return i                                  # the bot closed the websocket
        await asyncio.sleep(0.002)
    return count


async def test_sigterm_in_socket_mode_answers_or_apologises_for_every_acked_command(
        tmp_path: Path, fake_index: Path) -> None:
    mock = await MockSlack().start()
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-c", BOT, cwd=tmp_path, env=bot_env(mock, fake_index, tmp_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        await mock.wait_for(lambda m: m.calls("apps.connections.open"), timeout=60)
        sending = asyncio.create_task(send_commands(mock, COUNT))
        await mock.wait_for(lambda m: len(m.acks) >= 60, timeout=30)
        bot.send_signal(signal.SIGTERM)
        sent = await sending
        code = await asyncio.wait_for(bot.wait(), 15)
        log = (await bot.stdout.read()).decode() if bot.stdout else ""
        assert code == 0, log
        assert "stopping: waiting up to 1s (SHUTDOWN_GRACE)" in log, log
        acked = [a["envelope_id"].removeprefix("env-") for a in mock.acks]
        assert len(set(acked)) == len(acked) >= 60
        assert len(acked) < COUNT or sent == COUNT, (len(acked), sent)
        # Envelopes the bot took as it closed the websocket lost their ack: apologised for.
        assert_each_answered_once(mock, acked, lost_acks=10)
    finally:
        if bot.returncode is None:
            bot.kill()
            await bot.wait()
        await mock.close()
