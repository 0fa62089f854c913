"""A follow-up in a thread, turned into one question for the retriever.

- A follow-up that points back to what was cited ("what else did she say?", "that talk",
  "more about it", a speaker or company of a cited talk) is searched with the earlier
  question and the titles and people of the talks it points to, so those talks come first.
- An elliptical follow-up ("and costs?", "what about security?") is searched with the
  earlier question.
- Anything else is a fresh question, searched as asked.
- Filters (`year:2019`...) stay in force in the thread; a follow-up's own filters replace the
  earlier ones of the same kind.

Pure functions: `bot.threads` reads the thread, the listeners search what comes out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.threads import Cited, Turn
from index.errors import QueryError
from index.models import Filters
from index.search.filters import parse_query

MAX_CONTEXT_CHARS = 600      # of earlier questions and cited titles added to a follow-up
SHORT = 3                    # at most this many content words: a weak pointer points back
# Openers of an elliptical follow-up, which leans on the earlier question ("and costs?").
ELLIPSIS = ("and ", "also ", "what about ", "how about ", "anything about ", "anything on ",
            "any ", "more on ", "or ", "but ", "og ", "et ", "what of ")

_WORD = re.compile(r"[\w'’-]+")
STOPWORDS = frozenset("""
a an the and or but of in on at to for from with about by as is are was were be been being do
does did done what which who whom whose why how when where this that these those it its they
them their there here he she his her him i me my we us our you your any anything anyone some
more else other also again then so just please tell show give list find explain say said talk
talked talks speak spoke mention mentioned cover covered explain explained present presented anybody somebody someone thing things can could would
should will shall may might must have has had not no yes ok okay hvad hvem hvordan og det den der
que qui quoi comment pourquoi le la les des du de et est il elle ils
""".split())
# Words that point back to what was cited, whatever else the follow-up says.
POINTERS = frozenset({"they", "them", "their", "theirs", "she", "her", "hers", "he", "him",
                      "his", "else", "speaker", "speakers", "same"})
POINTER_PHRASES = ("that talk", "this talk", "the talk", "that one", "this one", "more about",
                   "tell me more", "more on", "more details", "go on")
# Words that point back only in a short follow-up ("and it?" vs "how does it work in Vault?").
WEAK_POINTERS = frozenset({"it", "its", "this", "that", "there", "those", "these"})


@dataclass(frozen=True)
class FollowUp:
    """What to search for a message: `query` (with filters), and what the thread added."""

    query: str
    context: bool = False                 # earlier questions were added
    refers: tuple[str, ...] = ()          # ids of the cited talks pointed back to


def words(text: str) -> list[str]:
    return [w.lower().strip("'’-") for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and len(w) > 1 and not w.isdigit()]


_FILTER_END = re.compile(r"(?<!\S)((?:event|year|company):[^\s\"']+?)[?!.,;]+(?=\s|$)", re.I)


def tidy(question: str) -> str:
    """The question with punctuation after a filter value dropped (`year:2017?`)."""
    return _FILTER_END.sub(r"\1", question)


def _split(question: str) -> tuple[str, Filters] | None:
    try:
        return parse_query(tidy(question))
    except QueryError:
        return None


def merge_filters(earlier: Filters, new: Filters) -> Filters:
    """The earlier filters with the new ones' kinds replaced."""
    changes = {k: getattr(new, k) for k in ("event", "year", "speaker", "company") if getattr(new, k)}
    return replace(earlier, **changes)


def _named(text: str, talk: Cited) -> bool:
    """Whether the follow-up names one of the talk's people (a speaker's name, a company)."""
    names = {w for w in content_words(talk.people) if len(w) > 2}
    return bool(names & set(content_words(text)))


def pointed_to(text: str, cited: Sequence[Cited]) -> tuple[Cited, ...]:
    """The cited talks a follow-up points back to: those whose people it names, else the
    first one when it uses a pointing word; none for a question of its own."""
    named = tuple(t for t in cited if _named(text, t))
    if named:
        return named
    low = " " + " ".join(words(text)) + " "
    all_words = set(words(text))
    short = len(content_words(text)) <= SHORT
    if cited and (all_words & POINTERS or any(f" {p} " in low for p in POINTER_PHRASES)
                  or (short and all_words & WEAK_POINTERS)):
        return (cited[0],)
    return ()


def is_elliptical(text: str) -> bool:
    """A follow-up that is not a whole question: opens with "and", "what about"... or is
    one word long."""
    low = " ".join(words(text)) + " "
    return bool(text.strip()) and (low.startswith(ELLIPSIS) or len(content_words(text)) <= 1)


def _context_text(turns: Sequence[Turn], talks: Sequence[Cited]) -> str:
    parts = [t.asked for t in reversed(turns) if t.asked.strip()][:2]
    parts += [f"{t.title} {t.people}".strip() for t in talks]
    text = " ".join(" ".join(parts).split())
    return text[:MAX_CONTEXT_CHARS].rsplit(" ", 1)[0] if len(text) > MAX_CONTEXT_CHARS else text


def _without_filters(question: str) -> str:
    split = _split(question)
    return split[0] if split is not None else question


def build(question: str, turns: Sequence[Turn]) -> FollowUp:
    """The query for `question` asked in a thread with these earlier answers (oldest first)."""
    split = _split(question)
    if not turns or split is None:
        return FollowUp(question)
    text, own = split
    earlier = _split(turns[-1].filters)
    filters = merge_filters(earlier[1] if earlier else Filters(), own)
    talks = pointed_to(text, turns[-1].talks)
    context = bool(talks) or is_elliptical(text)
    if context:
        asked = [replace(t, asked=_without_filters(t.asked)) for t in turns]
        text = f"{text} {_context_text(asked, talks)}".strip()
    query = f"{text} {filters.describe()}".strip()
    return FollowUp(query, context=context, refers=tuple(t.id for t in talks))
