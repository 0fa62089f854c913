"""Deciding an imported note's front matter: each of the nine keys from the command line,
the source itself or the event guess, with where it came from and what to check."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .events import Event, Guess, guess_event
from .fetch import SourceError
from .notes import slug
from .origin import Source, first_heading, site_author

EVENT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass
class Plan:
    meta: dict[str, Any]
    origin: dict[str, str]                 # key -> where its value came from
    name: str                              # <event>-<author>
    checks: list[str] = field(default_factory=list)


def _event(events: list[Event], event_id: str | None, source: Source) -> tuple[Event, str, list[str]]:
    if event_id:
        if not EVENT_ID_RE.match(event_id):
            raise SourceError(f"--event {event_id!r}: use a short id like kubecon-eu-2019")
        known = next((e for e in events if e.id == event_id), None)
        if known:
            return known, "--event", []
        year = re.search(r"(20\d\d)", event_id)
        if not year:
            raise SourceError(f"--event {event_id}: unknown event and no year in its id; "
                              "use an id like kubecon-eu-2024")
        return (Event(event_id, event_id, "", int(year.group(1))), "--event",
                [f"{event_id} is not a known event: fill in 'conference' and 'city'"])
    titles = f"{source.value('title')} {first_heading(source.body)}"
    guess: Guess = guess_event(events, titles, source.value("url") or source.name,
                               source.value("date"), source.body)
    if guess.event is None:
        raise SourceError(f"{source.name}: cannot tell which conference these notes are about "
                          f"({guess.reasons[0]}); pass --event ID, e.g. --event kubecon-eu-2019")
    checks = [f"the event could also be {guess.runner_up.id}; pass --event to choose"] \
        if guess.runner_up else []
    return guess.event, "guessed from " + "; ".join(guess.reasons), checks


def _author(source: Source, given: str | None) -> tuple[str, str, list[str]]:
    if given:
        return given, "--author", []
    for key, where in (("author", ""), ("site", "")):
        if source.value(key):
            value, where = source.facts[key]
            checks = [] if key == "author" else [
                f"author '{value}' is the site's name; pass --author NAME for the person"]
            return value, where, checks
    stand_in = site_author(source.value("url"))
    if stand_in:
        return stand_in, "the site's address", [
            f"author '{stand_in}' comes from the address; pass --author NAME for the person"]
    raise SourceError(f"{source.name}: the source names no author; pass --author NAME")


def plan_note(source: Source, events: list[Event], event_id: str | None, author: str | None,
              language: str | None, url: str | None) -> Plan:
    """The nine front-matter keys and the corpus name for this source."""
    if url:
        source.facts["url"] = (url, "--url")
    event, event_from, checks = _event(events, event_id, source)
    who, who_from, more = _author(source, author)
    checks += more
    origin: dict[str, str] = {}
    if not source.value("url"):
        raise SourceError(f"{source.name}: no address for these notes; pass --url "
                          "https://... (where the notes are published)")
    if language:
        source.facts["language"] = (language, "--language")
    if not source.value("language"):
        source.facts["language"] = ("en", "default")
        checks.append("language 'en' is a default; pass --language CODE if the notes are not "
                      "in English")
    meta: dict[str, Any] = {
        "title": source.value("title") or event.conference, "author": who,
        "url": source.value("url"), "conference": event.conference, "event": event.id,
        "city": event.city, "year": event.year, "date": source.value("date")[:10],
        "language": source.value("language")}
    for key in ("title", "url", "date", "language"):
        origin[key] = source.facts.get(key, ("", "the event"))[1] or "the event"
    origin["author"] = who_from
    origin["event"] = event_from
    for key in ("conference", "city", "year"):
        origin[key] = "the event's"
    if not meta["date"]:
        checks.append("no publication date found: add 'date: YYYY-MM-DD' if you know it")
    return Plan(meta=meta, origin=origin, name=f"{event.id}-{slug(who)}", checks=checks)


def target_of(corpus: Path, plan: Plan, source: Source) -> Path:
    return corpus / (plan.name if source.kind == "folder" else f"{plan.name}.md")
