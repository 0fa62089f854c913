"""Events in HTTP mode: mentions answered in a thread, DMs in the DM, the rest ignored, and
Slack's redeliveries never answered twice."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.slack_fakes import CHANNEL, buttons, direct_message, mention, sections, texts
from bot_fakes import QUESTION, SPINNAKER, FakeRetriever
from bot_harness import BOT_TOKEN, quiet, running_bot


async def test_mention_is_answered_in_a_thread(tmp_path: Path) -> None:
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path) as bot:
        status, _ = await bot.event(mention(f"<@UBOT0001> {QUESTION}", ts="1700000000.000100"))
        assert status == 200
        [post] = await bot.mock.wait_for(lambda m: m.calls("chat.postMessage"))
    assert post.body["channel"] == CHANNEL
    assert post.body["thread_ts"] == "1700000000.000100"
    assert post.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    assert retriever.calls == [(QUESTION, 3, 0)]
    assert SPINNAKER.title in sections(post.body)[1]
    assert "kubecon_share" not in buttons(post.body)


async def test_mention_inside_a_thread_answers_in_that_thread(tmp_path: Path) -> None:
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        await bot.event(mention("<@UBOT0001> spinnaker", ts="1700000009.000900",
                                thread_ts="1700000005.000500"))
        [post] = await bot.mock.wait_for(lambda m: m.calls("chat.postMessage"))
    assert post.body["thread_ts"] == "1700000005.000500"


async def test_bare_mention_gets_help(tmp_path: Path) -> None:
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path) as bot:
        await bot.event(mention("<@UBOT0001>"))
        [post] = await bot.mock.wait_for(lambda m: m.calls("chat.postMessage"))
    assert "year:2019" in "\n".join(texts(post.body)) and retriever.calls == []


async def test_direct_message_is_answered_in_the_dm(tmp_path: Path) -> None:
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path) as bot:
        await bot.event(direct_message(QUESTION, channel="D0DM00001"))
        [post] = await bot.mock.wait_for(lambda m: m.calls("chat.postMessage"))
    assert post.body["channel"] == "D0DM00001"
    assert not post.body.get("thread_ts")
    assert retriever.calls == [(QUESTION, 3, 0)]


async def test_bot_and_channel_messages_get_no_answer(tmp_path: Path) -> None:
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path) as bot:
        own = direct_message("a message the bot posted") | {"bot_id": "BBOT0001"}
        channel = direct_message("chatter in a channel", channel=CHANNEL) | {"channel_type": "channel"}
        edited = direct_message("edited") | {"subtype": "message_changed"}
        for i, event in enumerate((own, channel, edited)):
            assert (await bot.event(event, event_id=f"EvX{i}"))[0] == 200
        await quiet()
        assert bot.mock.posts() == [] and retriever.calls == []


@pytest.mark.parametrize("reason", ["http_timeout", "connection_failed"])
async def test_a_retry_never_produces_a_second_answer(tmp_path: Path, reason: str) -> None:
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        await bot.event(mention(f"<@UBOT0001> {QUESTION}"), event_id="EvOnce")
        await bot.mock.wait_for(lambda m: m.calls("chat.postMessage"))
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": reason}
        status, _ = await bot.event(mention(f"<@UBOT0001> {QUESTION}"), event_id="EvOnce",
                                    extra_headers=retry)
        assert status == 200
        await quiet()
        assert len(bot.mock.calls("chat.postMessage")) == 1


async def test_retry_after_a_timeout_of_an_unseen_event_is_not_answered(tmp_path: Path) -> None:
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        retry = {"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"}
        await bot.event(mention("<@UBOT0001> spinnaker"), event_id="EvElsewhere", extra_headers=retry)
        await quiet()
        assert bot.mock.posts() == []


async def test_retry_after_a_failed_connection_of_an_unseen_event_is_answered_once(tmp_path: Path) -> None:
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "connection_failed"}
        for _ in range(2):
            await bot.event(mention("<@UBOT0001> spinnaker"), event_id="EvLost", extra_headers=retry)
        await bot.mock.wait_for(lambda m: m.calls("chat.postMessage"))
        await quiet()
        assert len(bot.mock.calls("chat.postMessage")) == 1


async def test_failing_slack_post_is_logged_with_an_error_id(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        bot.mock.fail["chat.postMessage"] = "channel_not_found"
        await bot.event(mention("<@UBOT0001> spinnaker"))
        await bot.mock.wait_for(lambda m: len(m.calls("chat.postMessage")) == 2)  # answer, apology
        await quiet(0.1)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and "error_id=" in r.getMessage()]
    assert errors and "channel_not_found" in str(errors[0].exc_info[1])
