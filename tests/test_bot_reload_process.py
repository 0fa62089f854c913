"""Issue 16's Done-when with nothing stood in but Slack (slow: the real model): a real
`python -m bot --http` process, signed slash commands sent without pause, and
`python -m index.build` writing a new index with one added note into its INDEX_DIR."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot.slack_fakes import SECRET, MockSlack
from index.settings import DEFAULT_MODEL
from test_bot_reload_http import ADDED_NOTE, NEW_QUESTION, Load, is_error
from test_bot_server import free_port, poll

ROOT = Path(__file__).resolve().parents[1]
NOTE = "kubecon-eu-2019-minimice.md"        # one short note: a real build of it takes seconds
OLD_QUESTION = "what was said about service meshes"

pytestmark = pytest.mark.slow


def env_for(index: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "INDEX_"))}
    return env | {"PYTHONPATH": str(ROOT), "EMBEDDING_MODEL": DEFAULT_MODEL,
                  "INDEX_DIR": str(index), "HF_HUB_OFFLINE": "1"} | extra


def index_build(corpus: Path, index: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "index.build", "--quiet", "--no-catalog",
                           "--corpus", str(corpus), "--out", str(index)],
                          cwd=ROOT, env=env_for(index), capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]


async def test_a_bot_process_serves_a_rebuilt_index_within_30_s_without_errors(
        tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "data" / "index"
    corpus.mkdir()
    shutil.copy(ROOT / "corpus" / NOTE, corpus / NOTE)
    await asyncio.to_thread(index_build, corpus, index)
    mock = await MockSlack().start()
    port = free_port()
    log_path = tmp_path / "bot.log"           # a file, not a pipe: a full pipe would block the bot
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "--http"], cwd=tmp_path, stderr=log_path.open("w"),
        env=env_for(index, SLACK_BOT_TOKEN="xoxb-0000-test-token", SLACK_SIGNING_SECRET=SECRET,
                    SLACK_API_URL=mock.api_url, HOST="127.0.0.1", PORT=str(port),
                    INDEX_RELOAD_SECONDS="1", FEEDBACK_PATH=str(tmp_path / "feedback.jsonl")))
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            await poll(session, base + "/readyz", 200, timeout=180)
            old = (await (await session.get(base + "/readyz")).json())["index"]
            (corpus / "kubecon-eu-2019-reload-day.md").write_text(ADDED_NOTE, "utf-8")
            load = Load(session, base + "/slack/events", mock, (OLD_QUESTION, NEW_QUESTION))
            async with load.running(senders=2):
                await asyncio.sleep(1.0)
                await asyncio.to_thread(index_build, corpus, index)
                built = time.monotonic()
                while (first := load.first_new_answer()) is None:
                    assert time.monotonic() - built < 30, "the new note was never answered"
                    await asyncio.sleep(0.2)
            ready = await (await session.get(base + "/readyz")).json()
            await mock.wait_for(lambda m: len(load.replies()) == len(load.statuses), timeout=60)
    finally:
        bot.terminate()
        bot.wait(timeout=60)
        await mock.close()
    log = log_path.read_text()
    reloaded = [line for line in log.splitlines() if "reloaded the index" in line]
    print(f"\nprocess reload: {len(load.statuses)} commands, added note answered "
          f"{first - built:.2f}s after the build command returned; {reloaded}")
    assert ready["index"]["built_at"] != old["built_at"]
    assert ready["index"]["notes"] == old["notes"] + 1
    assert set(load.statuses.values()) == {200}
    replies = load.replies()
    assert all(len(bodies) == 1 for bodies in replies.values())
    assert not [name for name, [body] in replies.items() if is_error(body)]
    assert "reloaded the index" in log and " ERROR " not in log, log[-2000:]
    assert first - built < 30
