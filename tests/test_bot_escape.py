"""Small pure pieces: escaping, incoming text, cutting text, button values, retry decisions."""

from __future__ import annotations

import pytest

from bot.buttons import ValueStore
from bot.escape import clean_incoming, link, mrkdwn, safe_url, terminal, user_mention
from bot.excerpt import passage_parts, plain_markdown, shorten, shorten_left
from bot.retries import SeenEvents, should_drop


def test_mrkdwn_escapes_the_three_control_characters() -> None:
    assert mrkdwn("a & <!channel> > b") == "a &amp; &lt;!channel&gt; &gt; b"


@pytest.mark.parametrize(("url", "expected"), [
    ("https://a.example/x?y=1&z=2", "https://a.example/x?y=1&amp;z=2"),
    ("https://a.example/a|b>c<d e", "https://a.example/a%7Cb%3Ec%3Cd%20e"),
    ("javascript:alert(1)", None),
    ("mailto:someone@example.com", None),
    ("https://", None),
    ("not a url", None),
    ("https://a.example/\nx", None),
])
def test_safe_url(url: str, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_link_falls_back_to_text_for_unusable_urls() -> None:
    assert link("https://a.example", "Notes | by <me>") == "<https://a.example|Notes ¦ by &lt;me&gt;>"
    assert link("ftp://a.example", "x & y") == "x &amp; y"


def test_user_mention_only_for_well_formed_ids() -> None:
    assert user_mention("U0123ABC") == "<@U0123ABC>"
    assert user_mention("!channel") == "" and user_mention("U1>x") == ""


def test_incoming_slack_markup_becomes_the_typed_question() -> None:
    text = ("<@UBOT0001> what did <@U777|alice> say in <#C1|general> about "
            "<https://spinnaker.io|spinnaker.io> &amp; <!here> speaker:“Dianne Marsh” &lt;3")
    assert clean_incoming(text, "UBOT0001") == (
        'what did @alice say in #general about spinnaker.io & speaker:"Dianne Marsh" <3')
    assert clean_incoming("<http://x.example>") == "http://x.example"


def test_terminal_strips_escape_sequences_and_bidi_overrides() -> None:
    assert terminal("a\x1b[31mred\u202e\x07b\n\tc") == "a[31mredb\n\tc"


def test_shorten_prefers_a_sentence_end_then_a_word_boundary() -> None:
    assert shorten("One two three. Four five six seven.", 20) == "One two three. …"
    assert shorten("alpha beta gamma delta epsilon", 20) == "alpha beta gamma…"
    assert shorten("short", 20) == "short"
    assert shorten("abcdefghijklmnopqrstuvwxyz", 10) == "abcdefgh…"


def test_shorten_counts_escaped_length_when_asked() -> None:
    cut = shorten("&&&& &&&& &&&&", 12, {"&": 5})
    assert cut == "…" or sum(5 if c == "&" else 1 for c in cut) <= 12


def test_shorten_left_keeps_the_end_from_a_sentence_or_word_start() -> None:
    assert shorten_left("Intro words here. The important end.", 25) == "… The important end."
    assert shorten_left("one two three four five", 12) == "…four five"


def test_passage_parts_keep_the_highlight_and_simplify_markdown() -> None:
    before, bold, after = passage_parts("## Title\n- **First** [x](https://x.example). Key point here. End.",
                                        "Key point here.", 500)
    assert bold == "Key point here."
    assert before == "Title\n• First x (https://x.example). "
    assert after == " End."
    assert plain_markdown("![alt](i.png) [https://a](https://a)") == "alt https://a"


def test_missing_highlight_leaves_the_passage_unbolded() -> None:
    assert passage_parts("Some text.", "not there", 100) == ("Some text.", "", "")


def test_value_store_round_trip_cache_and_expiry() -> None:
    now = [0.0]
    store = ValueStore(max_entries=2, ttl=10, clock=lambda: now[0])
    short = store.pack({"q": "hi", "o": 3})
    assert short == '{"q":"hi","o":3}' and store.unpack(short) == {"q": "hi", "o": 3}
    long_value = store.pack({"q": "x" * 3000})
    assert len(long_value) < 100 and store.unpack(long_value) == {"q": "x" * 3000}
    now[0] = 11
    assert store.unpack(long_value) is None
    keys = [store.pack({"q": str(i) * 2000}) for i in range(3)]
    assert store.unpack(keys[0]) is None and store.unpack(keys[2]) is not None
    assert store.unpack("not json") is None and store.unpack('{"k": "nope"}') is None


def test_retry_policy() -> None:
    seen = SeenEvents()
    assert not should_drop(seen, "Ev1", "", "")                      # first delivery
    assert should_drop(seen, "Ev1", "1", "http_timeout")             # retry of it
    assert should_drop(seen, "Ev1", "", "")                          # duplicate without header
    assert should_drop(seen, "Ev2", "1", "http_timeout")             # first one may still be running
    assert not should_drop(seen, "Ev3", "1", "connection_failed")    # never reached us: answer it
    assert should_drop(seen, "Ev3", "2", "connection_failed")        # ...once
    assert not should_drop(seen, "", "", "")                         # commands, clicks
    assert should_drop(seen, "", "1", "")


def test_seen_events_forget_after_their_time() -> None:
    now = [0.0]
    seen = SeenEvents(ttl=5, clock=lambda: now[0])
    assert seen.add("Ev1") and not seen.add("Ev1")
    now[0] = 6
    assert seen.add("Ev1")


def test_a_link_labelled_by_a_huge_url_stays_short():
    # Found by hypothesis in CI: an empty title fell back to an unbounded URL label.
    from bot.escape import link
    url = "https://notes.example.org/#" + "00000000<<" * 300
    out = link(url, "")
    assert len(out) < 200 and "<<" not in out
