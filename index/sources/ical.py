"""An official schedule as an iCalendar export (sched.com publishes one per event): each
session with a description becomes a catalog row: title, speakers, companies, kind, time,
room, schedule link and abstract."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import icalendar

from ..catalog.entries import KINDS, CatalogEntry
from ..notes.bylines import parse_byline
from .fetch import SourceError

PREFIXES = {"sponsored keynote": "keynote", "keynote": "keynote", "lightning talk": "lightning_talk",
            "tutorial": "tutorial", "workshop": "workshop", "panel": "panel",
            "panel discussion": "panel"}
PREFIX_RE = re.compile(r"^\s*(sponsored keynote|keynote|lightning talk|tutorial|workshop|"
                       r"panel discussion|panel)\s*:\s*", re.I)


@dataclass(frozen=True)
class Schedule:
    name: str                       # the calendar's own name (X-WR-CALNAME or PRODID)
    sessions: tuple[CatalogEntry, ...]
    without_description: int        # badge pick-up, coffee, ... (not added)


def _text(value: object) -> str:
    return re.sub(r"[ \t]+\n", "\n", str(value or "")).strip()


def _time(component: icalendar.Component) -> str:
    start = component.get("DTSTART")
    value = start.dt if start is not None else None
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat() if isinstance(value, dt.date) else ""


def _room(location: str, city: str) -> str:
    """`F002-005, Amsterdam, Netherlands` -> `F002-005`: the parts before the city."""
    parts = [p.strip() for p in location.split(",") if p.strip()]
    names = [p.lower() for p in parts]
    if city and city.lower() in names[1:]:
        parts = parts[:names.index(city.lower(), 1)]
    return ", ".join(parts)


def session(component: icalendar.Component, event: str, year: int, conference: str,
            city: str, source: str) -> CatalogEntry | None:
    """One VEVENT as a catalog entry; None without a description."""
    summary, abstract = _text(component.get("SUMMARY")), _text(component.get("DESCRIPTION"))
    if not summary or not abstract:
        return None
    kind = "talk"
    found = PREFIX_RE.match(summary)
    if found:
        kind = PREFIXES[found.group(1).lower()]
        summary = summary[found.end():]
    byline = parse_byline(summary)
    url = _text(component.get("URL"))
    uid = _text(component.get("UID"))
    return CatalogEntry(
        title=byline.title or summary, speakers=byline.speakers, companies=byline.companies,
        event=event, year=year, kind=KINDS.get(kind, "talk"),
        schedule=url if url.startswith(("http://", "https://")) else "", conference=conference,
        city=city, source=f"{source}#{uid}" if uid else source, level=byline.level,
        abstract=abstract, time=_time(component), room=_room(_text(component.get("LOCATION")), city))


def read_schedule(path: Path, event: str, year: int, conference: str, city: str) -> Schedule:
    """Every session of an .ics file that has a description; SourceError if it is no calendar."""
    try:
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise SourceError(f"{path}: not an iCalendar file ({exc}); export the schedule as .ics"
                          ) from None
    sessions, skipped = [], 0
    for component in calendar.walk("VEVENT"):
        entry = session(component, event, year, conference, city, path.name)
        if entry is None:
            skipped += 1
        else:
            sessions.append(entry)
    name = _text(calendar.get("X-WR-CALNAME")) or _text(calendar.get("PRODID"))
    if not sessions and not skipped:
        raise SourceError(f"{path}: the calendar holds no events")
    return Schedule(name=name, sessions=tuple(sessions), without_description=skipped)


def calendar_year(path: Path) -> int:
    """The year of the calendar's first event (0 if none), to check --event against."""
    try:
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
    except (OSError, ValueError):
        return 0
    for component in calendar.walk("VEVENT"):
        start = component.get("DTSTART")
        if start is not None:
            return start.dt.year
    return 0
