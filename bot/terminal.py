"""Terminal mode: answer one question, or question after question at a prompt."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.content import HELP_WORDS, is_help
from bot.escape import terminal
from bot.logs import new_error_id
from bot.search import Retriever, search_page
from bot.text import answer_text, help_text
from index.errors import QueryError
from index.models import Answer

logger = logging.getLogger("bot.terminal")

QUIT_WORDS = frozenset({"quit", "exit", "q", ":q"})
MORE_WORDS = frozenset({"more", "m", "next"})


def ask(retriever: Retriever, question: str, *, offset: int = 0, color: bool = False) -> tuple[str, Answer | None]:
    """The printable answer to one question (and the Answer, None when the question was refused)."""
    if is_help(question):
        return help_text(prompt=False), None
    try:
        answer = search_page(retriever, question, offset)
    except QueryError as exc:
        return f"{terminal(str(exc))}\nType help for examples.", None
    except Exception:
        error_id = new_error_id()
        logger.exception("error_id=%s: failed to answer in the terminal", error_id)
        return f"Sorry, something went wrong while answering (error id {error_id}).", None
    return answer_text(answer, color=color), answer


def prompt_loop(retriever: Retriever, read: Callable[[str], str] = input,
                write: Callable[[str], None] = print, color: bool = False) -> int:
    """Answer question after question until quit or end of input."""
    write("kubecon-bot: ask about past KubeCon talks. Type help for filters, quit to leave.")
    last: Answer | None = None
    while True:
        try:
            line = read("\nkubecon> ").strip()
        except (EOFError, KeyboardInterrupt):
            write("")
            return 0
        lowered = line.lower()
        if lowered in QUIT_WORDS:
            return 0
        if not line or lowered in HELP_WORDS:
            write(help_text(prompt=True))
            continue
        if lowered in MORE_WORDS:
            if last is None or not last.has_more:
                write("No more talks for the last question. Ask another one.")
                continue
            text, answer = ask(retriever, last.query, offset=last.offset + len(last.results), color=color)
        else:
            text, answer = ask(retriever, line, color=color)
        write(text)
        last = answer or last
        if answer is not None and answer.has_more:
            write("\n(type more for the next talks)")
