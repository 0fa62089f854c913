"""The App Home tab: published on app_home_opened through the mock Slack, within Block Kit's
limits for an index of 100k talks, with the person's own last questions to ask again."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from slack_sdk.models.views import View

from bot import home
from bot.slack_fakes import USER, direct_message, home_opened
from bot_fakes import AUSTIN, INFO, QUESTION, SPINNAKER, FakeRetriever
from bot_harness import running_bot
from index.models import Talk


def big_index(n: int = 100_000, events: int = 3_000) -> list[Talk]:
    """n talks over `events` events (with notes, and a catalog-only one in ten)."""
    talks = []
    for i in range(n):
        event = f"kubecon-{i % events:04d}<&>"
        note = replace(AUSTIN, path=f"corpus/{i % (events * 2)}.md", event=event)
        talks.append(replace(SPINNAKER, id=f"t{i}", title=f"Talk {i} *about* <!channel> & more " * 5,
                             event=event, conference=f"Conf {i % events} " + "x" * 300,
                             note=None if i % 10 == 0 else note, has_notes=i % 10 != 0))
    return talks


@dataclass
class BigRetriever(FakeRetriever):
    talks: list[Talk] = field(default_factory=list)


def published(view: Any) -> dict[str, Any]:
    return json.loads(view) if isinstance(view, str) else view


def check_view(view: dict[str, Any]) -> None:
    assert view["type"] == "home" and 0 < len(view["blocks"]) <= home.MAX_VIEW_BLOCKS
    View(**view).validate_json()
    for block in view["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
            assert "<!channel>" not in block["text"]["text"]
            button = block.get("accessory")
            if button:
                assert len(button["value"]) <= 2000 and len(button["text"]["text"]) <= 75


async def test_home_tab_is_published_within_limits_for_100k_talks(tmp_path: Path) -> None:
    retriever = BigRetriever(talks=big_index(), info=replace(INFO, talks=90_000, notes=6_000))
    async with running_bot(retriever, tmp_path) as bot:
        for i, text in enumerate(["help", QUESTION, "x" * 3900, QUESTION, "service mesh?"]):
            bot.mock.say(direct_message(text, ts=f"17000001{i:02d}.000100"))
        bot.mock.say(direct_message("bot chatter", ts="1700000199.000100") | {"bot_id": "B1"})
        await bot.event(home_opened(), event_id="EvHome")
        [call] = await bot.mock.wait_for(lambda m: m.calls("views.publish"), timeout=60)
        view = published(call.body["view"])
        check_view(view)
        assert call.body["user_id"] == USER
        text = json.dumps(view)
        assert "more events" in text and "90000 talks" in text and "catalog" in text
        again = [b["accessory"] for b in view["blocks"] if b.get("accessory", {}).get("action_id")
                 == home.ASK_AGAIN]
        assert len(again) == 3                        # distinct questions, help and bots left out
        assert "service mesh?" in json.dumps(view["blocks"][-5:])
        await bot.click(home.ASK_AGAIN, again[-1]["value"])
        [post] = await bot.mock.wait_for(lambda m: m.calls("chat.postMessage"))
        assert bot.mock.calls("conversations.open")[0].body["users"] == USER
    assert post.body["channel"].startswith("D") and retriever.calls[-1][0] == "x" * 3900


def test_summary_counts_events_notes_and_talks_and_keeps_examples_that_work() -> None:
    talks = big_index(1000, events=4)
    summary = home.summarise(talks, INFO, works=lambda q: "company:" not in q)
    assert len(summary.events) == 4 and summary.catalog_talks == 100
    assert sum(e.talks for e in summary.events) == 900
    assert all(e.notes == 2 for e in summary.events)
    assert summary.examples and not any("company:" in q for q in summary.examples)


def test_last_questions_are_the_persons_own_newest_first() -> None:
    messages = [direct_message("newest?", ts="3"), direct_message("someone else", user="U0OTHER01"),
                direct_message("help"), direct_message("newest?", ts="2"), direct_message("older")]
    assert home.last_questions(messages, USER) == ["newest?", "older"]
