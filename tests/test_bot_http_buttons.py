"""An answer's buttons in HTTP mode: "Share in channel", "More results", the feedback votes,
long and expired button values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.slack_fakes import CHANNEL, USER, buttons, mention, sections, texts
from bot_fakes import IDS, QUESTION, FakeRetriever
from bot_harness import running_bot


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
    from bot.buttons import ValueStore

    now = [0.0]
    store = ValueStore(ttl=60, clock=lambda: now[0])
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path, values=store) as bot:
        private = await _private_answer(bot, QUESTION + " " + "very " * 500)
        now[0] = 61
        await bot.click("kubecon_more", buttons(private)["kubecon_more"], response="old")
        [old] = await bot.mock.wait_for(lambda m: m.responses("old"))
    assert "ask again" in "\n".join(texts(old.body)) and len(retriever.calls) == 1
