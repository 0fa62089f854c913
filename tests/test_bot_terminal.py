"""Terminal mode: `python -m bot ask` and the prompt print readable text with links in full."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import Settings
from bot.text import answer_text
from bot_fakes import (AUSTIN, SPINNAKER, SPINNAKER_SENTENCE, FakeRetriever, Stream, answer,
                       clean_settings_env, result)  # noqa: F401 (clean_settings_env: a fixture)
from index.models import Filters

QUESTION = "what did Netflix say about Spinnaker"
SLACK_MARKUP = [re.compile(r"<[^<>\s]+\|[^<>]*>"),     # <url|label>
                re.compile(r"(?<![\w*])\*[^*\s][^*]*\*(?![\w*])"),  # *bold*
                re.compile(r"&(amp|lt|gt);"), re.compile(r":[a-z_]+:"), re.compile(r"^> ", re.M)]


pytestmark = pytest.mark.usefixtures("clean_settings_env")


def run(argv: list[str], *, stdin: str = "", tty: bool = False, retriever: FakeRetriever | None = None,
        loaded: list[Path] | None = None) -> tuple[int, str, str]:
    out, err = Stream(), Stream()
    fake = retriever or FakeRetriever()

    def load(s: Settings) -> FakeRetriever:
        if loaded is not None:
            loaded.append(s.index_dir)
        return fake

    code = main(argv, settings=Settings(_env_file=None), stdin=Stream(stdin, tty), stdout=out,  # type: ignore[call-arg]
                stderr=err, load=load)
    return code, out.getvalue(), err.getvalue()


def assert_no_slack_markup(text: str) -> None:
    for pattern in SLACK_MARKUP:
        assert not pattern.search(text), (pattern.pattern, pattern.search(text))


def test_ask_prints_the_answer_with_links_in_full(tmp_path: Path) -> None:
    loaded: list[Path] = []
    code, out, _ = run(["ask", "--index", str(tmp_path), QUESTION], loaded=loaded)
    assert code == 0 and loaded == [tmp_path]
    assert SPINNAKER.title in out and "Dianne Marsh (Netflix)" in out
    assert "KubeCon + CloudNativeCon North America 2017" in out
    for url in (f"{AUSTIN.url}#{SPINNAKER.anchor}", "https://www.youtube.com/watch?v=spinnaker1",
                "https://slides.example.com/spinnaker.pdf", "https://kccnceu19.sched.com/event/mesh",
                "https://www.youtube.com/watch?v=gitops1"):
        assert re.search(rf"(^|\s){re.escape(url)}($|\s)", out, re.M), url
    assert "Notes by Alexander Trost: " in out
    assert " ".join(SPINNAKER_SENTENCE.split()) in " ".join(out.replace("│", " ").split())
    assert "No notes cover this talk" in out
    assert "Index built 2024-05-01 12:30 UTC · 5 notes · 160 talks" in out
    assert_no_slack_markup(out)


def test_note_text_is_printed_as_written_without_escapes() -> None:
    evil = replace(SPINNAKER, title="Fish & Chips <live>")
    text = answer_text(answer([result(evil, 1, "Tom & Jerry <3 rock. \x1b[2JGone.", "Tom & Jerry <3 rock.")]))
    assert "Fish & Chips <live>" in text and "Tom & Jerry <3 rock." in text
    assert "\x1b" not in text
    assert_no_slack_markup(text)


def test_nothing_found_in_the_terminal_names_the_filters() -> None:
    text = answer_text(answer([], query="mesh year:2019", total=0, filters=Filters(year=2019)))
    assert "nothing" in text and "Filters applied: year:2019" in text
    assert_no_slack_markup(text)


def test_ask_help_and_refused_questions() -> None:
    code, out, _ = run(["ask", "help"])
    assert code == 0 and 'speaker:"Kelsey Hightower"' in out and "year:2019" in out
    code, out, _ = run(["ask", "x" * 6000])
    assert code == 1 and "too long" in out


def test_ask_with_a_missing_index_says_what_to_run(tmp_path: Path) -> None:
    out, err = Stream(), Stream()
    code = main(["ask", "--index", str(tmp_path / "missing"), QUESTION], settings=Settings(_env_file=None),  # type: ignore[call-arg]
                stdin=Stream(), stdout=out, stderr=err)
    assert code == 2 and "python -m index.build" in err.getvalue() and out.getvalue() == ""


def test_prompt_answers_question_after_question_until_quit() -> None:
    retriever = FakeRetriever()
    script = f"{QUESTION}\nmore\nhelp\nnothing at all year:2019\nquit\nnever read\n"
    code, out, _ = run([], stdin=script, tty=True, retriever=retriever)
    assert code == 0
    assert [c[2] for c in retriever.calls] == [0, 3, 0]
    assert out.index(SPINNAKER.title) < out.index("4. Extra Talk 4") < out.index("Filters (anywhere")
    assert "Filters applied: year:2019" in out and "never read" not in out
    assert_no_slack_markup(out)


def test_prompt_ends_at_end_of_input() -> None:
    code, out, _ = run(["ask"], stdin=f"{QUESTION}\n", tty=True)
    assert code == 0 and SPINNAKER.title in out


def test_ask_without_a_question_or_terminal_is_an_error() -> None:
    code, out, err = run(["ask"], tty=False)
    assert code == 2 and "question" in err and out == ""
