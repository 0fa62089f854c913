"""Block Kit messages: pure functions from an Answer (or a situation) to `{"text", "blocks"}`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import buttons, content, understood
from bot.escape import label, link, mrkdwn, no_stars, user_mention
from bot.excerpt import SLACK_COST, passage_parts, shorten
from index.models import Answer, Result

Message = dict[str, Any]

MAX_BLOCKS = 50
MAX_TEXT = 3000          # per section or context text
PASSAGE_LIMIT = 700      # the quoted passage, in rendered characters
LINKS_LIMIT = 1000
FALLBACK_LIMIT = 1000    # the notification text

PRIVATE = "private"      # the slash command's ephemeral answer
SHARED = "shared"        # posted publicly by "Share in channel"
THREAD = "thread"        # a reply to a mention or a DM

EMOJI = {"notes": ":memo:", "video": ":movie_camera:", "schedule": ":calendar:",
         "slides": ":bar_chart:", "link": ":link:"}


@dataclass(frozen=True)
class View:
    """How an answer is shown: where it goes, the command to suggest, who asked (when shared)."""

    mode: str = PRIVATE
    command: str = "/kubecon"
    asker: str = ""


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _button(text: str, action_id: str, value: str, style: str = "") -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "action_id": action_id, "value": value,
                              "text": {"type": "plain_text", "text": text, "emoji": True}}
    if style:
        button["style"] = style
    return button


def _quoted(question: str, limit: int = 500) -> str:
    return "“" + mrkdwn(shorten(" ".join(question.split()), limit, SLACK_COST)) + "”"


def _bold(text: str) -> str:
    """`*text*` on one line, keeping the surrounding whitespace outside the asterisks."""
    flat = " ".join(no_stars(text).split())
    if not flat:
        return mrkdwn(text)
    lead = " " if text[:1].isspace() else ""
    trail = " " if text[-1:].isspace() else ""
    return f"{lead}*{mrkdwn(flat)}*{trail}"


def quote(before: str, highlight: str, after: str) -> str:
    """A mrkdwn block quote of a passage with its highlight in bold."""
    body = mrkdwn(before) + (_bold(highlight) if highlight else "") + mrkdwn(after)
    return "\n".join("> " + line for line in body.strip("\n").split("\n"))


def _links_line(result: Result) -> str:
    line = ""
    for item in content.links(result.talk):
        part = f"{EMOJI.get(item.kind, ':link:')} {link(item.url, shorten(item.label, 80))}"
        candidate = f"{line} · {part}" if line else part
        if len(candidate) > LINKS_LIMIT:
            break
        line = candidate
    return line


def talk_section(result: Result, rank: int) -> str:
    """One cited talk: linked title, who and where, the best passage quoted, its links."""
    talk = result.talk
    title = shorten(no_stars(talk.title.strip() or talk.official_title.strip() or "Untitled talk"),
                    250, SLACK_COST)
    head = f"*{rank}. {link(talk.url, title) if talk.url else label(title)}*"
    about = mrkdwn(shorten(" · ".join(content.details(talk)), 300, SLACK_COST))
    links = _links_line(result)
    lines = [head, about]
    if not content.has_notes(talk):
        lines.append("_" + content.no_notes_line(talk, content.described(result)) + "_")
    fixed = sum(len(line) + 1 for line in lines) + len(links) + 1
    limit = content.DESCRIPTION_LIMIT if content.described(result) else PASSAGE_LIMIT
    budget = min(limit, MAX_TEXT - fixed - 10)
    if result.passages and budget > 40:
        best = result.passages[0]
        before, bold, after = passage_parts(best.text, best.highlight, budget, SLACK_COST)
        if (before + bold + after).strip():
            lines.append(quote(before, bold, after))
    lines.append(links)
    return "\n".join(line for line in lines if line)


def _header(answer: Answer, view: View) -> str:
    question = _quoted(answer.query)
    if view.mode == SHARED:
        who = user_mention(view.asker) or "Someone"
        text = f"{who} asked {question}"
    elif answer.offset > 0:
        text = f"More talks for {question}"
    else:
        text = f"Talks for {question}"
    span = content.span(answer)
    return f"{text} · {span}" if span else text


def _buttons(answer: Answer, view: View, pack: buttons.Packer) -> dict[str, Any]:
    ids = [r.talk.id for r in answer.results]
    elements = []
    if view.mode == PRIVATE:
        elements.append(_button("Share in channel", buttons.SHARE,
                                pack({"q": answer.query, "o": answer.offset}), "primary"))
    if answer.has_more:
        where = buttons.CHANNEL if view.mode == THREAD else buttons.PRIVATE
        elements.append(_button("More results", buttons.MORE, pack(
            {"q": answer.query, "o": answer.offset + len(answer.results), "s": where})))
    if understood.can_unfilter(answer):
        elements.append(_unfilter_button(answer, view, pack))
    feedback = {"q": answer.query, "o": answer.offset, "t": ids}
    elements.append(_button(":thumbsup: Helpful", buttons.HELPFUL, pack(feedback)))
    elements.append(_button(":thumbsdown: Not helpful", buttons.NOT_HELPFUL, pack(feedback)))
    return {"type": "actions", "elements": elements}


def _unfilter_button(answer: Answer, view: View, pack: buttons.Packer) -> dict[str, Any]:
    """The same question again with no filter read from its words (issue 18)."""
    where = buttons.CHANNEL if view.mode == THREAD else buttons.PRIVATE
    return _button("Search without these filters", buttons.UNFILTERED, pack(
        {"q": understood.unfiltered_question(answer.query), "o": 0, "s": where}))


def _fallback(answer: Answer) -> str:
    titles = "; ".join(r.talk.title for r in answer.results)
    return mrkdwn(shorten(f"Talks for “{answer.query}”: {titles}", FALLBACK_LIMIT, SLACK_COST))


def nothing_found_message(answer: Answer, view: View,
                          pack: buttons.Packer = buttons.inline) -> Message:
    """Said plainly, with the filters that were applied and a suggestion."""
    lines = [f"{content.nothing_found(answer)}", f"*Question:* {_quoted(answer.query)}"]
    if not answer.filters.is_empty():
        described = shorten(answer.filters.describe().replace("`", "'"), 300, SLACK_COST)
        lines.append(f"*Filters applied:* `{mrkdwn(described)}`")
    lines.append(mrkdwn(content.suggestion(answer.filters, view.command)))
    found: list[dict[str, Any]] = [_section("\n".join(lines)), *understood.blocks(answer),
                                   _context(mrkdwn(content.footer(answer.info)))]
    if understood.can_unfilter(answer):
        found.append({"type": "actions", "elements": [_unfilter_button(answer, view, pack)]})
    return {"text": mrkdwn(content.nothing_found(answer)), "blocks": found}


def answer_message(answer: Answer, view: View, pack: buttons.Packer = buttons.inline) -> Message:
    """The whole answer: header, the page of talks it holds, footer, buttons."""
    if not answer.results:
        return nothing_found_message(answer, view, pack)
    blocks: list[dict[str, Any]] = [_section(_header(answer, view)), *understood.blocks(answer)]
    first_rank = answer.offset + 1
    for i, result in enumerate(answer.results):
        blocks.append({"type": "divider"})
        blocks.append(_section(talk_section(result, first_rank + i)))
    blocks.append(_context(mrkdwn(content.footer(answer.info))))
    blocks.append(_buttons(answer, view, pack))
    return {"text": _fallback(answer), "blocks": blocks[:MAX_BLOCKS]}


def help_message(command: str) -> Message:
    """Usage and filters, for `/kubecon help`, an empty command, or a bare mention."""
    cmd = mrkdwn(command)
    examples = "\n".join(f"• `{cmd} {mrkdwn(q)}`" for q in content.EXAMPLES)
    filters = "\n".join(f"• `{mrkdwn(f)}` {mrkdwn(what)}" for f, what in content.FILTERS)
    intro = ("*Ask about talks from past KubeCon + CloudNativeCon conferences.* Answers come "
             "from people's conference notes, with links to the notes, recordings and slides.")
    where = ("You can also mention me in a channel (I answer in a thread) or send me a direct "
             "message. Answers to the command are private until you press *Share in channel*.")
    return {"text": "How to ask kubecon-bot",
            "blocks": [_section(intro), _section(f"*Examples*\n{examples}"),
                       _section(f"*Filters* (anywhere in the question)\n{filters}"),
                       _section(where)]}


def problem_message(message: str, command: str) -> Message:
    """A question that cannot be answered as asked (the QueryError's message)."""
    text = f":warning: {mrkdwn(shorten(message, 1000, SLACK_COST))}"
    return {"text": text, "blocks": [_section(text),
                                     _context(f"Type `{mrkdwn(command)} help` for examples.")]}


def apology_message(error_id: str) -> Message:
    """The short apology for an unexpected error; the log holds the traceback under this id."""
    text = (":warning: Sorry, something went wrong while answering. Please try again in a "
            f"moment. (error id `{mrkdwn(error_id)}`)")
    return {"text": text, "blocks": [_section(text)]}


def restart_message(command: str) -> Message:
    """The apology for a question the bot could not answer before it stopped (a restart)."""
    text = (":warning: Sorry, the bot restarted before it could answer this. Please ask "
            f"again in a minute with `{mrkdwn(command)}`.")
    return {"text": text, "blocks": [_section(text)]}


def expired_message(command: str) -> Message:
    text = f"This answer is too old to continue. Please ask again with `{mrkdwn(command)}`."
    return {"text": text, "blocks": [_section(text)]}


def thanks_message(helpful: bool) -> Message:
    verdict = "helpful" if helpful else "not helpful"
    text = f"Thanks! I noted that this answer was {verdict}."
    return {"text": text, "blocks": [_context(text)]}
