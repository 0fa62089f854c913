"""Answers to questions whose words named filters (issue 18), through the mock Slack: the
"Understood" line, the overview of an event within Block Kit's limits with paging, and the
one-click "Search without these filters"."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from bot.slack_fakes import buttons, texts
from bot_checks import check_block_kit
from bot_fakes import RANKING, FakeRetriever
from bot_harness import running_bot
from index.models import Answer, Overview, OverviewGroup, Understood

QUESTION = "what happened at KubeCon Barcelona?"
UNDERSTOOD = Understood(events=("kubecon-eu-2019",), labels=("KubeCon Europe 2019", "Barcelona"),
                        overview=True)
# Eight tracks of long titles with *stars* and <@U123> in them: more than one section could hold.
OVERVIEW = Overview(talks_with_notes=400, catalog_talks=319,
                    groups=tuple(OverviewGroup(f"Track *{g}*", tuple(
                        f"<@U123> A very long talk title number {i} " + "x" * 180
                        for i in range(50))) for g in range(8)),
                    authors=tuple(f"Author {i}" for i in range(12)), events=("KubeCon EU 2019",))


@dataclass
class UnderstandingRetriever(FakeRetriever):
    """Reads "Barcelona" as a filter unless the question starts with filters:off."""

    def search(self, query: str, k: int = 3, offset: int = 0) -> Answer:
        answer = super().search(query, k, offset)
        if query.startswith("filters:off ") or "Barcelona" not in query:
            return answer
        return replace(answer, understood=UNDERSTOOD,
                       overview=OVERVIEW if offset == 0 else None)


async def test_an_overview_answer_fits_block_kit_and_pages_with_more_results(tmp_path: Path) -> None:
    retriever = UnderstandingRetriever(ranking=RANKING)
    async with running_bot(retriever, tmp_path) as bot:
        await bot.command(QUESTION)
        [reply] = await bot.mock.wait_for(lambda m: m.responses("r1"))
        check_block_kit(reply.body)
        shown = "\n".join(texts(reply.body))
        assert "Understood: KubeCon Europe 2019 · Barcelona" in shown
        assert "The notes cover 400 talks (the official catalog lists 319 more)" in shown
        assert "notes by Author 0" in shown and "and 2 more" in shown
        assert "<@U123>" not in shown and "and 42 more" in shown
        await bot.click("kubecon_more", buttons(reply.body)["kubecon_more"], response="more")
        [more] = await bot.mock.wait_for(lambda m: m.responses("more"))
    check_block_kit(more.body)
    assert retriever.calls[-1] == (QUESTION, 3, 3)
    assert "Overview" not in "\n".join(texts(more.body))


async def test_search_without_these_filters_asks_again_without_reading_them(tmp_path: Path) -> None:
    retriever = UnderstandingRetriever(ranking=RANKING)
    async with running_bot(retriever, tmp_path) as bot:
        await bot.command(QUESTION)
        [reply] = await bot.mock.wait_for(lambda m: m.responses("r1"))
        await bot.click("kubecon_unfiltered", buttons(reply.body)["kubecon_unfiltered"],
                        response="plain")
        [plain] = await bot.mock.wait_for(lambda m: m.responses("plain"))
    assert retriever.calls[-1] == (f"filters:off {QUESTION}", 3, 0)
    check_block_kit(plain.body)
    assert "kubecon_unfiltered" not in buttons(plain.body)
    assert not any("Understood" in t for t in texts(plain.body))


async def test_nothing_found_under_understood_filters_offers_the_button(tmp_path: Path) -> None:
    retriever = UnderstandingRetriever(ranking=())
    async with running_bot(retriever, tmp_path) as bot:
        await bot.command("Rust nothing in Barcelona")
        [reply] = await bot.mock.wait_for(lambda m: m.responses("r1"))
    check_block_kit(reply.body)
    assert "Understood: KubeCon Europe 2019 · Barcelona" in "\n".join(texts(reply.body))
    assert "kubecon_unfiltered" in buttons(reply.body)
