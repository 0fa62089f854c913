"""Hostile requests to the HTTP endpoint (issue 16, findings 3 and 4): malformed or unsigned
requests get 400/401 and one short log line, never a traceback; no request body, user name,
question or response_url reaches the log at INFO, whatever the libraries log."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bot_fakes import QUESTION, FakeRetriever
from bot_harness import Harness, quiet, running_bot
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.logs import setup_logging
from bot.slack_fakes import USER, command_body, signed

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def log_stream(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """What the bot's own logging setup (INFO, text) writes."""
    root, stream = logging.getLogger(), io.StringIO()
    level = root.level
    monkeypatch.setattr(root, "handlers", [])   # put back as they were afterwards
    monkeypatch.setattr("sys.stderr", stream)
    setup_logging("INFO", "text")
    yield stream
    root.setLevel(level)


def private_data(bot: Harness, body: str) -> list[str]:
    """What must never be logged: the body, the user, the question, the response_url."""
    return [body[:200], USER, "user_name", "asker", QUESTION, bot.mock.response_url(), "x" * 100]


def assert_one_short_clean_line(stream: io.StringIO, secrets: list[str], start: int) -> None:
    lines = stream.getvalue()[start:].splitlines()
    assert len(lines) == 1, lines
    assert len(lines[0]) < 300, lines[0][:300]
    assert not [s for s in secrets if s in lines[0]], lines[0]
    assert "Traceback" not in lines[0]


def bad_requests(bot: Harness) -> dict[str, tuple[str, dict[str, str]]]:
    """A megabyte signed with the wrong secret; a genuine request five minutes too old."""
    big = command_body("x" * 1_000_000, bot.mock.response_url())
    genuine = command_body(QUESTION, bot.mock.response_url())
    return {"bad signature, 1 MB": (big, signed(big, secret="not-the-secret")),
            "skewed timestamp": (genuine, signed(genuine, timestamp=int(time.time()) - 400))}


async def test_rejected_requests_log_one_short_line_without_data(
        tmp_path: Path, log_stream: io.StringIO) -> None:
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        for body, headers in bad_requests(bot).values():
            start = len(log_stream.getvalue())
            assert (await bot.post(body, headers))[0] == 401
            await quiet(0.1)
            assert_one_short_clean_line(log_stream, private_data(bot, body), start)
        assert bot.mock.posts() == []


async def test_what_bolt_logs_of_a_bad_request_is_redacted(
        tmp_path: Path, log_stream: io.StringIO) -> None:
    """Past the gate, Bolt itself logs the whole body at INFO; the filter cuts it."""
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        assert bot.state.app is not None
        for body, headers in bad_requests(bot).values():
            start = len(log_stream.getvalue())
            response = await bot.state.app.async_dispatch(AsyncBoltRequest(body=body, headers=headers))
            assert response.status == 401
            assert_one_short_clean_line(log_stream, private_data(bot, body), start)


def test_every_message_is_capped(log_stream: io.StringIO) -> None:
    logging.getLogger("bot.test").warning("big: %s", "y" * 1_000_000)
    logging.getLogger("aiohttp.access").info('127.0.0.1 "POST /slack/events?%s"', "z" * 5000)
    lines = log_stream.getvalue().splitlines()
    assert len(lines) == 2 and all(len(line) < 1200 for line in lines)


# -- finding 4: malformed requests --------------------------------------------------------------

def malformed(case: str, response_url: str) -> tuple[str, dict[str, str], int]:
    """A body and the headers it is sent with, signed unless the case says otherwise."""
    command = command_body(QUESTION, response_url)
    if case == "bad payload JSON":
        return "payload=%7B%22type%22%3A", signed("payload=%7B%22type%22%3A"), 400
    if case == "payload=[]":
        return "payload=%5B%5D", signed("payload=%5B%5D"), 400
    if case == "form sent as JSON":
        return command, signed(command, content_type="application/json"), 400
    if case == "bogus charset":
        return command, signed(command, content_type=f"{FORM}; charset=no-such-charset"), 400
    if case == "non-numeric timestamp":
        headers = signed(command) | {"X-Slack-Request-Timestamp": "soon"}
        return command, headers, 401
    if case == "unsigned payload=[]":
        return "payload=%5B%5D", {"Content-Type": FORM}, 401
    if case == "JSON event without a type":
        return '{"event": {}}', signed('{"event": {}}', content_type="application/json"), 400
    raise AssertionError(case)


CASES = ["bad payload JSON", "payload=[]", "form sent as JSON", "bogus charset",
         "non-numeric timestamp", "unsigned payload=[]", "JSON event without a type"]


@pytest.mark.parametrize("case", CASES)
async def test_malformed_requests_get_4xx_one_line_and_no_traceback(
        tmp_path: Path, case: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        body, headers, expected = malformed(case, bot.mock.response_url())
        status, text = await bot.post(body, headers)
        await quiet(0.2)
        assert status == expected, text
        assert bot.mock.posts() == [] and bot.mock.responses() == []
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].exc_info is None and len(records[0].getMessage()) < 200
    assert "Traceback" not in caplog.text and QUESTION not in caplog.text
