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


def value_matches(kind: str, value: Any, wanted: Any) -> bool:
    """Whether a talk's field value (FILTER_FIELDS[kind]) passes one filter."""
    if kind == "year":
        return value == wanted
    return any(_contains(p, wanted) for p in value if p)


def talk_matches(talk: Talk, filters: Filters) -> bool:
    return all(value_matches(kind, get(talk), getattr(filters, kind))
               for kind, get in FILTER_FIELDS.items() if getattr(filters, kind))


# Fields of a talk that each kind of filter reads (see value_matches).
FILTER_FIELDS: dict[str, Callable[[Talk], Any]] = {
    "year": lambda t: t.year,
    "event": lambda t: (t.event, t.conference, t.note.city if t.note is not None else ""),
    "speaker": lambda t: t.speakers,
    "company": lambda t: t.companies,
}


def numbered(values: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
    """(distinct values in first-seen order, each value's number)."""
    first: dict[Any, int] = {}
    inverse = np.fromiter((first.setdefault(v, len(first)) for v in values), dtype=np.int32,
                          count=len(values))
    return list(first), inverse


class FilterMask:
    """talk_matches for every talk as a boolean mask, evaluated once per distinct value of the
    fields each filter reads (a few hundred events, not a million talks), combined with AND;
    each filter value's mask is remembered (questions repeat the same years and events)."""

    CACHE = 256

    def __init__(self, facets: dict[str, tuple[Sequence[Any], np.ndarray]], n: int) -> None:
        """`facets`: per filter kind, the distinct field values and each talk's value number
        (`columns.Columns.facets`); `n` talks."""
        self.facets = facets
        self.n = n
        self._masks: dict[tuple[str, Any], np.ndarray] = {}

    @classmethod
    def of_talks(cls, talks: Sequence[Talk]) -> FilterMask:
        return cls({kind: numbered([get(t) for t in talks])
                    for kind, get in FILTER_FIELDS.items()}, len(talks))

    def _mask(self, kind: str, wanted: Any) -> np.ndarray:
        key = (kind, wanted)
        if key not in self._masks:
            values, inverse = self.facets[kind]
            matches = np.fromiter((value_matches(kind, v, wanted) for v in values),
                                  dtype=bool, count=len(values))
            if len(self._masks) >= self.CACHE:
                self._masks.pop(next(iter(self._masks)))
            self._masks[key] = matches[inverse]
        return self._masks[key]

    def __call__(self, filters: Filters) -> np.ndarray:
        mask = np.ones(self.n, dtype=bool)
        for kind in FILTER_FIELDS:
            value = getattr(filters, kind)
            if value:
                mask &= self._mask(kind, value)
        return mask
