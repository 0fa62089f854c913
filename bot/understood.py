"""What the bot read from a question's words ("Understood: KubeCon Europe 2019 · Barcelona")
and the overview of an event, a year or a company: the words, and their Block Kit and terminal
forms (all note text escaped, every section within Block Kit's limits)."""

from __future__ import annotations

from typing import Any

from bot.escape import mrkdwn, no_stars
from bot.excerpt import SLACK_COST, shorten
from index.models import Answer, Overview, OverviewGroup

MAX_TITLES = 8          # titles listed per track or theme; the rest are counted
MAX_AUTHORS = 10


def understood_line(answer: Answer) -> str:
    """`Understood: KubeCon Europe 2019 · Barcelona`; empty when no filter was read."""
    if answer.understood.is_empty() or not answer.understood.labels:
        return ""
    return "Understood: " + " · ".join(answer.understood.labels)


def can_unfilter(answer: Answer) -> bool:
    """Whether to offer "Search without these filters" (filters were read from the words)."""
    return not answer.understood.is_empty()


def unfiltered_question(question: str) -> str:
    """The same question, asked so that no filter is read from its words."""
    return f"filters:off {question}"


def summary(overview: Overview) -> str:
    """`The notes cover 15 talks (the catalog lists 319 more) · notes by A, B`."""
    if overview.talks_with_notes:
        n = overview.talks_with_notes
        text = f"The notes cover {n} talk{'s' if n != 1 else ''}"
        if overview.catalog_talks:
            text += f" (the official catalog lists {overview.catalog_talks} more)"
    else:
        text = (f"No notes cover these talks yet; the official catalog lists "
                f"{overview.catalog_talks}")
    authors = list(overview.authors[:MAX_AUTHORS])
    if authors:
        more = len(overview.authors) - len(authors)
        text += " · notes by " + ", ".join(authors) + (f" and {more} more" if more > 0 else "")
    return text


def group_titles(group: OverviewGroup) -> tuple[list[str], int]:
    """The titles to list and how many more there are."""
    shown = [t for t in group.titles[:MAX_TITLES]]
    return shown, group.size - len(shown)


def blocks(answer: Answer, max_text: int = 3000) -> list[dict[str, Any]]:
    """Block Kit for the "Understood" line and, on an overview's first page, the overview:
    one summary section and one section per track or theme, each within `max_text`."""
    out: list[dict[str, Any]] = []
    line = understood_line(answer)
    if line:
        out.append(_context(mrkdwn(shorten(line, 500, SLACK_COST))))
    if answer.overview is None or answer.offset:
        return out
    out.append({"type": "divider"})
    out.append(_section("*Overview* · " + mrkdwn(shorten(summary(answer.overview), 1500,
                                                            SLACK_COST))))
    for group in answer.overview.groups:
        titles, more = group_titles(group)
        lines = [f"*{mrkdwn(shorten(no_stars(group.name or 'Talks'), 150, SLACK_COST))}* "
                 f"({group.size})"]
        lines += ["• " + mrkdwn(shorten(t, 200, SLACK_COST)) for t in titles]
        if more:
            lines.append(f"_and {more} more (More results lists them all)_")
        out.append(_section(shorten("\n".join(lines), max_text - 10, SLACK_COST)))
    out.append({"type": "divider"})
    return out


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def text_lines(answer: Answer) -> list[str]:
    """The same for the terminal: plain lines."""
    out: list[str] = []
    line = understood_line(answer)
    if line:
        out.append(line)
    if answer.overview is None or answer.offset:
        return out
    out.append("Overview: " + summary(answer.overview))
    for group in answer.overview.groups:
        titles, more = group_titles(group)
        out.append(f"  {group.name or 'Talks'} ({group.size})")
        out += [f"    - {t}" for t in titles]
        if more:
            out.append(f"    and {more} more ('more' lists them all)")
    return out
