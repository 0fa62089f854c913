"""Conversations through the mock Slack, over signed HTTP: follow-ups in threads (the thread
read back with conversations.replies), side conversations ignored, auto-answer channels,
other bots, and Slack's retries."""

from __future__ import annotations

from pathlib import Path

from bot.slack_fakes import CHANNEL, USER, channel_message, direct_message, mention
from bot_fakes import QUESTION, SPINNAKER, FakeRetriever
from bot_harness import Harness, quiet, running_bot

ROOT_TS = "1700000000.000100"
OTHER = "U0OTHER01"
AUTO = "C0AUTO001"


async def _answered_mention(bot: Harness) -> None:
    """A person asks with a mention; the bot answers in a thread."""
    bot.mock.say(channel_message(f"<@UBOT0001> {QUESTION}", ts=ROOT_TS))
    await bot.event(mention(f"<@UBOT0001> {QUESTION}", ts=ROOT_TS), event_id="EvFirst")
    await bot.mock.wait_for(lambda m: m.calls("chat.postMessage"))


async def _reply(bot: Harness, text: str, ts: str, user: str = USER, event_id: str = "",
                 **extra: object) -> None:
    event = bot.mock.say(channel_message(text, ts=ts, thread_ts=ROOT_TS, user=user) | extra)
    assert (await bot.event(event, event_id=event_id or f"Ev{ts}"))[0] == 200


async def test_a_follow_up_is_answered_in_its_thread_with_the_thread_as_context(tmp_path: Path) -> None:
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path) as bot:
        await _answered_mention(bot)
        first = bot.mock.calls("chat.postMessage")[0].body
        assert first["metadata"]["event_payload"]["talk_ids"][0] == SPINNAKER.id
        await _reply(bot, "what else did she say about culture?", "1700000050.000100")
        posts = await bot.mock.wait_for(lambda m: len(m.calls("chat.postMessage")) == 2
                                        and m.calls("chat.postMessage"))
        [read] = bot.mock.calls("conversations.replies")
    assert read.body["ts"] == ROOT_TS and read.body["include_all_metadata"] in ("1", "true")
    assert posts[1].body["thread_ts"] == ROOT_TS and posts[1].body["channel"] == CHANNEL
    query = retriever.calls[-1][0]
    assert query.startswith("what else did she say about culture?")
    assert SPINNAKER.title in query and QUESTION in query        # the thread's context


async def test_a_human_side_conversation_is_ignored(tmp_path: Path) -> None:
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path) as bot:
        await _answered_mention(bot)
        await _reply(bot, "thanks, that's the one!", "1700000051.000100")
        await _reply(bot, "<@U0SAM0001> were you at this one?", "1700000052.000100")
        await _reply(bot, "did anyone record the Q&A?", "1700000053.000100", user=OTHER)
        await _reply(bot, "what did they say about costs?", "1700000054.000100",
                     bot_id="BOTHER01", subtype="bot_message")
        await _reply(bot, "what did they say about costs?", "1700000055.000100",
                     subtype="message_changed")
        await quiet()
        assert len(bot.mock.calls("chat.postMessage")) == 1 and len(retriever.calls) == 1


async def test_someone_else_in_the_thread_needs_a_mention(tmp_path: Path) -> None:
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path) as bot:
        await _answered_mention(bot)
        event = mention("<@UBOT0001> and what about costs?", ts="1700000056.000100",
                        thread_ts=ROOT_TS, user=OTHER)
        await bot.event(event, event_id="EvOtherMention")
        posts = await bot.mock.wait_for(lambda m: len(m.calls("chat.postMessage")) == 2
                                        and m.calls("chat.postMessage"))
        # the same message also arrives as a message event: it must not be answered twice
        await _reply(bot, "<@UBOT0001> and what about costs?", "1700000056.000100", user=OTHER,
                     event_id="EvOtherMessage")
        await quiet()
        assert len(bot.mock.calls("chat.postMessage")) == 2
    assert posts[1].body["thread_ts"] == ROOT_TS
    assert QUESTION in retriever.calls[-1][0]


async def test_a_thread_the_bot_never_answered_is_left_alone(tmp_path: Path) -> None:
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path) as bot:
        bot.mock.say(channel_message("who is going to KubeCon?", ts=ROOT_TS))
        await _reply(bot, "what talks are you going to see?", "1700000057.000100")
        await quiet()
        assert bot.mock.posts() == [] and retriever.calls == []


async def test_an_auto_answer_question_is_answered_once_in_a_thread(tmp_path: Path) -> None:
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path, auto_answer_channels=(AUTO,)) as bot:
        question = channel_message(QUESTION + "?", ts="1700000060.000100", channel=AUTO)
        await bot.event(question, event_id="EvAuto")
        [post] = await bot.mock.wait_for(lambda m: m.calls("chat.postMessage"))
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        assert (await bot.event(question, event_id="EvAuto", extra_headers=retry))[0] == 200
        ignored = [channel_message("hello everyone, first time here", ts="1700000061.000100", channel=AUTO),
                   channel_message("", ts="1700000062.000100", channel=AUTO) | {"subtype": "channel_join"},
                   channel_message("which talk was best?", ts="1700000063.000100", channel=AUTO)
                   | {"bot_id": "BOTHER01", "subtype": "bot_message"},
                   channel_message("which talk was best?", ts="1700000064.000100", channel=AUTO)
                   | {"subtype": "message_changed"},
                   channel_message("which talk was best?", ts="1700000065.000100")]  # not auto
        for i, event in enumerate(ignored):
            await bot.event(event, event_id=f"EvIgnored{i}")
        await quiet()
        assert len(bot.mock.calls("chat.postMessage")) == 1 and len(retriever.calls) == 1
    assert post.body["channel"] == AUTO and post.body["thread_ts"] == "1700000060.000100"


async def test_a_follow_up_in_a_dm_thread_is_answered_there(tmp_path: Path) -> None:
    retriever = FakeRetriever()
    async with running_bot(retriever, tmp_path) as bot:
        await bot.event(bot.mock.say(direct_message(QUESTION)), event_id="EvDm")
        [answer] = await bot.mock.wait_for(lambda m: m.calls("chat.postMessage"))
        answer_ts = bot.mock.history["D0DM00001"][-1]["ts"]
        reply = direct_message("which slides did she show?", ts="1700000070.000100") | {
            "thread_ts": answer_ts}
        await bot.event(bot.mock.say(reply), event_id="EvDmThread")
        posts = await bot.mock.wait_for(lambda m: len(m.calls("chat.postMessage")) == 2
                                        and m.calls("chat.postMessage"))
    assert posts[1].body["thread_ts"] == answer_ts and SPINNAKER.title in retriever.calls[-1][0]
