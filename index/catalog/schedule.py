"""Adding an official schedule to the catalog: each session that is already a catalog entry
(same event, same talk: its title scores over the match threshold against the entry's, and
the speakers, where both name them, agree) is marked `same_as` that entry, so loading the
catalog enriches the entry (abstract, time, room, schedule link) instead of adding a twin."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

from .entries import FIELDS, CatalogEntry
from .titles import THRESHOLD, Weights, clean_title, content, same_person, title_score, words


def _speakers_agree(a: CatalogEntry, b: CatalogEntry) -> bool:
    if not a.speakers or not b.speakers:
        return True
    return any(same_person(x, y) for x in a.speakers for y in b.speakers)


def same_talk(session: CatalogEntry, entries: list[CatalogEntry], weight: Weights
              ) -> CatalogEntry | None:
    """The existing entry of the same event that is this session, if one clearly is."""
    best, found = 0.0, None
    for entry in entries:
        if entry.event != session.event or entry.year != session.year or entry.same_as:
            continue
        score = title_score(session.title, entry.title, weight)
        if score > best and _speakers_agree(session, entry):
            best, found = score, entry
    return found if best >= THRESHOLD else None


def link_sessions(sessions: list[CatalogEntry], existing: list[CatalogEntry]
                  ) -> list[CatalogEntry]:
    """The sessions, those already in the catalog marked `same_as` the entry's source."""
    titles = [e.title for e in existing] + [s.title for s in sessions]
    weight = Weights([content(words(clean_title(t))) for t in titles])
    return [replace(s, same_as=found.source) if (found := same_talk(s, existing, weight)) else s
            for s in sessions]


def to_jsonl(entries: list[CatalogEntry]) -> str:
    rows = []
    for entry in entries:
        values = asdict(entry)
        rows.append(json.dumps({k: (list(values[k]) if isinstance(values[k], tuple) else values[k])
                                for k in FIELDS if values[k] not in ("", ())}, ensure_ascii=False))
    return "\n".join(rows) + "\n"


def write_schedule(path: Path, entries: list[CatalogEntry]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(to_jsonl(entries), encoding="utf-8")
    tmp.replace(path)
