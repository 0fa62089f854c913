"""The groups of an index, each searched and scored on its own: talks with notes, the notes'
own text (intros, travel, thanks: searchable, never cited as a talk) and talks known only from
the official catalog. Their chunks are stored in that order."""

from __future__ import annotations

from ..models import Talk

NOTES, TEXTS, CATALOG = "notes", "texts", "catalog"
ORDER = (NOTES, TEXTS, CATALOG)        # the order their chunks are stored in


def talk_group(talk: Talk) -> str:
    if not talk.has_notes:
        return CATALOG
    return NOTES if talk.is_talk else TEXTS
