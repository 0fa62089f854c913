"""The bot as a process (`python -m bot --http`) against the local stand-in for Slack
(`bot.slack_fakes`, which the tests use too).

`run_bot(index_dir, ...)` starts the bot, times start-up (spawn to `/readyz` 200 and to the
first answer at a `response_url`), optionally sends signed slash commands `load` at a time, and
reads the process's peak RSS (VmHWM) before stopping it with SIGTERM. Every request goes to
127.0.0.1 only, in a bounded number and time.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import aiohttp
from aiohttp import web

from bot.slack_fakes import SECRET, MockSlack, command_body, signed

ROOT = Path(__file__).resolve().parents[1]

BOT_TOKEN = "xoxb-0000-bench-token"


@dataclass
class TimedMock(MockSlack):
    """MockSlack that stamps the arrival of each response_url post."""

    arrived: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._events: dict[str, asyncio.Event] = {}

    def event(self, rid: str) -> asyncio.Event:
        return self._events.setdefault(rid, asyncio.Event())

    async def _response(self, request: web.Request) -> web.Response:
        now = time.perf_counter()
        raw = await request.text()
        rid = request.match_info["rid"]
        self.arrived.setdefault(rid, (now, json.loads(raw or "{}")))
        self.event(rid).set()
        return web.Response(text="ok")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pct(values: list[float], q: float) -> float:
    import numpy as np
    return float(np.percentile(values, q)) if values else float("nan")


async def _command(session: aiohttp.ClientSession, url: str, mock: TimedMock, rid: str,
                   text: str, timeout: float) -> dict[str, Any]:
    body = command_body(text, mock.response_url(rid))
    headers = signed(body)
    waiter = mock.event(rid)
    start = time.perf_counter()
    try:
        async with session.post(url + "/slack/events", data=body.encode(),
                                headers=headers) as resp:
            status = resp.status
            await resp.read()
    except aiohttp.ClientError as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    ack = time.perf_counter() - start
    if status != 200:
        return {"ok": False, "ack_s": ack, "error": f"HTTP {status}"}
    try:
        await asyncio.wait_for(waiter.wait(), timeout)
    except TimeoutError:
        return {"ok": False, "ack_s": ack, "error": "no answer at response_url"}
    arrived, message = mock.arrived[rid]
    text_out = str(message.get("text", ""))
    ok = not text_out.startswith(":warning:")
    return {"ok": ok, "ack_s": ack, "answer_s": arrived - start,
            "error": None if ok else text_out[:200]}


def _spawn(index_dir: Path, api_url: str, port: int,
           env_extra: dict[str, str]) -> tuple[subprocess.Popen[bytes], float, Path, IO[str]]:
    """Start `python -m bot --http` on `port`, talking to the Slack at `api_url`; returns the
    process, when it was spawned (perf_counter), its scratch folder and its log file."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-bot-"))
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": api_url, "INDEX_DIR": str(index_dir), "PORT": str(port),
           "HOST": "127.0.0.1", "LOG_LEVEL": "WARNING", "FEEDBACK_PATH":
           str(workdir / "feedback.jsonl"), "PYTHONPATH": str(ROOT), **env_extra}
    env.pop("SLACK_APP_TOKEN", None)
    log = open(workdir / "bot.log", "w")
    spawn = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "--http"], cwd=workdir, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    return proc, spawn, workdir, log


async def _wait_ready(session: aiohttp.ClientSession, url: str, proc: subprocess.Popen[bytes],
                      spawn: float, workdir: Path) -> float:
    """Seconds from `spawn` until /readyz answers 200 (at most 600 s)."""
    deadline = spawn + 600
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the bot exited ({proc.returncode}); see {workdir}/bot.log")
        try:
            async with session.get(url + "/readyz") as resp:
                if resp.status == 200:
                    return time.perf_counter() - spawn
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError("the bot did not get ready within 600 s")


async def _load(session: aiohttp.ClientSession, url: str, mock: TimedMock, questions: list[str],
                load: int, concurrency: int, timeout: float) -> dict[str, Any]:
    """`load` slash commands, `concurrency` at a time: ack and answer latencies, errors."""
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> dict[str, Any]:
        async with sem:
            return await _command(session, url, mock, f"load{i}",
                                  questions[i % len(questions)], timeout)
    started = time.perf_counter()
    results = await asyncio.gather(*(one(i) for i in range(load)))
    wall = time.perf_counter() - started
    acks = [r["ack_s"] * 1000 for r in results if "ack_s" in r]
    answers = [r["answer_s"] * 1000 for r in results if "answer_s" in r]
    errors = [r["error"] for r in results if not r["ok"]]
    return {
        "requests": load, "concurrency": concurrency, "seconds": round(wall, 2),
        "ack_ms": {"p50": round(pct(acks, 50), 1), "p99": round(pct(acks, 99), 1),
                   "max": round(max(acks), 1) if acks else None},
        "answer_ms": {"p50": round(pct(answers, 50), 1),
                      "p99": round(pct(answers, 99), 1),
                      "max": round(max(answers), 1) if answers else None},
        "errors": len(errors), "error_samples": errors[:3]}


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 30 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def _run(index_dir: Path, questions: list[str], load: int, concurrency: int,
               env_extra: dict[str, str], timeout: float, warm: int) -> dict[str, Any]:
    mock = await TimedMock().start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc, spawn, workdir, log = _spawn(index_dir, mock.api_url, port, env_extra)
    out: dict[str, Any] = {"index": str(index_dir)}
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            out["ready_s"] = round(await _wait_ready(session, url, proc, spawn, workdir), 2)
            out["rss_ready_mb"] = round(peak_rss_mb(proc.pid), 1)
            first = await _command(session, url, mock, "first", questions[0], timeout)
            out["first_answer_s"] = round(time.perf_counter() - spawn, 2)
            out["first_answer_ok"] = first["ok"]
            for i in range(warm):
                await _command(session, url, mock, f"warm{i}", questions[(i + 1) % len(questions)],
                               timeout)
            if load:
                out["load"] = await _load(session, url, mock, questions, load, concurrency,
                                          timeout)
            out["peak_rss_mb"] = round(peak_rss_mb(proc.pid), 1)
    finally:
        _stop(proc)
        log.close()
        await mock.close()
    out["exit_code"] = proc.returncode
    out["log_tail"] = (workdir / "bot.log").read_text(errors="replace")[-600:]
    return out


def run_bot(index_dir: Path, questions: list[str], load: int = 0, concurrency: int = 20,
            env_extra: dict[str, str] | None = None, timeout: float = 120.0,
            warm: int = 3) -> dict[str, Any]:
    return asyncio.run(_run(index_dir, questions, load, concurrency, env_extra or {}, timeout,
                            warm))


if __name__ == "__main__":
    import yaml
    qs = [q["q"] for q in yaml.safe_load((ROOT / "eval" / "dev_questions.yaml").read_text())]
    print(json.dumps(run_bot(Path(sys.argv[1]), qs, load=int(sys.argv[2]) if len(sys.argv) > 2
                             else 0), indent=1))
