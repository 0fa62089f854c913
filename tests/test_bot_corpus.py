"""The bot over the real corpus (indexed with the fast fake encoder): real talks render validly."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import blocks
from bot.buttons import ValueStore
from bot.slack_fakes import buttons, sections
from bot.text import answer_text
from bot_checks import check_block_kit, check_inert, our_hosts, rendered_texts
from bot_harness import running_bot

QUESTIONS = ["what did Netflix say about Spinnaker", "service mesh", "year:2019", "year:2017 security",
             "observability speaker:\"Kelsey Hightower\"", "zzzz qqqq", "monitoring company:google"]


@pytest.mark.parametrize("question", QUESTIONS)
def test_real_talks_render_within_limits_and_inert(fake_retriever, question: str) -> None:  # type: ignore[no-untyped-def]
    answer = fake_retriever.search(question, k=3)
    for mode in (blocks.PRIVATE, blocks.SHARED, blocks.THREAD):
        message = blocks.answer_message(answer, blocks.View(mode, asker="U0USER001"), ValueStore().pack)
        check_block_kit(message)
        credit = "<@U0USER001>" if mode == blocks.SHARED else ""
        for text in rendered_texts(message):
            check_inert(text, our_hosts(answer), credit)
    text = answer_text(answer)
    assert "\x1b" not in text
    for result in answer.results:
        for link in result.talk.links:
            assert link.url in text


async def test_more_results_walk_through_real_talks(fake_retriever, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async with running_bot(fake_retriever, tmp_path) as bot:
        await bot.command("year:2019")
        [first] = await bot.mock.wait_for(lambda m: m.responses("r1"))
        await bot.click("kubecon_more", buttons(first.body)["kubecon_more"], response="more")
        [second] = await bot.mock.wait_for(lambda m: m.responses("more"))
    titles = [s.split("\n")[0] for s in sections(first.body)[1:] + sections(second.body)[1:]]
    assert [t.split(".", 1)[0] for t in titles] == ["*1", "*2", "*3", "*4", "*5", "*6"]
    assert len(set(titles)) == 6
