"""Plain data types shared by every part: notes, talks, chunks, and answers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Link:
    """A link about a talk: kind is video, slides, schedule, notes or link."""

    kind: str
    url: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "url": self.url}


@dataclass(frozen=True)
class NoteMeta:
    """A notes post: its front matter plus where it lives on disk."""

    path: str
    title: str
    author: str
    url: str
    conference: str
    event: str
    city: str
    year: int
    date: str
    language: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "title": self.title, "author": self.author, "url": self.url,
            "conference": self.conference, "event": self.event, "city": self.city,
            "year": self.year, "date": self.date, "language": self.language,
        }


@dataclass(frozen=True)
class Talk:
    """One talk as a notes post covers it (or, with has_notes False, as a catalog lists it)."""

    id: str
    title: str
    speakers: tuple[str, ...]
    companies: tuple[str, ...]
    kind: str
    event: str
    conference: str
    year: int
    day: str = ""
    track: str = ""
    label: str = ""          # the heading text when the real title came from a byline
    level: str = ""          # skill level marker such as A, B, I
    anchor: str = ""
    line: int = 0            # line of the heading in the notes file
    body: str = ""           # the author's text about the talk (Markdown)
    links: tuple[Link, ...] = ()
    note: NoteMeta | None = None
    has_notes: bool = True
    official_title: str = ""

    @property
    def is_talk(self) -> bool:
        """False for a note's own text (intro, travel, thanks), which is searchable but is
        not a talk."""
        return self.kind != "note_text"

    @property
    def url(self) -> str:
        """Deep link to the talk's section of the notes page (or its recording). The anchor is
        only added when the note's URL is the post itself: a site's home page (no path) has
        no such section."""
        if self.note is None:
            return self.link("video")
        base = self.note.url
        path = re.sub(r"^https?://[^/]+", "", base.split("#")[0])
        if self.anchor and "#" not in base and path.strip("/"):
            return f"{base}#{self.anchor}"
        return base

    def link(self, kind: str) -> str:
        for item in self.links:
            if item.kind == kind:
                return item.url
        return ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "title": self.title, "speakers": list(self.speakers),
            "companies": list(self.companies), "kind": self.kind,
            "conference": self.conference, "event": self.event, "year": self.year,
            "url": self.url, "day": self.day, "track": self.track,
            "has_notes": self.has_notes,
            "note": None if self.note is None else {
                "title": self.note.title, "author": self.note.author,
                "url": self.note.url, "language": self.note.language},
            "links": [item.to_dict() for item in self.links],
        }
        if self.label:
            out["label"] = self.label
        if self.official_title:
            out["official_title"] = self.official_title
        return out


@dataclass(frozen=True)
class Problem:
    """Something wrong with a corpus file, with where it is and what to do."""

    path: str
    line: int
    message: str
    severity: str = "error"   # or "warning"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "message": self.message,
                "severity": self.severity}


@dataclass(frozen=True)
class Note:
    """A notes file: its talks, its own text (intro, travel, thanks: Talk records of kind
    note_text, searchable, never cited as talks) and where its lines went."""

    meta: NoteMeta
    talks: tuple[Talk, ...]
    warnings: tuple[Problem, ...] = ()
    texts: tuple[Talk, ...] = ()
    lines: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk:
    """A passage of one talk, prefixed by a header naming the talk."""

    id: int
    talk_id: str
    header: str
    text: str

    @property
    def full_text(self) -> str:
        return f"{self.header}\n{self.text}" if self.text else self.header


@dataclass(frozen=True)
class Filters:
    """Restrictions parsed out of a question (`year:2019 event:... speaker:"..." company:...`)."""

    event: str = ""
    year: int | None = None
    speaker: str = ""
    company: str = ""

    def is_empty(self) -> bool:
        return not (self.event or self.year or self.speaker or self.company)

    def describe(self) -> str:
        parts = []
        if self.event:
            parts.append(f"event:{self.event}")
        if self.year:
            parts.append(f"year:{self.year}")
        if self.speaker:
            parts.append(f'speaker:"{self.speaker}"')
        if self.company:
            parts.append(f"company:{self.company}")
        return " ".join(parts)


@dataclass(frozen=True)
class Understood:
    """Filters read from a question's own words ("in 2021", "at KubeCon Barcelona", "from
    Google"): hard ones restrict the talks like explicit filters (`events` is any of those
    events), `boost` names only favour matching talks. `labels` say it to the user."""

    events: tuple[str, ...] = ()
    year: int | None = None
    company: str = ""
    speaker: str = ""
    boost: Filters = field(default_factory=Filters)
    labels: tuple[str, ...] = ()
    overview: bool = False      # the question asks about the event, year or company as a whole

    def is_empty(self) -> bool:
        return not (self.events or self.year or self.company or self.speaker)

    def to_dict(self) -> dict[str, Any]:
        return {"events": list(self.events), "year": self.year, "company": self.company,
                "speaker": self.speaker, "labels": list(self.labels),
                "boost": {"company": self.boost.company, "speaker": self.boost.speaker,
                          "year": self.boost.year},
                "overview": self.overview}


@dataclass(frozen=True)
class OverviewGroup:
    name: str                       # a track or theme ("" when the talks have none)
    titles: tuple[str, ...]
    total: int = 0                  # its talks, when more than the titles kept (0: as many)

    @property
    def size(self) -> int:
        return max(self.total, len(self.titles))


@dataclass(frozen=True)
class Overview:
    """An event, a year or a company as a whole: how many talks the notes cover, the talks by
    track or theme, the notes' authors."""

    talks_with_notes: int
    catalog_talks: int
    groups: tuple[OverviewGroup, ...]
    authors: tuple[str, ...]
    events: tuple[str, ...]         # conferences covered, e.g. "KubeCon + CloudNativeCon Europe 2019"

    def to_dict(self) -> dict[str, Any]:
        return {"talks_with_notes": self.talks_with_notes, "catalog_talks": self.catalog_talks,
                "groups": [{"name": g.name, "titles": list(g.titles),
                            **({"total": g.total} if g.total > len(g.titles) else {})}
                           for g in self.groups],
                "authors": list(self.authors), "events": list(self.events)}


@dataclass(frozen=True)
class Passage:
    text: str
    highlight: str   # the sentence of text that best answers the question ("" if none)


@dataclass(frozen=True)
class Result:
    rank: int
    score: float
    talk: Talk
    passages: tuple[Passage, ...]

    def to_dict(self) -> dict[str, Any]:
        talk = self.talk.to_dict()
        return {"rank": self.rank, "score": round(self.score, 4), "talk": talk,
                "passages": [{"text": p.text, "highlight": p.highlight} for p in self.passages]}


@dataclass(frozen=True)
class IndexInfo:
    built_at: str
    notes: int
    talks: int
    chunks: int
    model: str


@dataclass(frozen=True)
class Answer:
    """What the retriever returns for one question; the bot only renders this."""

    query: str                       # the question as asked
    text: str                        # the question without its filters
    filters: Filters
    results: tuple[Result, ...]
    info: IndexInfo
    offset: int = 0                  # how many results came before these ("More results")
    total: int = 0                   # how many relevant talks exist in all
    has_more: bool = False
    understood: Understood = field(default_factory=Understood)   # implicit filters
    overview: Overview | None = None  # for a question about an event, year or company as a whole

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"query": self.query,
                               "results": [r.to_dict() for r in self.results],
                               "understood": self.understood.to_dict()}
        if self.overview is not None:
            out["overview"] = self.overview.to_dict()
        return out


@dataclass(frozen=True)
class Feedback:
    """A helpful / not helpful vote on an answer."""

    user_hash: str
    question: str
    talk_ids: tuple[str, ...]
    helpful: bool
    extra: dict[str, Any] = field(default_factory=dict)
