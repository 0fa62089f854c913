"""Which requests the HTTP endpoint accepts: only those Slack signed, and recently; URL
verification; the health and readiness probes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from bot.slack_fakes import (action_body, action_payload, command_body, event_payload, mention,
                             signed)
from bot_fakes import IDS, QUESTION, FakeRetriever
from bot_harness import quiet, running_bot


@pytest.mark.parametrize("case", ["unsigned", "wrong secret", "stale", "tampered"])
async def test_unverified_requests_get_401_and_no_posts(tmp_path: Path, case: str) -> None:
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path) as bot:
        body = command_body(QUESTION, bot.mock.response_url())
        headers = {
            "unsigned": {"Content-Type": "application/x-www-form-urlencoded"},
            "wrong secret": signed(body, secret="not-the-secret"),
            "stale": signed(body, timestamp=int(time.time()) - 301),
            "tampered": signed(command_body("something else", bot.mock.response_url())),
        }[case]
        status, _ = await bot.post(body, headers)
        event = json.dumps({"type": "event_callback", "event": mention("<@UBOT0001> hi"),
                            "event_id": "Ev9"})
        event_status, _ = await bot.post(event, {"Content-Type": "application/json"}
                                         if case == "unsigned" else
                                         {**headers, "Content-Type": "application/json"})
        await quiet()
        assert (status, event_status) == (401, 401)
        assert bot.mock.posts() == [] and retriever.calls == []


STALE = 301   # seconds: Slack's limit is 5 minutes


async def test_stale_event_signed_for_its_old_time_gets_401_and_no_posts(tmp_path: Path) -> None:
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path) as bot:
        body = json.dumps(event_payload(mention(f"<@UBOT0001> {QUESTION}"), "EvStale"))
        old = signed(body, timestamp=int(time.time()) - STALE, content_type="application/json")
        status, _ = await bot.post(body, old)
        await quiet()
        assert status == 401
        assert bot.mock.posts() == [] and retriever.calls == []
        # The same body signed now is answered: the age alone was the reason.
        fresh = signed(body, content_type="application/json")
        assert (await bot.post(body, fresh))[0] == 200
        await bot.mock.wait_for(lambda m: m.calls("chat.postMessage"))


@pytest.mark.parametrize("case", ["unsigned", "stale"])
async def test_unverified_button_clicks_get_401_and_no_posts(tmp_path: Path, case: str) -> None:
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        value = json.dumps({"q": QUESTION, "o": 0, "t": IDS})
        body = action_body(action_payload("kubecon_helpful", value, bot.mock.response_url("vote")))
        headers = {"unsigned": {"Content-Type": "application/x-www-form-urlencoded"},
                   "stale": signed(body, timestamp=int(time.time()) - STALE)}[case]
        status, _ = await bot.post(body, headers)
        await quiet()
        assert status == 401 and bot.mock.posts() == []
        assert not (tmp_path / "feedback.jsonl").exists()
        # The same click, signed now, is recorded: only the signature made the difference.
        assert (await bot.post(body, signed(body)))[0] == 200
        await bot.mock.wait_for(lambda m: m.responses("vote"))
    assert (tmp_path / "feedback.jsonl").exists()


async def test_slightly_old_but_fresh_enough_request_is_accepted(tmp_path: Path) -> None:
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        body = command_body(QUESTION, bot.mock.response_url())
        status, _ = await bot.post(body, signed(body, timestamp=int(time.time()) - 240))
        assert status == 200
        await bot.mock.wait_for(lambda m: m.responses("r1"))


async def test_url_verification_challenge(tmp_path: Path) -> None:
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"})
        status, text = await bot.post(body, signed(body, content_type="application/json"))
    assert status == 200 and "abc123" in text


async def test_button_click_with_a_forged_signature_is_rejected(tmp_path: Path) -> None:
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        body = action_body(action_payload("kubecon_helpful", json.dumps({"q": "x", "o": 0, "t": []}),
                                          bot.mock.response_url("vote")))
        status, _ = await bot.post(body, signed(body, secret="forged"))
        await quiet()
        assert status == 401 and bot.mock.posts() == []
    assert not (tmp_path / "feedback.jsonl").exists()


# -- probes -----------------------------------------------------------------------------------

async def test_probes_before_and_after_loading(tmp_path: Path) -> None:
    async with running_bot(None, tmp_path) as bot:
        assert (await bot.get("/healthz"))[0] == 200
        status, body = await bot.get("/readyz")
        assert status == 503 and body["status"] == "loading"
        payload = command_body(QUESTION, bot.mock.response_url())
        assert (await bot.post(payload, signed(payload)))[0] == 503
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        status, body = await bot.get("/readyz")
        assert status == 200 and body["index"]["talks"] == 160
