"""The real model and index behind the HTTP app (slow: builds or loads the real index)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.slack_fakes import sections
from bot_harness import running_bot


@pytest.mark.slow
async def test_netflix_spinnaker_question_cites_dianne_marshs_keynote_first(
        real_retriever, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async with running_bot(real_retriever, tmp_path) as bot:
        status, _ = await bot.command("what did Netflix say about Spinnaker")
        assert status == 200
        [reply] = await bot.mock.wait_for(lambda m: m.responses("r1"), timeout=120)
    first = sections(reply.body)[1]
    title = re.match(r"\*1\. <[^|>]+\|([^>]+)>\*", first)
    assert title and "Spinnaker" in title.group(1)
    assert "Dianne Marsh" in first.split("\n")[1] and "Netflix" in first.split("\n")[1]
    assert re.search(r"^> .*\*[^*]+\*", first, re.M)     # a quoted passage with a bold sentence
