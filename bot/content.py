"""What an answer says, without markup: shared by the Block Kit and the terminal renderers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from index.models import Answer, Filters, IndexInfo, Result, Talk

EXAMPLES: tuple[str, ...] = (
    "what did Netflix say about Spinnaker",
    "service mesh year:2018",
    'multi-tenancy speaker:"Kelsey Hightower"',
    "operators event:kubecon-eu-2019",
)

FILTERS: tuple[tuple[str, str], ...] = (
    ("year:2019", "talks from one year"),
    ("event:kubecon-eu-2019", "talks from one conference (its short id)"),
    ('speaker:"Kelsey Hightower"', "talks by one speaker (quote names with spaces)"),
    ("company:netflix", "talks by people from one company"),
)

LINK_LABELS: tuple[tuple[str, str], ...] = (
    ("video", "Recording"),
    ("schedule", "Schedule"),
    ("slides", "Slides"),
    ("notes", "More notes"),
    ("link", "Link"),
)

HELP_WORDS = frozenset({"help", "-h", "--help", "?", "usage"})


def is_help(question: str) -> bool:
    """True for an empty question or a request for help."""
    return not question.strip() or question.strip().lower() in HELP_WORDS


@dataclass(frozen=True)
class TalkLink:
    kind: str
    label: str
    url: str


def byline(talk: Talk) -> str:
    """`Dianne Marsh (Netflix)` or `A, B (X, Y)`; empty when nothing is known."""
    speakers = ", ".join(s for s in talk.speakers if s.strip())
    companies = ", ".join(c for c in talk.companies if c.strip())
    if speakers and companies:
        return f"{speakers} ({companies})"
    return speakers or companies


def where(talk: Talk) -> str:
    """Conference and year, e.g. `KubeCon + CloudNativeCon North America 2017`."""
    conference = talk.conference.strip() or talk.event.strip()
    year = str(talk.year) if talk.year else ""
    if year and year not in conference:
        return f"{conference} {year}".strip()
    return conference


def kind_label(talk: Talk) -> str:
    """`Keynote`, `Panel`...; empty for an ordinary talk; `From the notes` for a note's own
    text (its intro, travel or thanks), which is not a talk."""
    if not talk.is_talk:
        return "From the notes" + (f" by {talk.note.author}" if talk.note is not None and
                                   talk.note.author else "")
    kind = talk.kind.strip().lower()
    return "" if kind in ("", "talk", "session") else kind.replace("_", " ").capitalize()


def details(talk: Talk) -> list[str]:
    """The parts of the line under a talk's title."""
    return [part for part in (byline(talk), where(talk), kind_label(talk)) if part]


def has_notes(talk: Talk) -> bool:
    return talk.has_notes and talk.note is not None


def links(talk: Talk) -> list[TalkLink]:
    """Notes (credited to their author), recording, schedule, slides: the ones that are known."""
    out: list[TalkLink] = []
    if has_notes(talk) and talk.note is not None and talk.url:
        author = talk.note.author.strip()
        out.append(TalkLink("notes", f"Notes by {author}" if author else "Notes", talk.url))
    seen = {item.url for item in out}
    for kind, label in LINK_LABELS:
        for item in talk.links:
            if item.kind == kind and item.url and item.url not in seen:
                seen.add(item.url)
                out.append(TalkLink(kind, label, item.url))
    return out[:6]


def built_at(info: IndexInfo) -> str:
    """The index build time as `2024-05-01 12:00 UTC` when it parses, else as stored."""
    try:
        moment = datetime.fromisoformat(info.built_at.replace("Z", "+00:00"))
    except ValueError:
        return info.built_at
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def footer(info: IndexInfo) -> str:
    """`Index built … · 5 notes · 160 talks`."""
    return (f"Index built {built_at(info)} · {info.notes} notes · {info.talks} talks"
            if info.built_at else f"{info.notes} notes · {info.talks} talks")


def span(answer: Answer) -> str:
    """`1–3 of 7` for the results shown; empty when there are none."""
    if not answer.results:
        return ""
    first, last = answer.offset + 1, answer.offset + len(answer.results)
    total = max(answer.total, last)
    return f"{first}–{last} of {total}" if total > 1 else ""


def nothing_found(answer: Answer) -> str:
    """The plain statement for an answer without results."""
    if answer.offset > 0:
        return "There are no more talks for this question."
    return "I found nothing in the notes that answers this question."


def suggestion(filters: Filters, command: str = "") -> str:
    """What to try next when nothing was found (`command` prefixes the example, if given)."""
    if not filters.is_empty():
        return "Try again without some of the filters, or with other words."
    example = f"{command} {EXAMPLES[0]}" if command else EXAMPLES[0]
    return f"Try other or fewer words, for example: {example}"


DESCRIPTION_LIMIT = 300   # characters of the official description quoted for such a talk


def no_notes_line(talk: Talk, described: bool = False) -> str:
    """Said plainly for a talk known only from the conference catalog; `described`: its
    passage is the official description (from the schedule), quoted below this line."""
    if described:
        return "No notes cover this talk yet. From the official description:"
    if talk.link("video"):
        return "No notes cover this talk yet; only the conference catalog lists it. Watch the recording:"
    return "No notes cover this talk yet; only the conference catalog lists it."


def described(result: Result) -> bool:
    """Whether a talk without notes has its official description as its passage."""
    return not has_notes(result.talk) and bool(result.passages and result.passages[0].text.strip())
