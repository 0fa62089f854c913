"""An overview of an event, a year or a company as a whole: how many talks the notes cover,
the talks grouped by track or theme, the notes' authors (pure; the retriever picks the talks)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..models import Overview, OverviewGroup, Talk

MAX_GROUPS = 8          # more tracks than this: the smallest go under "Other talks"
OTHER = "Other talks"
MAX_TITLES = 1000       # titles kept per group from columns (its count stays exact)


def talk_theme(talk: Talk) -> str:
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
        groups.setdefault(talk_theme(t), []).append(t.title.strip() or t.official_title.strip())
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


# What an overview reads of each talk, kept as numbered columns (columns.py).
OVERVIEW_FIELDS: dict[str, Callable[[Talk], str]] = {
    "theme": talk_theme,
    "author": lambda t: t.note.author.strip() if t.note is not None else "",
    "conference": lambda t: t.conference.strip() or t.event,
}


def _first_seen(codes: np.ndarray, names: Sequence[str]) -> tuple[str, ...]:
    """The distinct names of the codes, in order of first appearance, blanks left out."""
    uniq, first = np.unique(codes, return_index=True)
    return tuple(n for n in (names[int(c)] for c in uniq[np.argsort(first)]) if n)


def overview_of_rows(ids: np.ndarray, cited: np.ndarray, catalog: np.ndarray,
                     fields: Mapping[str, tuple[Sequence[Any], np.ndarray]],
                     title: Callable[[int], str]) -> Overview:
    """`build_overview` of the talk rows `ids` (in order) from columns: `cited` and `catalog`
    say which talks have notes and which only a catalog entry; `fields` are OVERVIEW_FIELDS's
    distinct values and each talk's value number; only the titles listed are read
    (`title(row)`), at most MAX_TITLES a group, so that an overview of a year at a million
    talks costs what it lists."""
    ids = np.asarray(ids, dtype=np.int64)
    with_notes, only_catalog = ids[cited[ids]], ids[catalog[ids]]
    shown = with_notes if len(with_notes) else only_catalog
    names, codes = fields["theme"]
    theme = codes[shown]
    uniq, first, counts = np.unique(theme, return_index=True, return_counts=True)
    groups = [(str(names[int(uniq[i])]), shown[theme == uniq[i]])
              for i in np.lexsort((first, -counts))]
    if len(groups) > MAX_GROUPS:
        rest = np.concatenate([members for _, members in groups[MAX_GROUPS - 1:]])
        groups = groups[:MAX_GROUPS - 1] + [(OTHER, rest)]
    return Overview(
        talks_with_notes=len(with_notes), catalog_talks=len(only_catalog),
        groups=tuple(OverviewGroup(name, tuple(title(int(t)) for t in members[:MAX_TITLES]),
                                   len(members) if len(members) > MAX_TITLES else 0)
                     for name, members in groups),
        authors=_first_seen(fields["author"][1][with_notes], fields["author"][0]),
        events=_first_seen(fields["conference"][1][shown], fields["conference"][0]))
