"""Joining the official catalog with the notes' talks.

`attach_catalog(talks, entries)` returns the notes' talks enriched with their official title,
recording and other links, followed by one talk without notes per catalog entry that no note
covers, and the `MatchReport` that says which went where.
"""

from __future__ import annotations

from dataclasses import replace

from ..models import Link, Talk
from ..text import talk_id
from .entries import CatalogEntry
from .matching import match_talks
from .report import MatchReport
from .titles import THRESHOLD, video_id


def _same_link(a: str, b: str) -> bool:
    va, vb = video_id(a), video_id(b)
    if va or vb:
        return va == vb
    return a.rstrip("/").lower().replace("http://", "https://") == \
        b.rstrip("/").lower().replace("http://", "https://")


def merge_links(own: tuple[Link, ...], extra: tuple[Link, ...]) -> tuple[Link, ...]:
    """The talk's own links, then the catalog's that are not already there."""
    out = list(own)
    for link in extra:
        if not any(_same_link(link.url, have.url) for have in out):
            out.append(link)
    return tuple(out)


def enrich(talk: Talk, entry: CatalogEntry) -> Talk:
    """A notes talk with what its catalog entry adds; the note's own facts win."""
    return replace(
        talk, official_title=entry.title,
        speakers=talk.speakers or entry.speakers,
        companies=talk.companies or entry.companies,
        level=talk.level or entry.level,
        links=merge_links(talk.links, entry.links()))


def catalog_talk(entry: CatalogEntry, talk_id: str) -> Talk:
    """A talk no notes cover, as the catalog lists it; its text is the official abstract,
    when a schedule gave one."""
    return Talk(
        id=talk_id, title=entry.title, speakers=entry.speakers, companies=entry.companies,
        kind=entry.kind, event=entry.event, conference=entry.conference, year=entry.year,
        level=entry.level, body=entry.abstract, links=entry.links(), note=None, has_notes=False,
        official_title=entry.title)


def attach_catalog(talks: list[Talk], entries: list[CatalogEntry],
                   include_catalog_only: bool = True, threshold: float = THRESHOLD
                   ) -> tuple[list[Talk], MatchReport]:
    """Notes talks enriched from their catalog entries, then one talk per entry no note covers."""
    report = match_talks(talks, entries, threshold=threshold)
    chosen = {m.talk_id: m.entry for m in report.matched}
    out = [enrich(t, chosen[t.id]) if t.id in chosen else t for t in talks]
    if include_catalog_only:
        covered = {id(entry) for entry in chosen.values()}
        seen = {t.id for t in talks}
        for entry in entries:
            if id(entry) in covered:
                continue
            out.append(catalog_talk(entry, talk_id(entry.event, entry.title, seen)))
    return out, report
