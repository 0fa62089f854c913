"""Pure parts of conversations: what is meant for the bot, and the query a follow-up becomes."""

from __future__ import annotations

import pytest

from bot.followups import build, merge_filters, pointed_to
from bot.threads import Cited, Turn, for_the_bot, is_question, mentions_others, turns_of
from index.models import Filters

BOT, ASKER, OTHER = "UBOT0001", "U0ASKER01", "U0OTHER01"
SPIN = Cited("t/spin", "Cloud Native CD: Spinnaker and the Culture Behind the Tech", "Dianne Marsh, Netflix")
MESH = Cited("t/mesh", "Service Mesh in Practice", "Ana Lopez, Acme")
TURN = Turn("what did Netflix say about Spinnaker", "", ASKER, (SPIN, MESH))


@pytest.mark.parametrize(("text", "asks"), [
    ("what did they say about costs?", True), ("and costs?", True), ("hvad sagde de om GitOps", True),
    ("comment ont-ils migré", True), ("does Vault rotate secrets", True), ("service mesh year:2019", True),
    ("thanks, that's exactly what I needed", False), ("what a talk! :fire:", False),
    ("will watch the recording later :+1:", False), ("ok", False), ("I was there, great talk", False),
])
def test_is_question(text: str, asks: bool) -> None:
    assert is_question(text) is asks


def test_only_the_asker_without_mentions_of_others_is_answered() -> None:
    def event(text: str, user: str = ASKER) -> dict[str, str]:
        return {"user": user, "text": text}
    assert for_the_bot(event("what else did she say?"), "what else did she say?", [TURN], BOT)
    assert not for_the_bot(event("what else did she say?", OTHER), "what else did she say?", [TURN], BOT)
    assert not for_the_bot(event("<@U0SAM0001> what else?"), "@sam what else?", [TURN], BOT)
    assert not for_the_bot(event("what else did she say?"), "what else did she say?", [], BOT)
    assert mentions_others("<!here> lunch?", BOT) and not mentions_others(f"<@{BOT}> hi", BOT)


def test_turns_come_only_from_this_bots_tagged_answers() -> None:
    meta = {"event_type": "kubecon_answer", "event_payload": {
        "asked": "q", "filters": "year:2019", "asker": ASKER, "talk_ids": ["a"], "talk_titles": ["A"],
        "talk_people": ["P"]}}
    messages = [{"user": ASKER, "text": "q"}, {"user": BOT, "bot_id": "B1", "metadata": meta},
                {"user": "U0FORGER1", "metadata": meta}, {"user": "UOTHERBOT", "bot_id": "B2", "metadata": meta}]
    assert turns_of(messages, BOT) == [Turn("q", "year:2019", ASKER, (Cited("a", "A", "P"),))]


def test_pointing_back_adds_the_cited_talk_and_the_earlier_question() -> None:
    follow = build("what else did she say about culture?", [TURN])
    assert follow.refers == ("t/spin",) and SPIN.title in follow.query and TURN.asked in follow.query
    assert build("what did Acme say?", [TURN]).refers == ("t/mesh",)     # a name points back


def test_a_fresh_question_is_searched_as_asked() -> None:
    assert build("How did CERN run 1500 Drupal websites?", [TURN]).query == \
        "How did CERN run 1500 Drupal websites?"
    assert pointed_to("Which talks covered Jaeger tracing?", TURN.talks) == ()


def test_an_elliptical_follow_up_leans_on_the_earlier_question() -> None:
    follow = build("and what about costs?", [TURN])
    assert follow.context and follow.query.startswith("and what about costs?") and TURN.asked in follow.query


def test_filters_stay_unless_the_follow_up_sets_others() -> None:
    turn = Turn("service mesh", "year:2017 company:netflix", ASKER, (MESH,))
    assert build("Who covered Jaeger tracing?", [turn]).query.endswith("year:2017 company:netflix")
    assert build("what about tracing year:2019?", [turn]).query.endswith("year:2019 company:netflix")
    assert merge_filters(Filters(year=2017), Filters(event="kubecon-eu-2019")) == \
        Filters(year=2017, event="kubecon-eu-2019")
