"""Filters written inside a question: `year:2019 event:kubecon-eu-2019 speaker:"Kelsey Hightower"`."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import QueryError
from ..models import Filters, Talk
from ..text import fold

FILTER_RE = re.compile(
    r"(?<!\S)(event|year|speaker|company):(?:\"([^\"]*)\"?|'([^']*)'?|(\S*))", re.I)
MAX_QUERY_CHARS = 2000


def parse_query(query: str) -> tuple[str, Filters]:
    """Split a question into its free text and its filters; QueryError for unusable input."""
    if query is None or not query.strip():
        raise QueryError("The question is empty. Ask something like "
                         "`what did Netflix say about Spinnaker`.")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"The question is too long ({len(query):,} characters); keep it under "
                         f"{MAX_QUERY_CHARS:,} characters, a sentence or two is best.")
    values: dict[str, str] = {}
    for m in FILTER_RE.finditer(query):
        key = m.group(1).lower()
        value = next((g for g in m.groups()[1:] if g is not None), "").strip()
        if not value:
            raise QueryError(f"The filter `{key}:` has no value; write it like "
                             + {"event": "`event:kubecon-eu-2019`", "year": "`year:2019`",
                                "speaker": '`speaker:"Kelsey Hightower"`',
                                "company": "`company:netflix`"}[key] + ".")
        values[key] = value
    text = re.sub(r"\s+", " ", FILTER_RE.sub(" ", query)).strip()
    year = None
    if "year" in values:
        if not re.fullmatch(r"\d{4}", values["year"]):
            raise QueryError(f"`year:{values['year']}` is not a year; write it like `year:2019`.")
        year = int(values["year"])
    filters = Filters(event=values.get("event", ""), year=year,
                      speaker=values.get("speaker", ""), company=values.get("company", ""))
    if text and not re.search(r"\w", text):
        if filters.is_empty():
            raise QueryError("The question has no words in it. Ask something like "
                             "`what did Netflix say about Spinnaker`.")
        text = ""
    return text, filters


def _contains(hay: str, needle: str) -> bool:
    hay, needle = fold(hay), fold(needle)
    if needle in hay:
        return True
    words = needle.split()
    return bool(words) and all(w in hay for w in words)


def talk_matches(talk: Talk, filters: Filters) -> bool:
    if filters.year and talk.year != filters.year:
        return False
    if filters.event:
        places = [talk.event, talk.conference]
        if talk.note is not None:
            places.append(talk.note.city)
        if not any(_contains(p, filters.event) for p in places if p):
            return False
    if filters.speaker and not any(_contains(s, filters.speaker) for s in talk.speakers):
        return False
    if filters.company and not any(_contains(c, filters.company) for c in talk.companies):
        return False
    return True


# Fields of a talk that each kind of filter reads (see talk_matches).
FILTER_FIELDS: dict[str, Callable[[Talk], Any]] = {
    "year": lambda t: t.year,
    "event": lambda t: (t.event, t.conference, t.note.city if t.note is not None else ""),
    "speaker": lambda t: t.speakers,
    "company": lambda t: t.companies,
}


class FilterMask:
    """talk_matches for every talk as a boolean mask, evaluated once per distinct value of the
    fields each filter reads (a few hundred events, not a million talks) and combined with AND."""

    def __init__(self, talks: Sequence[Talk]) -> None:
        self.talks = talks
        self._groups: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _distinct(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """(one talk per distinct field value, each talk's value number), computed once."""
        if kind not in self._groups:
            field = FILTER_FIELDS[kind]
            first: dict[Any, int] = {}
            n = len(self.talks)
            inverse = np.fromiter((first.setdefault(field(t), len(first)) for t in self.talks),
                                  dtype=np.int64, count=n)
            reps = np.zeros(len(first), dtype=np.int64)
            reps[inverse[::-1]] = np.arange(n)[::-1]
            self._groups[kind] = (reps, inverse)
        return self._groups[kind]

    def __call__(self, filters: Filters) -> np.ndarray:
        mask = np.ones(len(self.talks), dtype=bool)
        for kind in FILTER_FIELDS:
            value = getattr(filters, kind)
            if not value:
                continue
            reps, inverse = self._distinct(kind)
            only = Filters(**{kind: value})
            matches = np.fromiter((talk_matches(self.talks[r], only) for r in reps.tolist()),
                                  dtype=bool, count=len(reps))
            mask &= matches[inverse]
        return mask
