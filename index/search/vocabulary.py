"""What the index knows that a question may name: events (region, year, city), cities, companies
and speakers, built once from the talks (notes and catalog) when the retriever loads."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..models import Talk
from ..text import STOPWORDS, fold

# Where the catalog's events took place (the catalog's `city`, which talks do not carry); a
# note's own `city` front matter wins.
KNOWN_CITIES = {
    "kubecon-na-2016": "Seattle", "kubecon-eu-2017": "Berlin", "kubecon-na-2017": "Austin",
    "kubecon-eu-2018": "Copenhagen", "kubecon-na-2018": "Seattle", "kubecon-cn-2018": "Shanghai",
    "envoycon-2018": "Seattle", "kubecon-eu-2019": "Barcelona", "kubecon-na-2019": "San Diego",
    "kubecon-cn-2019": "Shanghai", "kubecon-na-2021": "Los Angeles", "kubecon-eu-2022": "Valencia",
    "kubecon-na-2022": "Detroit", "kubecon-eu-2023": "Amsterdam", "kubecon-na-2023": "Chicago",
    "kubecon-cn-2023": "Shanghai", "kubecon-eu-2024": "Paris", "kubecon-na-2024": "Salt Lake City",
}
# Other spellings of the cities, in the bot's languages (folded).
CITY_ALIASES = {
    "Copenhagen": ("kobenhavn", "københavn", "copenhague", "cph"),
    "Barcelona": ("barcelone",), "Shanghai": ("shanghaï",),
    "Valencia": ("valence",),
}
REGION_NAMES = {
    "eu": "eu", "europe": "eu", "european": "eu", "europa": "eu", "europaeiske": "eu",
    "europæiske": "eu", "europeenne": "eu", "emea": "eu",
    "na": "na", "north america": "na", "nordamerika": "na", "usa": "na", "american": "na",
    "amerique": "na", "america": "na", "north american": "na",
    "china": "cn", "cn": "cn", "kina": "cn", "chine": "cn", "chinese": "cn",
}
REGION_LABELS = {"eu": "Europe", "na": "North America", "cn": "China"}
# Company names that are also ordinary words, and affixes that are not part of a name.
NOT_COMPANIES = frozenset("independent none self student freelance freelancer consultant "
                          "git box ye ii nav arm n/a na tbd retired various".split())
SUFFIX_RE = re.compile(r",?\s+(inc\.?|llc|ltd\.?|gmbh|corp\.?|corporation|co\.|s\.a\.|ag|b\.v\.)$",
                       re.I)
WORD_RE = re.compile(r"\w+(?:[.,]\d+)*")


@dataclass(frozen=True)
class EventInfo:
    id: str
    region: str
    year: int
    city: str
    label: str           # "KubeCon Europe 2019"


def _key(name: str) -> tuple[str, ...]:
    return tuple(fold(w) for w in WORD_RE.findall(name))


def _region(event: str, conference: str) -> str:
    m = re.match(r"kubecon-(eu|na|cn)-", event)
    if m:
        return m.group(1)
    for word, region in (("europe", "eu"), ("north america", "na"), ("china", "cn")):
        if word in fold(conference):
            return region
    return ""


@dataclass
class Vocabulary:
    events: dict[str, EventInfo] = field(default_factory=dict)
    city_events: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cities: dict[tuple[str, ...], str] = field(default_factory=dict)
    companies: dict[tuple[str, ...], str] = field(default_factory=dict)
    speakers: dict[tuple[str, ...], str] = field(default_factory=dict)
    years: frozenset[int] = frozenset()
    projects: frozenset[str] = frozenset()   # company names more often in titles ("Prometheus")

    def to_dict(self) -> dict[str, Any]:
        """JSON for the index directory (names made of several words keep their words)."""
        return {"events": {e: [i.region, i.year, i.city, i.label] for e, i in self.events.items()},
                "city_events": {c: list(es) for c, es in self.city_events.items()},
                "cities": [[list(k), v] for k, v in self.cities.items()],
                "companies": [[list(k), v] for k, v in self.companies.items()],
                "speakers": [[list(k), v] for k, v in self.speakers.items()],
                "years": sorted(self.years), "projects": sorted(self.projects)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Vocabulary":
        return cls(events={e: EventInfo(e, *v) for e, v in data["events"].items()},
                   city_events={c: tuple(es) for c, es in data["city_events"].items()},
                   cities={tuple(k): v for k, v in data["cities"]},
                   companies={tuple(k): v for k, v in data["companies"]},
                   speakers={tuple(k): v for k, v in data["speakers"]},
                   years=frozenset(data["years"]), projects=frozenset(data["projects"]))

    @staticmethod
    def region_label(region: str) -> str:
        return REGION_LABELS.get(region, region.upper())

    @classmethod
    def build(cls, talks: Sequence[Talk]) -> "Vocabulary":
        vocab = cls()
        note_city: dict[str, str] = {}
        for t in talks:
            if t.note is not None and t.note.city and fold(t.note.city) != "virtual":
                note_city.setdefault(t.event, t.note.city)
            if t.event and t.event not in vocab.events:
                vocab.events[t.event] = EventInfo(t.event, _region(t.event, t.conference),
                                                  t.year, "", "")
            vocab._add_people(t)
        by_city: dict[str, list[str]] = {}
        for e, info in list(vocab.events.items()):
            city = note_city.get(e) or KNOWN_CITIES.get(e, "")
            region = vocab.region_label(info.region) if info.region else ""
            label = " ".join(p for p in ("KubeCon" if e.startswith("kubecon") else e.split("-")[0]
                                         .capitalize(), region, str(info.year or "")) if p)
            vocab.events[e] = EventInfo(e, info.region, info.year, city, label)
            if city:
                by_city.setdefault(city, []).append(e)
        vocab.city_events = {c: tuple(sorted(es)) for c, es in by_city.items()}
        for city in by_city:
            vocab.cities[_key(city)] = city
            for alias in CITY_ALIASES.get(city, ()):
                vocab.cities[_key(alias)] = city
        vocab.years = frozenset(t.year for t in talks if t.year)
        vocab.projects = vocab._projects(talks)
        return vocab

    def _projects(self, talks: Sequence[Talk]) -> frozenset[str]:
        """Company names that talk titles name more often than talks' companies do."""
        in_titles: dict[str, int] = {}
        as_company: dict[str, int] = {}
        for t in talks:
            key = _key(t.title)
            for i in range(len(key)):
                for n in range(1, 5):
                    name = self.companies.get(key[i:i + n])
                    if name:
                        in_titles[name] = in_titles.get(name, 0) + 1
            for c in t.companies:
                name = self.companies.get(_key(SUFFIX_RE.sub("", c.strip()).strip(" ,")))
                if name:
                    as_company[name] = as_company.get(name, 0) + 1
        return frozenset(n for n, c in in_titles.items() if c > as_company.get(n, 0))

    def _add_people(self, talk: Talk) -> None:
        for company in talk.companies:
            name = SUFFIX_RE.sub("", company.strip()).strip(" ,")
            key = _key(name)
            if key and len(key) <= 4 and " ".join(key) not in NOT_COMPANIES | STOPWORDS \
                    and " ".join(key) not in REGION_NAMES:
                self.companies.setdefault(key, name)
        for speaker in talk.speakers:
            key = _key(speaker)
            if 2 <= len(key) <= 4 and all(len(w) >= 2 for w in key):
                self.speakers.setdefault(key, speaker.strip())
