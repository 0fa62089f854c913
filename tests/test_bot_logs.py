"""Logging: one line per answered question, hashed user, JSON when asked; secrets never logged."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from bot.logs import JsonFormatter, hash_user, setup_logging
from bot.slack_fakes import SECRET, USER
from bot_fakes import FakeRetriever
from bot_harness import BOT_TOKEN, running_bot

QUESTION = "what did Netflix say about Spinnaker"


async def test_one_line_per_answered_question(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        await bot.command(QUESTION)
        await bot.mock.wait_for(lambda m: m.responses("r1"))
    lines = [r for r in caplog.records if r.name == "bot.answers"]
    assert len(lines) == 1
    record = lines[0]
    assert record.user == hash_user(USER) and record.user != USER  # type: ignore[attr-defined]
    assert record.surface == "command" and isinstance(record.latency_ms, int)  # type: ignore[attr-defined]
    assert record.talks[0] == "kubecon-na-2017/cloud-native-cd-spinnaker"  # type: ignore[attr-defined]
    assert QUESTION not in record.getMessage()
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert BOT_TOKEN not in everything and SECRET not in everything


def test_json_lines_carry_the_fields() -> None:
    logger = logging.getLogger("bot.answers")
    record = logger.makeRecord("bot.answers", logging.INFO, __file__, 1, "answered %s", ("x",), None,
                               extra={"user": "abc", "latency_ms": 12, "talks": ["t1"]})
    data = json.loads(JsonFormatter().format(record))
    assert data["message"] == "answered x" and data["level"] == "INFO"
    assert (data["user"], data["latency_ms"], data["talks"]) == ("abc", 12, ["t1"])


def test_json_lines_include_the_traceback() -> None:
    try:
        raise ValueError("kaputt")
    except ValueError:
        import sys
        record = logging.getLogger("x").makeRecord("x", logging.ERROR, __file__, 1, "error_id=%s", ("ab12",),
                                                   sys.exc_info())
    data = json.loads(JsonFormatter().format(record))
    assert data["message"] == "error_id=ab12" and "ValueError: kaputt" in data["traceback"]


def test_setup_logging_json(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    try:
        setup_logging("INFO", "json")
        logging.getLogger("bot.test").info("hello %d", 1, extra={"k": "v"})
        logging.getLogger("bot.test").debug("hidden")
        logging.getLogger("faiss.loader").info("Loading faiss with AVX2 support.")
        logging.getLogger("faiss.loader").warning("kept")
        setup_logging("DEBUG", "json")
        logging.getLogger("faiss.loader").info("shown when debugging")
    finally:
        root.handlers[:] = saved
        root.setLevel(level)
        logging.getLogger("faiss.loader").setLevel(logging.NOTSET)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["message"] == "hello 1" and lines[0]["k"] == "v"
    assert [(x["logger"], x["message"]) for x in lines[1:]] == [
        ("faiss.loader", "kept"), ("faiss.loader", "shown when debugging")]


def test_user_hash_is_stable_and_salted() -> None:
    assert hash_user("U1") == hash_user("U1") != hash_user("U2")
    assert hash_user("U1", "salt") != hash_user("U1") and "U1" not in hash_user("U1")
