"""The App Home tab: what the bot knows, how to ask, and the person's own last questions.

Pure functions: `summarise` reads the index's talks once (in a worker thread, cached by the
listener); `home_view` renders a Home view within Block Kit's limits however large the index
(at most MAX_EVENTS events listed, every text cut to its limit). The last questions come from
the person's DM with the bot (`conversations.history`), read by the listener: see
docs/DESIGN.md for why."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot import content
from bot.escape import clean_incoming, mrkdwn
from bot.excerpt import SLACK_COST, shorten
from bot.threads import is_person
from index.models import IndexInfo, Talk

ASK_AGAIN = "kubecon_ask_again"
MAX_VIEW_BLOCKS = 100     # Block Kit's limit for a Home view
MAX_TEXT = 3000           # per section text
MAX_EVENTS = 25           # events listed by name; the rest are counted
MAX_QUESTIONS = 5
QUESTION_LIMIT = 300      # characters of a question shown


@dataclass(frozen=True)
class EventCount:
    event: str
    conference: str
    notes: int
    talks: int


@dataclass(frozen=True)
class Summary:
    """What the bot knows: the index, its events with notes, and examples that answer."""

    info: IndexInfo
    events: tuple[EventCount, ...]
    catalog_talks: int = 0
    examples: tuple[str, ...] = ()


def candidate_examples(talks: Sequence[Talk]) -> list[str]:
    """Questions built from the index itself: a speaker, a company filter, a year filter."""
    out: list[str] = []
    with_notes = [t for t in talks if t.is_talk and t.has_notes]
    speaker = next((t for t in with_notes if t.speakers), None)
    if speaker is not None:
        out.append(f"what did {speaker.speakers[0]} talk about?")
    company = next((t for t in with_notes if t.companies and t.companies[0].split()), None)
    if company is not None:
        word = company.companies[0].split()[0].lower().strip(",.")
        out.append(f"{' '.join(company.title.split()[:4])} company:{word}")
    if with_notes:
        last = with_notes[-1]
        out.append(f"{' '.join(last.title.split()[:4])} year:{last.year}")
    return out + list(content.EXAMPLES)


def summarise(talks: Iterable[Talk], info: IndexInfo,
              works: Callable[[str], bool] = lambda q: True) -> Summary:
    """Events with notes (notes and talks each), the catalog-only talks, and up to four
    example questions for which `works` says the index has an answer."""
    notes: dict[str, set[str]] = {}
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    catalog = 0
    kept: list[Talk] = []
    for talk in talks:
        if not talk.is_talk:
            continue
        if not talk.has_notes or talk.note is None:
            catalog += 1
            continue
        counts[talk.event] += 1
        notes.setdefault(talk.event, set()).add(talk.note.path)
        names.setdefault(talk.event, talk.conference)
        if len(kept) < 400:
            kept.append(talk)
    events = tuple(EventCount(e, names[e], len(notes[e]), n)
                   for e, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    examples = [q for q in dict.fromkeys(candidate_examples(kept)) if works(q)][:4]
    return Summary(info, events, catalog, tuple(examples))


def last_questions(messages: Sequence[dict[str, Any]], user: str, bot_user_id: str = "",
                   limit: int = MAX_QUESTIONS) -> list[str]:
    """The person's own latest distinct questions in a DM history (newest first)."""
    out: list[str] = []
    for message in messages:
        if message.get("user") != user or not is_person(message, bot_user_id):
            continue
        question = clean_incoming(str(message.get("text", "")), bot_user_id)
        if question and not content.is_help(question) and question not in out:
            out.append(question)
        if len(out) >= limit:
            break
    return out


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": shorten(text, MAX_TEXT, SLACK_COST)}}


def _events_text(summary: Summary) -> str:
    """Events by size, as many as fit (at most MAX_EVENTS), then how many more there are."""
    lines: list[str] = []
    used = 0
    for item in summary.events[:MAX_EVENTS]:
        name = shorten(item.conference or item.event, 120, SLACK_COST)
        line = (f"• {mrkdwn(name)} (`{mrkdwn(shorten(item.event, 60, SLACK_COST))}`): "
                f"{item.notes} notes, {item.talks} talks")
        if used + len(line) + 1 > MAX_TEXT - 300:      # room for the two lines below
            break
        lines.append(line)
        used += len(line) + 1
    hidden = summary.events[len(lines):]
    if hidden:
        lines.append(f"…and {len(hidden):,} more events ({sum(e.talks for e in hidden):,} talks)")
    if summary.catalog_talks:
        lines.append(f"Plus {summary.catalog_talks:,} talks known only from the official "
                     "conference catalogs (no notes yet).")
    return "\n".join(lines) or "No notes are indexed yet."


def _ask_text(command: str, examples: Sequence[str]) -> str:
    cmd = mrkdwn(command)
    filters = "\n".join(f"• `{mrkdwn(f)}` {mrkdwn(what)}" for f, what in content.FILTERS)
    shown = "\n".join(f"• `{cmd} {mrkdwn(shorten(q, 200, SLACK_COST))}`" for q in examples)
    return (f"*How to ask*\nUse `{cmd}`, mention me in a channel, or send me a direct message; "
            "reply in my thread to follow up (no mention needed).\n"
            f"*Filters* (anywhere in the question)\n{filters}\n*Questions this index answers*\n{shown}")


def _question_block(question: str, pack: Callable[[dict[str, Any]], str]) -> dict[str, Any]:
    block = _section("“" + mrkdwn(shorten(" ".join(question.split()), QUESTION_LIMIT, SLACK_COST)) + "”")
    block["accessory"] = {"type": "button", "action_id": ASK_AGAIN, "value": pack({"q": question}),
                          "text": {"type": "plain_text", "text": "Ask again", "emoji": True}}
    return block


def home_view(summary: Summary, questions: Sequence[str], command: str,
              pack: Callable[[dict[str, Any]], str]) -> dict[str, Any]:
    """The Home tab: at most MAX_VIEW_BLOCKS blocks, every text within its limit."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "kubecon-bot", "emoji": True}},
        _section("*What I know*\nAnswers come from people's notes on past KubeCon + "
                 f"CloudNativeCon talks. {mrkdwn(content.footer(summary.info))} · "
                 f"{len(summary.events):,} events"),
        _section(_events_text(summary)),
        {"type": "divider"},
        _section(_ask_text(command, summary.examples or content.EXAMPLES)),
        {"type": "divider"},
        _section("*Your last questions*" if questions else
                 "*Your last questions*\nQuestions you send me in a direct message show up here."),
    ]
    blocks += [_question_block(q, pack) for q in questions[:MAX_QUESTIONS]]
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
                   "Only you see this tab. Your questions are read from our direct messages."}]})
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}
