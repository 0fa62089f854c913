"""Plain-text rendering for the terminal: the same answer as the Slack message, links in full."""

from __future__ import annotations

import textwrap

from bot import content, understood
from bot.escape import terminal
from bot.excerpt import passage_parts, shorten
from index.models import Answer, Result

PASSAGE_LIMIT = 700
BOLD, RESET = "\033[1m", "\033[0m"
MARK_OPEN, MARK_CLOSE = "»", "«"


def _wrap(text: str, indent: str, width: int) -> list[str]:
    out: list[str] = []
    for paragraph in text.split("\n"):
        out.extend(textwrap.wrap(paragraph, width=width, initial_indent=indent,
                                 subsequent_indent=indent, break_long_words=False,
                                 break_on_hyphens=False) or [indent.rstrip()])
    return out


def talk_text(result: Result, rank: int, *, width: int = 88, color: bool = False) -> str:
    """One cited talk as indented lines."""
    talk = result.talk
    title = terminal(talk.title.strip() or talk.official_title.strip() or "Untitled talk")
    lines = [f"{rank}. {BOLD + title + RESET if color else title}"]
    about = " · ".join(content.details(talk))
    if about:
        lines.extend(_wrap(terminal(about), "   ", width))
    links = content.links(talk)
    if talk.url and talk.url not in {item.url for item in links}:
        lines.append(f"   {terminal(talk.url)}")
    if not content.has_notes(talk):
        lines.extend(_wrap(content.no_notes_line(talk, content.described(result)), "   ", width))
    if result.passages:
        best = result.passages[0]
        before, bold, after = (terminal(part) for part in
                               passage_parts(best.text, best.highlight,
                                             content.DESCRIPTION_LIMIT if content.described(result)
                                             else PASSAGE_LIMIT))
        if bold:
            flat = " ".join(bold.split())
            bold = f"{BOLD}{flat}{RESET}" if color else f"{MARK_OPEN}{flat}{MARK_CLOSE}"
            lead = " " if before and not before[-1:].isspace() else ""
            trail = " " if after and not after[:1].isspace() else ""
            bold = f"{lead}{bold}{trail}"
        passage = (before + bold + after).strip()
        if passage:
            lines.extend(_wrap(passage, "   │ ", width))
    for item in links:
        lines.append(f"   {terminal(item.label)}: {terminal(item.url)}")
    return "\n".join(lines)


def answer_text(answer: Answer, *, width: int = 88, color: bool = False) -> str:
    """The whole answer as plain text."""
    question = terminal(" ".join(answer.query.split()))
    if not answer.results:
        lines = [content.nothing_found(answer), f"Question: “{question}”"]
        if not answer.filters.is_empty():
            lines.append(f"Filters applied: {terminal(answer.filters.describe())}")
        lines.extend(terminal(line) for line in understood.text_lines(answer))
        if understood.can_unfilter(answer):
            lines.append("To search without these filters, start the question with filters:off")
        lines.extend(["", content.suggestion(answer.filters), "", terminal(content.footer(answer.info))])
        return "\n".join(lines)
    header = f"{'More talks' if answer.offset else 'Talks'} for “{shorten(question, 500)}”"
    span = content.span(answer)
    parts = [f"{header} · {span}" if span else header]
    extra = [terminal(line) for line in understood.text_lines(answer)]
    if extra:
        parts.append("\n".join(extra))
    for i, result in enumerate(answer.results):
        parts.append(talk_text(result, answer.offset + i + 1, width=width, color=color))
    parts.append(terminal(content.footer(answer.info)))
    return "\n\n".join(parts)


def help_text(prompt: bool = False) -> str:
    """Usage and filters for the terminal."""
    lines = ["Ask about talks from past KubeCon + CloudNativeCon conferences; answers come from",
             "people's conference notes, with links to the notes, recordings and slides.", "",
             "Examples:"]
    prefix = "" if prompt else 'python -m bot ask '
    for example in content.EXAMPLES:
        lines.append(f"  {prefix}{example!r}" if not prompt else f"  {example}")
    lines += ["", "Filters (anywhere in the question):"]
    width = max(len(f) for f, _ in content.FILTERS)
    lines += [f"  {f.ljust(width)}  {what}" for f, what in content.FILTERS]
    if prompt:
        lines += ["", "Type more for the next talks, help for this text, quit (or Ctrl-D) to leave."]
    return "\n".join(lines)
