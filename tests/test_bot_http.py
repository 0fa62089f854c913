"""The bot in HTTP mode, driven over real HTTP the way Slack drives it, against a local mock Slack."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from pathlib import Path

import pytest

from bot_fakes import AUSTIN, RANKING, SPINNAKER, SPINNAKER_SENTENCE, FakeRetriever
from bot_harness import BOT_TOKEN, running_bot
from slack_payloads import (CHANNEL, USER, action_body, action_payload, buttons, command_body,
                            direct_message, event_payload, mention, sections, signed, texts)

QUESTION = "what did Netflix say about Spinnaker"
SPINNAKER_URL = f"{AUSTIN.url}#{SPINNAKER.anchor}"
IDS = [r.talk.id for r in RANKING[:3]]


async def quiet(seconds: float = 0.3) -> None:
    """Give the app time to do something it should not do."""
    await asyncio.sleep(seconds)


# -- the slash command ------------------------------------------------------------------------

async def test_command_answers_privately_with_cited_talks(tmp_path: Path) -> None:
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path) as bot:
        status, body = await bot.command(QUESTION)
        assert (status, body) == (200, "")
        [reply] = await bot.mock.wait_for(lambda m: m.responses("r1"))
    message = reply.body
    assert message["response_type"] == "ephemeral"
    assert retriever.calls == [(QUESTION, 3, 0)]
    first = sections(message)[1]
    assert f"<{SPINNAKER_URL}|Cloud Native CD: Spinnaker and the Culture Behind the Tech>" in first
    assert "Dianne Marsh" in first and "Netflix" in first
    assert "North America 2017" in first
    assert f"*{SPINNAKER_SENTENCE}*" in first
    assert f"<{SPINNAKER_URL}|Notes by Alexander Trost>" in first
    assert "<https://www.youtube.com/watch?v=spinnaker1|Recording>" in first
    assert "<https://slides.example.com/spinnaker.pdf|Slides>" in first
    assert len(sections(message)) == 1 + 3
    footer = texts(message)[-5]
    assert "2024-05-01" in footer and "5 notes" in footer and "160 talks" in footer
    assert set(buttons(message)) == {"kubecon_share", "kubecon_more", "kubecon_helpful",
                                     "kubecon_not_helpful"}


async def test_ack_comes_back_before_the_answer_is_computed(tmp_path: Path) -> None:
    gate = threading.Event()
    retriever = FakeRetriever(gate=gate)
    try:
        async with running_bot(retriever, tmp_path) as bot:
            started = time.monotonic()
            status, _ = await bot.command(QUESTION)
            assert status == 200 and time.monotonic() - started < 2
            # The search has started and is blocked in its thread; the loop still serves requests.
            assert await asyncio.to_thread(retriever.entered.wait, 5)
            assert (await bot.get("/healthz"))[0] == 200
            assert bot.mock.responses() == []
            gate.set()
            [reply] = await bot.mock.wait_for(lambda m: m.responses("r1"))
            assert SPINNAKER.title in sections(reply.body)[1]
    finally:
        gate.set()


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


async def test_help_and_empty_command_explain_usage_and_filters(tmp_path: Path) -> None:
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path) as bot:
        await bot.command("help", response="help")
        await bot.command("   ", response="empty")
        replies = await bot.mock.wait_for(
            lambda m: len(m.responses("help")) + len(m.responses("empty")) == 2 and m.responses())
    for reply in replies:
        text = "\n".join(texts(reply.body))
        for needle in ("/kubecon", "year:2019", "event:kubecon-eu-2019", 'speaker:"Kelsey Hightower"',
                       "company:netflix", "mention"):
            assert needle in text.replace("&quot;", '"')
    assert retriever.calls == []


async def test_nothing_relevant_says_so_with_the_filters_and_a_suggestion(tmp_path: Path) -> None:
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        await bot.command("nothing matches this year:2019 company:netflix")
        [reply] = await bot.mock.wait_for(lambda m: m.responses("r1"))
    text = "\n".join(texts(reply.body))
    assert "nothing" in text.lower()
    assert "year:2019" in text and "company:netflix" in text
    assert "Try" in text
    assert buttons(reply.body) == {}
    assert SPINNAKER.title not in text


async def test_a_question_the_retriever_refuses_gets_its_message(tmp_path: Path) -> None:
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        await bot.command("x " * 3000)
        [reply] = await bot.mock.wait_for(lambda m: m.responses("r1"))
    text = "\n".join(texts(reply.body))
    assert "too long" in text and "error id" not in text


async def test_unexpected_error_gets_an_apology_with_the_id_in_the_log(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        await bot.command("boom goes the index")
        [reply] = await bot.mock.wait_for(lambda m: m.responses("r1"))
    text = json.dumps(reply.body)
    match = re.search(r"error id `([0-9a-f]{8})`", text)
    assert match, text
    assert "Traceback" not in text and "RuntimeError" not in text and "exploded" not in text
    logged = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "the index exploded" in str(logged[0].exc_info[1])


# -- mentions and DMs -------------------------------------------------------------------------

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


# -- buttons ----------------------------------------------------------------------------------

async def _private_answer(bot, question: str = QUESTION) -> dict:  # type: ignore[no-untyped-def]
    await bot.command(question)
    [reply] = await bot.mock.wait_for(lambda m: m.responses("r1"))
    return reply.body


async def test_share_posts_the_same_answer_publicly_crediting_the_asker(tmp_path: Path) -> None:
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        private = await _private_answer(bot)
        status, _ = await bot.click("kubecon_share", buttons(private)["kubecon_share"], response="share")
        assert status == 200
        replies = await bot.mock.wait_for(lambda m: len(m.responses("share")) == 2 and m.responses("share"))
    public = next(r.body for r in replies if r.body.get("response_type") == "in_channel")
    assert f"<@{USER}>" in sections(public)[0] and QUESTION in sections(public)[0]
    assert sections(public)[1:] == sections(private)[1:]
    assert "kubecon_share" not in buttons(public)
    assert any(r.body.get("delete_original") is True for r in replies)


async def test_more_results_shows_the_next_talks_privately(tmp_path: Path) -> None:
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path) as bot:
        private = await _private_answer(bot)
        await bot.click("kubecon_more", buttons(private)["kubecon_more"], response="more")
        [more] = await bot.mock.wait_for(lambda m: m.responses("more"))
    assert more.body["response_type"] == "ephemeral"
    assert retriever.calls[-1] == (QUESTION, 3, 3)
    talk_sections = sections(more.body)[1:]
    assert [s.split("|", 1)[1].split(">")[0] for s in talk_sections] == ["Extra Talk 4", "Extra Talk 5"]
    assert talk_sections[0].startswith("*4. ")
    assert "kubecon_more" not in buttons(more.body)


async def test_more_results_in_a_thread_post_in_that_thread(tmp_path: Path) -> None:
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path) as bot:
        await bot.event(mention(f"<@UBOT0001> {QUESTION}", ts="1700000000.000100"))
        [answer] = await bot.mock.wait_for(lambda m: m.calls("chat.postMessage"))
        message = {"ts": "1700000002.000300", "thread_ts": "1700000000.000100", "text": "x"}
        await bot.click("kubecon_more", buttons(answer.body)["kubecon_more"], ephemeral=False,
                        message=message)
        posts = await bot.mock.wait_for(lambda m: len(m.calls("chat.postMessage")) == 2
                                        and m.calls("chat.postMessage"))
    assert posts[1].body["thread_ts"] == "1700000000.000100"
    assert posts[1].body["channel"] == CHANNEL
    assert "Extra Talk 4" in sections(posts[1].body)[1]


@pytest.mark.parametrize(("action", "helpful"), [("kubecon_helpful", True),
                                                  ("kubecon_not_helpful", False)])
async def test_feedback_is_recorded_with_question_and_talks(tmp_path: Path, action: str,
                                                             helpful: bool) -> None:
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        private = await _private_answer(bot)
        await bot.click(action, buttons(private)[action], response="vote")
        [thanks] = await bot.mock.wait_for(lambda m: m.responses("vote"))
    assert thanks.body["response_type"] == "ephemeral"
    [line] = (tmp_path / "feedback.jsonl").read_text().splitlines()
    record = json.loads(line)
    assert record["question"] == QUESTION and record["talk_ids"] == IDS
    assert record["helpful"] is helpful
    assert USER not in line and len(record["user"]) >= 8


async def test_long_question_keeps_button_values_short_and_still_works(tmp_path: Path) -> None:
    question = QUESTION + " " + "really " * 400
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path) as bot:
        private = await _private_answer(bot, question)
        values = buttons(private)
        assert all(len(v) <= 2000 for v in values.values())
        await bot.click("kubecon_more", values["kubecon_more"], response="more")
        await bot.mock.wait_for(lambda m: m.responses("more"))
    assert retriever.calls[-1] == (question.strip(), 3, 3) or retriever.calls[-1][1:] == (3, 3)
    assert retriever.calls[-1][0] == retriever.calls[0][0]


async def test_expired_button_gets_a_plain_message(tmp_path: Path) -> None:
    from bot.actions import ValueStore

    now = [0.0]
    store = ValueStore(ttl=60, clock=lambda: now[0])
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path, values=store) as bot:
        private = await _private_answer(bot, QUESTION + " " + "very " * 500)
        now[0] = 61
        await bot.click("kubecon_more", buttons(private)["kubecon_more"], response="old")
        [old] = await bot.mock.wait_for(lambda m: m.responses("old"))
    assert "ask again" in "\n".join(texts(old.body)) and len(retriever.calls) == 1


# -- escaping, end to end --------------------------------------------------------------------

async def test_note_and_question_markup_arrives_as_plain_text(tmp_path: Path) -> None:
    from bot_fakes import result
    from dataclasses import replace

    evil = replace(SPINNAKER, title="Hi <!channel> <@U999>",
                   note=replace(AUSTIN, author="<http://evil.example|click>"))
    retriever = FakeRetriever(ranking=[result(evil, 1, "Ping <!here> & <#C123>. Click <http://evil.example|here>.",
                                              "Click <http://evil.example|here>.")])
    async with running_bot(retriever, tmp_path) as bot:
        await bot.command("&lt;!everyone&gt; spinnaker")
        [reply] = await bot.mock.wait_for(lambda m: m.responses("r1"))
    blob = "\n".join([reply.body["text"], *texts(reply.body)])   # what Slack renders
    for raw in ("<!channel>", "<@U999>", "<!here>", "<#C123>", "<http://evil", "<!everyone>"):
        assert raw not in blob
    assert "&lt;!channel&gt;" in blob and "&lt;!everyone&gt;" in blob


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
