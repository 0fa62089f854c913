"""Threads as the bot reads them: which messages are meant for it, and what it already answered.

Pure functions over Slack's payloads. The bot's own answers carry message metadata (event type
`kubecon_answer`: the question as asked, the filters in force, the asker and the talks cited),
so a thread read back with `conversations.replies` says what the bot said in it, whichever
replica said it; nothing is kept in process memory."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from index.models import Answer

ANSWER_EVENT = "kubecon_answer"
MAX_TURNS = 3            # earlier answers a follow-up is read against, the latest last

# Subtypes that are still a person writing: a reply also sent to the channel, a file with text.
PERSON_SUBTYPES = frozenset({"", "thread_broadcast", "file_share"})

_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
_BROADCAST = re.compile(r"<!(?:here|channel|everyone|subteam\^[A-Z0-9]+)(?:\|[^>]*)?>")
_FILTER = re.compile(r"(?<!\S)(?:event|year|speaker|company):\S", re.I)
_EMOJI = re.compile(r":[a-z0-9_+\-']+:")
_FILLERS = frozenset({"and", "also", "so", "ok", "okay", "but", "then", "hmm", "oh", "et",
                      "og", "ah", "well", "right", "great", "thanks", "thx", "cool", "nice"})
QUESTION_WORDS = frozenset({
    # English: interrogatives, auxiliaries that open a question, requests
    "what", "what's", "whats", "which", "who", "who's", "whom", "whose", "why", "how", "when",
    "where", "did", "does", "do", "is", "are", "was", "were", "can", "could", "would", "should",
    "will", "has", "have", "had", "any", "anything", "tell", "show", "list", "give", "find",
    "explain", "summarize", "summarise", "describe", "compare", "more", "other", "else",
    # Danish and French, the corpus' other languages
    "hvad", "hvem", "hvilke", "hvilken", "hvordan", "hvorfor", "hvornår", "hvor", "findes",
    "que", "qu'est-ce", "quoi", "qui", "quel", "quelle", "quels", "quelles", "comment",
    "pourquoi", "quand", "où", "est-ce",
})
# Openers that ask only when a subject follows ("will you...?", "does Vault...", not "will
# watch it later").
AUXILIARIES = frozenset({"did", "does", "do", "is", "are", "was", "were", "can", "could",
                         "would", "should", "will", "has", "have", "had", "er", "var", "kan"})
SUBJECTS = frozenset({"i", "you", "we", "they", "he", "she", "it", "there", "anyone", "anybody",
                      "someone", "somebody", "any", "the", "a", "an", "this", "that", "these",
                      "those", "people", "its", "their", "his", "her", "der", "det", "nogen"})
# Exclamations that open like questions: "what a talk!", "how cool".
_EXCLAMATION = re.compile(r"^(what an?|how (cool|nice|great|fun|awesome|interesting))\b", re.I)


@dataclass(frozen=True)
class Cited:
    """A talk an earlier answer cited: enough to point back to it."""

    id: str
    title: str
    people: str = ""        # speakers and companies, as one line


@dataclass(frozen=True)
class Turn:
    """One earlier answer in the thread: the question as asked, the filters in force, who
    asked, and the talks cited (best first)."""

    asked: str
    filters: str
    asker: str
    talks: tuple[Cited, ...] = ()


def answer_metadata(asked: str, filters: str, asker: str,
                    talks: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    """The metadata an answer carries: (id, title, people) for each talk cited."""
    return {"event_type": ANSWER_EVENT, "event_payload": {
        "asked": asked[:1000], "filters": filters[:300], "asker": asker,
        "talk_ids": [t[0] for t in talks], "talk_titles": [t[1][:200] for t in talks],
        "talk_people": [t[2][:200] for t in talks]}}


def cited_talks(answer: Answer) -> list[tuple[str, str, str]]:
    """(id, title, people) of the talks an answer cites, for its metadata."""
    return [(r.talk.id, r.talk.title or r.talk.official_title,
             ", ".join((*r.talk.speakers, *r.talk.companies))) for r in answer.results]


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def turn_of(message: dict[str, Any], bot_user_id: str) -> Turn | None:
    """The answer a thread message holds, if it is one of this bot's answers."""
    meta = message.get("metadata")
    if not isinstance(meta, dict) or meta.get("event_type") != ANSWER_EVENT:
        return None
    if not message.get("bot_id") or (bot_user_id and message.get("user") not in (bot_user_id, None)):
        return None
    payload = meta.get("event_payload") or {}
    ids, titles = _strings(payload.get("talk_ids")), _strings(payload.get("talk_titles"))
    people = _strings(payload.get("talk_people"))
    talks = tuple(Cited(i, titles[n] if n < len(titles) else "", people[n] if n < len(people) else "")
                  for n, i in enumerate(ids))
    return Turn(asked=str(payload.get("asked", "")), filters=str(payload.get("filters", "")),
                asker=str(payload.get("asker", "")), talks=talks)


def turns_of(messages: Sequence[dict[str, Any]], bot_user_id: str) -> list[Turn]:
    """The bot's answers in a thread, oldest first, at most MAX_TURNS (the latest ones)."""
    turns = [t for t in (turn_of(m, bot_user_id) for m in messages) if t is not None]
    return turns[-MAX_TURNS:]


def is_person(event: dict[str, Any], bot_user_id: str = "") -> bool:
    """A person's new message: not an edit, a join or any other bot's (or our own) post."""
    return (str(event.get("subtype") or "") in PERSON_SUBTYPES and not event.get("bot_id")
            and bool(event.get("user")) and event.get("user") != bot_user_id)


def in_thread(event: dict[str, Any]) -> bool:
    """A reply inside a thread (not the thread's first message)."""
    thread = event.get("thread_ts")
    return bool(thread) and thread != event.get("ts")


def mentions_bot(text: str, bot_user_id: str) -> bool:
    return bool(bot_user_id) and any(m == bot_user_id for m in _MENTION.findall(text or ""))


def mentions_others(text: str, bot_user_id: str) -> bool:
    """True when the raw message text addresses someone other than the bot (a person,
    a user group, @here / @channel)."""
    raw = text or ""
    return bool(_BROADCAST.search(raw)) or any(m != bot_user_id for m in _MENTION.findall(raw))


def is_question(text: str) -> bool:
    """Whether a (cleaned) message asks something: a question mark, a filter, or an opening
    word that asks ("what", "which", "tell me", "hvad", "comment"...)."""
    plain = _EMOJI.sub(" ", text or "").strip()
    if not plain:
        return False
    if _FILTER.search(plain) or plain.rstrip(" )\"'").endswith("?"):
        return True
    raw = [w.strip(",.;:!-\"'()") for w in plain.split()]
    raw = [w for w in raw if w]
    while raw and raw[0].lower() in _FILLERS:
        raw.pop(0)
    words = [w.lower() for w in raw]
    if not words or _EXCLAMATION.match(" ".join(words)):
        return False
    if words[0] in AUXILIARIES:
        return len(raw) > 1 and (words[1] in SUBJECTS or raw[1][:1].isupper())
    return words[0] in QUESTION_WORDS or " ".join(words[:2]) in ("what about", "how about")


def askers(turns: Sequence[Turn]) -> set[str]:
    """The people whose questions the bot answered in the thread."""
    return {t.asker for t in turns if t.asker}


def for_the_bot(event: dict[str, Any], question: str, turns: Sequence[Turn],
                bot_user_id: str) -> bool:
    """A thread reply without a mention is meant for the bot when the bot answered in the
    thread, the reply comes from someone it answered there, mentions nobody else and asks
    something."""
    return (bool(turns) and str(event.get("user", "")) in askers(turns)
            and not mentions_others(str(event.get("text", "")), bot_user_id)
            and is_question(question))
