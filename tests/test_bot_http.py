"""The slash command in HTTP mode, driven over real HTTP the way Slack drives it, against a
local mock Slack: the private answer, help, refusals, errors and escaping end to end."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from pathlib import Path

import pytest

from bot.slack_fakes import buttons, sections, texts
from bot_fakes import AUSTIN, QUESTION, SPINNAKER, SPINNAKER_SENTENCE, FakeRetriever
from bot_harness import running_bot

SPINNAKER_URL = f"{AUSTIN.url}#{SPINNAKER.anchor}"


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
