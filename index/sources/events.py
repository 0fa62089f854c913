"""Which conference a notes post is about: its event id, conference, city and year, guessed
from the post's title, address, date and text against the known events (the official
catalog's, the corpus's own, and the KubeCon editions below)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

from ..text import fold


@dataclass(frozen=True)
class Event:
    id: str
    conference: str
    city: str
    year: int
    month: int = 0       # when it started, if known (a post is usually written just after)


@dataclass(frozen=True)
class Guess:
    event: Event | None
    reasons: tuple[str, ...]     # what the guess rests on, for the user to check
    runner_up: Event | None = None


# KubeCon editions the catalog may not list (id, city, month); conference names follow the
# catalog's pattern. Used only when the catalog and the corpus know no such event.
EDITIONS = (
    ("kubecon-eu-2016", "London", 3), ("kubecon-na-2016", "Seattle", 11),
    ("kubecon-eu-2017", "Berlin", 3), ("kubecon-na-2017", "Austin", 12),
    ("kubecon-eu-2018", "Copenhagen", 5), ("kubecon-na-2018", "Seattle", 12),
    ("kubecon-eu-2019", "Barcelona", 5), ("kubecon-na-2019", "San Diego", 11),
    ("kubecon-eu-2020", "Virtual", 8), ("kubecon-na-2020", "Virtual", 11),
    ("kubecon-eu-2021", "Virtual", 5), ("kubecon-na-2021", "Los Angeles", 10),
    ("kubecon-eu-2022", "Valencia", 5), ("kubecon-na-2022", "Detroit", 10),
    ("kubecon-eu-2023", "Amsterdam", 4), ("kubecon-na-2023", "Chicago", 11),
    ("kubecon-eu-2024", "Paris", 3), ("kubecon-na-2024", "Salt Lake City", 11),
    ("kubecon-eu-2025", "London", 4), ("kubecon-na-2025", "Atlanta", 11),
    ("kubecon-eu-2026", "Amsterdam", 3), ("kubecon-na-2026", "Los Angeles", 11),
)
REGIONS = {"eu": ("europe", "eu"), "na": ("north america", "na"), "cn": ("china",)}
REGION_NAMES = {"eu": "Europe", "na": "North America", "cn": "China"}
CITY_NAMES = {"copenhagen": ("copenhague", "kobenhavn", "kopenhagen"),
              "barcelona": ("barcelone",), "london": ("londres",), "san diego": ("sandiego",),
              "los angeles": ("la",), "salt lake city": ("slc",)}
YEAR_RE = re.compile(r"(?<!\d)(20[12]\d)(?!\d)")


def editions() -> list[Event]:
    out = []
    for event_id, city, month in EDITIONS:
        region, year = event_id.split("-")[1], int(event_id.rsplit("-", 1)[1])
        out.append(Event(event_id, f"KubeCon + CloudNativeCon {REGION_NAMES[region]} {year}",
                         city, year, month))
    return out


def known_events(*sources: list[Event]) -> list[Event]:
    """Events by id, the first source that names one winning (catalog, corpus, editions);
    a missing city or month is filled from a later source."""
    by_id: dict[str, Event] = {}
    for events in sources:
        for ev in events:
            have = by_id.get(ev.id)
            if have is None:
                by_id[ev.id] = ev
            else:
                by_id[ev.id] = Event(have.id, have.conference or ev.conference,
                                     have.city or ev.city, have.year, have.month or ev.month)
    return list(by_id.values())


def _words(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9]+", " ", fold(text)) + " "


def _mentions(text: str, names: tuple[str, ...]) -> int:
    return sum(text.count(f" {n} ") for n in names)


def _city_names(city: str) -> tuple[str, ...]:
    base = _words(city).strip()
    return (base, *CITY_NAMES.get(base, ())) if base and base != "virtual" else ()


def _region(event_id: str) -> str:
    parts = event_id.split("-")
    return parts[1] if len(parts) > 2 and parts[1] in REGIONS else ""


def _score(ev: Event, head: str, body: str, posted: dt.date | None) -> tuple[float, list[str]]:
    score, why = 0.0, []
    if f" {ev.year} " in head:
        score, why = score + 3, why + [f"the year {ev.year} in the title or address"]
    cities = _city_names(ev.city)
    if _mentions(head, cities):
        score, why = score + 4, why + [f"{ev.city} in the title or address"]
    elif (n := _mentions(body, cities)) >= 1:
        score, why = score + min(2.0, 0.5 * n), why + [f"{ev.city} named {n}x in the text"]
    region = REGIONS.get(_region(ev.id), ())
    if _mentions(head, region):
        score, why = score + 3, why + [f"'{REGION_NAMES[_region(ev.id)]}' in the title or address"]
    elif (n := _mentions(body, region)) >= 1:
        score, why = score + min(1.5, 0.5 * n), why + [f"'{REGION_NAMES[_region(ev.id)]}' in the text"]
    if posted and ev.month:
        days = (posted - dt.date(ev.year, ev.month, 1)).days
        if 0 <= days <= 100:
            score, why = score + 2, why + [f"published {posted} soon after it ({ev.year}-{ev.month:02d})"]
    return score, why


def guess_event(events: list[Event], title: str, url: str, date: str, text: str) -> Guess:
    """The most likely event, with its reasons; event None when nothing points to one."""
    head, body = _words(f"{title} {url}"), _words(text)
    posted = _date(date)
    years = {int(y) for y in YEAR_RE.findall(f"{title} {url}")}
    if not years and posted:
        years = {posted.year, posted.year - 1}
    if not years:
        found = Counter(YEAR_RE.findall(text[:5000]))
        years = {int(y) for y, n in found.items() if n == max(found.values())} if found else set()
    pool = [ev for ev in events if not years or ev.year in years]
    scored = sorted(((*_score(ev, head, body, posted), ev) for ev in pool),
                    key=lambda s: (-s[0], s[2].id))
    if not scored or scored[0][0] < 3:
        return Guess(None, ("nothing in the title, address, date or text names a known event",))
    best, why, event = scored[0]
    runner = scored[1][2] if len(scored) > 1 and scored[1][0] >= best - 1 else None
    return Guess(event, tuple(why), runner)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def catalog_events(entries: list) -> list[Event]:  # list[CatalogEntry]
    """One Event per event id of the catalog entries (conference and city of its first row
    that names them)."""
    by_id: dict[str, Event] = {}
    for e in entries:
        have = by_id.get(e.event)
        if have is None:
            by_id[e.event] = Event(e.event, e.conference, e.city, e.year)
        elif not (have.conference and have.city):
            by_id[e.event] = Event(e.event, have.conference or e.conference,
                                   have.city or e.city, have.year)
    return list(by_id.values())
