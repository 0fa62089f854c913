"""An overview of an event, a year or a company as a whole: how many talks the notes cover,
the talks grouped by track or theme, the notes' authors (pure; the retriever picks the talks)."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import Overview, OverviewGroup, Talk

MAX_GROUPS = 8          # more tracks than this: the smallest go under "Other talks"
OTHER = "Other talks"


def _theme(talk: Talk) -> str:
    """A talk's track, else its kind (keynotes together), else its conference."""
    if talk.track.strip():
        return talk.track.strip()
    if talk.kind.strip().lower() not in ("", "talk", "session"):
        return talk.kind.replace("_", " ").capitalize() + "s"
    return talk.conference.strip() or talk.event


def build_overview(talks: Sequence[Talk]) -> Overview:
    """The overview of `talks` (those matching the question's filters, notes first)."""
    with_notes = [t for t in talks if t.has_notes and t.is_talk]
    catalog = [t for t in talks if not t.has_notes and t.is_talk]
    groups: dict[str, list[str]] = {}
    for t in with_notes or catalog:
        groups.setdefault(_theme(t), []).append(t.title.strip() or t.official_title.strip())
    ordered = sorted(groups.items(), key=lambda kv: -len(kv[1]))
    if len(ordered) > MAX_GROUPS:
        rest = [title for _, titles in ordered[MAX_GROUPS - 1:] for title in titles]
        ordered = ordered[:MAX_GROUPS - 1] + [(OTHER, rest)]
    authors: dict[str, None] = {}
    events: dict[str, None] = {}
    for t in with_notes:
        if t.note is not None and t.note.author.strip():
            authors.setdefault(t.note.author.strip(), None)
    for t in with_notes or catalog:
        events.setdefault(t.conference.strip() or t.event, None)
    return Overview(talks_with_notes=len(with_notes), catalog_talks=len(catalog),
                    groups=tuple(OverviewGroup(name, tuple(titles)) for name, titles in ordered),
                    authors=tuple(authors), events=tuple(events))
