"""Block Kit rendering of hand-built answers: what each talk shows, buttons, limits, edge cases."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from bot import blocks
from bot.blocks import View
from bot.buttons import ValueStore, inline
from bot.slack_fakes import buttons, sections, texts
from bot_fakes import (CATALOG_ONLY, MESH, RANKING, SPINNAKER, SPINNAKER_SENTENCE, answer,
                       extra_talk, result)
from index.models import Filters, Link

VIEW = View(blocks.PRIVATE, "/kubecon")


def test_each_talk_shows_title_people_event_passage_and_links() -> None:
    message = blocks.answer_message(answer(), VIEW)
    spinnaker, mesh, catalog = sections(message)[1:]
    lines = spinnaker.split("\n")
    assert lines[0] == ("*1. <https://galexrt.moe/blog/2017/kubecon-2017-austin/"
                        "#cloud-native-cd-spinnaker|Cloud Native CD: Spinnaker and the Culture "
                        "Behind the Tech>*")
    assert lines[1] == "Dianne Marsh (Netflix) · KubeCon + CloudNativeCon North America 2017 · Keynote"
    assert lines[2].startswith("> ") and f"*{SPINNAKER_SENTENCE}*" in lines[2]
    assert "Ana Lopez, Bo Chen (Acme, Globex)" in mesh and "Europe 2019" in mesh
    assert "<https://kccnceu19.sched.com/event/mesh|Schedule>" in mesh
    assert "<https://notes.example.org/kubecon-eu-2019#service-mesh|Notes by Jane Doe>" in mesh


def test_catalog_only_talk_says_there_are_no_notes_and_links_the_recording() -> None:
    message = blocks.answer_message(answer([result(CATALOG_ONLY, 1)]), VIEW)
    [section] = sections(message)[1:]
    assert "No notes" in section
    assert "<https://www.youtube.com/watch?v=gitops1|GitOps at Scale>" in section
    assert "<https://www.youtube.com/watch?v=gitops1|Recording>" in section
    assert "Notes by" not in section


def test_ranks_continue_after_the_offset() -> None:
    page = answer([result(extra_talk(4), 4), result(extra_talk(5), 5)], offset=3, total=5)
    message = blocks.answer_message(page, VIEW)
    assert [s[:4] for s in sections(message)[1:]] == ["*4. ", "*5. "]
    assert "4–5 of 5" in sections(message)[0] and "More talks" in sections(message)[0]


def test_buttons_depend_on_where_the_answer_is_shown() -> None:
    store = ValueStore()
    private = buttons(blocks.answer_message(answer(has_more=True, total=5), VIEW, store.pack))
    shared = buttons(blocks.answer_message(answer(has_more=True, total=5),
                                           View(blocks.SHARED, "/kubecon", asker="U0ASKER01"), store.pack))
    thread = buttons(blocks.answer_message(answer(has_more=True, total=5),
                                           View(blocks.THREAD, "/kubecon"), store.pack))
    last = buttons(blocks.answer_message(answer(has_more=False), VIEW, store.pack))
    assert set(private) == {"kubecon_share", "kubecon_more", "kubecon_helpful", "kubecon_not_helpful"}
    assert set(shared) == {"kubecon_more", "kubecon_helpful", "kubecon_not_helpful"}
    assert json.loads(thread["kubecon_more"]) == {"q": "what did Netflix say about Spinnaker",
                                                  "o": 3, "s": "c"}
    assert json.loads(private["kubecon_more"])["s"] == "e"
    assert json.loads(private["kubecon_helpful"])["t"] == [r.talk.id for r in RANKING[:3]]
    assert "kubecon_more" not in last


def test_shared_answer_credits_the_asker_only_with_a_real_user_id() -> None:
    good = blocks.answer_message(answer(), View(blocks.SHARED, asker="U0ASKER01"))
    bad = blocks.answer_message(answer(), View(blocks.SHARED, asker="<!channel>"))
    assert sections(good)[0].startswith("<@U0ASKER01> asked “what did Netflix say about Spinnaker”")
    assert sections(bad)[0].startswith("Someone asked") and "<!" not in sections(bad)[0]


def test_footer_says_when_the_index_was_built_and_what_it_holds() -> None:
    message = blocks.answer_message(answer(), VIEW)
    context = [b for b in message["blocks"] if b["type"] == "context"]
    assert context[0]["elements"][0]["text"] == "Index built 2024-05-01 12:30 UTC · 5 notes · 160 talks"


def test_nothing_found_names_the_filters_and_suggests_something() -> None:
    empty = answer([], query="mesh year:2019 company:netflix", total=0,
                   filters=Filters(year=2019, company="netflix"))
    text = "\n".join(texts(blocks.answer_message(empty, VIEW)))
    assert "nothing" in text and "`year:2019 company:netflix`" in text and "without some of the filters" in text
    plain = "\n".join(texts(blocks.answer_message(answer([], query="zzz", total=0), VIEW)))
    assert "/kubecon what did Netflix say about Spinnaker" in plain
    more = "\n".join(texts(blocks.answer_message(answer([], offset=3, total=3), VIEW)))
    assert "no more talks" in more


def test_a_long_passage_is_cut_at_word_boundaries_around_the_bold_sentence() -> None:
    words = [f"word{i}" for i in range(1200)]
    sentence = "Spinnaker ships code safely."
    text = " ".join(words[:600]) + ". " + sentence + " " + " ".join(words[600:]) + "."
    message = blocks.answer_message(answer([result(SPINNAKER, 1, text, sentence)]), VIEW)
    section = sections(message)[1]
    assert len(section) <= 3000
    quote = next(line for line in section.split("\n") if line.startswith("> "))
    assert f"*{sentence}*" in quote
    head, tail = quote[2:].split(f"*{sentence}*")
    assert head.startswith("…") and tail.endswith("…")
    kept_before = head.strip("… ").split()
    kept_after = tail.strip("… ").split()
    assert kept_before and kept_after
    assert all(w.rstrip(".") in words for w in kept_before + kept_after)   # whole words only
    assert len(kept_before) < 600 and len(kept_after) < 600


def test_urls_and_labels_we_build_cannot_break_out_of_their_links() -> None:
    talk = replace(SPINNAKER, title="A|B > C", links=(
        Link("video", "https://v.example/watch?a=1&b=2|x>y"), Link("slides", "javascript:alert(1)")))
    section = sections(blocks.answer_message(answer([result(talk, 1)]), VIEW))[1]
    assert "|A¦B &gt; C>*" in section
    assert "<https://v.example/watch?a=1&amp;b=2%7Cx%3Ey|Recording>" in section
    assert "javascript" not in section


def test_markdown_in_notes_is_shown_as_text() -> None:
    text = "See [the demo](https://demo.example/x) and **this**. Then <!channel> & done."
    section = sections(blocks.answer_message(
        answer([result(MESH, 1, text, "Then <!channel> & done.")]), VIEW))[1]
    assert "See the demo (https://demo.example/x) and this." in section
    assert "*Then &lt;!channel&gt; &amp; done.*" in section


def test_stars_in_titles_do_not_break_the_bold() -> None:
    talk = replace(SPINNAKER, title="*Really* important")
    section = sections(blocks.answer_message(answer([result(talk, 1)]), VIEW))[1]
    assert re.match(r"^\*1\. <[^>]+\|Really important>\*$", section.split("\n")[0])


def test_button_values_stay_small_for_long_questions() -> None:
    question = "spinnaker " * 300
    store = ValueStore()
    message = blocks.answer_message(answer(query=question, has_more=True, total=5), VIEW, store.pack)
    for value in buttons(message).values():
        assert len(value) <= 2000
        assert store.unpack(value)["q"] == question


def test_inline_packing_refuses_values_slack_would_reject() -> None:
    try:
        inline({"q": "x" * 2100})
    except ValueError:
        return
    raise AssertionError("expected ValueError")


def test_help_lists_examples_and_every_filter() -> None:
    text = "\n".join(texts(blocks.help_message("/kb")))
    for needle in ("`/kb what did Netflix say about Spinnaker`", "year:2019", "event:kubecon-eu-2019",
                   'speaker:"Kelsey Hightower"', "company:netflix"):
        assert needle in text
