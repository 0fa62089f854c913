"""The official talk catalog (corpus/catalog/): its entries and loading them.

`load_catalog(dir)` reads every `*.jsonl` and `*.csv` file of the folder (format in
corpus/catalog/README.md); `attach.py` joins the entries with the notes' talks.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import KubeconBotError
from ..models import Link

FIELDS = ("title", "speakers", "companies", "event", "year", "kind", "video", "slides",
          "schedule", "conference", "city", "level", "title_zh", "video_cn", "source",
          "abstract", "time", "room", "same_as")
MERGED = ("abstract", "time", "room", "video", "slides", "schedule", "level")
REQUIRED = ("title", "event", "year")
LINK_FIELDS = ("video", "slides", "schedule")
KINDS = {"talk": "talk", "session": "talk", "keynote": "keynote", "lightning_talk": "lightning_talk",
         "lightning talk": "lightning_talk", "tutorial": "tutorial", "workshop": "workshop",
         "panel": "panel", "bof": "talk", "awards": "awards", "opening_remarks": "opening_remarks"}


class CatalogError(KubeconBotError):
    """A catalog file cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class CatalogEntry:
    """One talk as an official conference list gives it."""

    title: str
    speakers: tuple[str, ...]
    companies: tuple[str, ...]
    event: str
    year: int
    kind: str = "talk"
    video: str = ""
    slides: str = ""
    schedule: str = ""
    conference: str = ""
    city: str = ""
    source: str = ""
    level: str = ""
    title_zh: str = ""
    video_cn: str = ""
    abstract: str = ""       # the official description (from a schedule export)
    time: str = ""           # start, ISO 8601
    room: str = ""
    same_as: str = ""        # the `source` of the entry this row adds to (see schedule.py)

    def links(self) -> tuple[Link, ...]:
        return tuple(Link(kind, getattr(self, kind)) for kind in LINK_FIELDS if getattr(self, kind))


def load_catalog(directory: Path) -> list[CatalogEntry]:
    """Every entry of every `*.jsonl` / `*.csv` file in directory, files in name order."""
    if not directory.is_dir():
        raise CatalogError(f"catalog folder {directory} does not exist")
    entries: list[CatalogEntry] = []
    for path in sorted(directory.iterdir()):
        suffix = path.suffix.lower()
        if suffix == ".jsonl":
            entries.extend(_read_jsonl(path))
        elif suffix == ".csv":
            entries.extend(_read_csv(path))
    return _merge_same(entries)


def _merge_same(entries: list[CatalogEntry]) -> list[CatalogEntry]:
    """Rows marked `same_as` another entry's source enrich that entry (its empty fields, and
    speakers and companies when it names none) instead of being entries of their own; a row
    whose entry is gone stands alone."""
    by_source = {e.source: i for i, e in enumerate(entries) if not e.same_as}
    out = list(entries)
    dropped: set[int] = set()
    for i, row in enumerate(entries):
        target = by_source.get(row.same_as) if row.same_as else None
        if target is None:
            continue
        have = out[target]
        extra = {k: getattr(row, k) for k in MERGED if getattr(row, k) and not getattr(have, k)}
        if not have.speakers and row.speakers:
            extra.update(speakers=row.speakers, companies=row.companies)
        out[target] = replace(have, **extra)
        dropped.add(i)
    return [e for i, e in enumerate(out) if i not in dropped]


def _read_jsonl(path: Path) -> list[CatalogEntry]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CatalogError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise CatalogError(f"{path}:{n}: expected a JSON object, got {type(row).__name__}")
            out.append(_entry(row, path, n))
    return out


def _read_csv(path: Path) -> list[CatalogEntry]:
    out = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [f for f in REQUIRED if f not in (reader.fieldnames or [])]
        if missing:
            raise CatalogError(f"{path}:1: header lacks column(s) {', '.join(missing)}; "
                               f"columns are {', '.join(FIELDS)}")
        for row in reader:
            if None in row:
                raise CatalogError(f"{path}:{reader.line_num}: more cells than header columns")
            if any((v or "").strip() for v in row.values()):
                out.append(_entry(row, path, reader.line_num))
    return out


def _names(value: Any, path: Path, line: int, key: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(p.strip() for p in value.split(";") if p.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    raise CatalogError(f"{path}:{line}: {key} must be a list of names or a ';'-separated string")


def _entry(row: dict[str, Any], path: Path, line: int) -> CatalogEntry:
    unknown = sorted(k for k in row if k not in FIELDS)
    if unknown:
        raise CatalogError(f"{path}:{line}: unknown field(s) {', '.join(unknown)}; "
                           f"fields are {', '.join(FIELDS)}")
    for key in REQUIRED:
        if row.get(key) in (None, ""):
            raise CatalogError(f"{path}:{line}: missing {key}")
    try:
        year = int(row["year"])
    except (TypeError, ValueError):
        raise CatalogError(f"{path}:{line}: year must be a number, got {row['year']!r}") from None
    text: dict[str, str] = {}
    for key in FIELDS:
        if key in ("speakers", "companies", "year"):
            continue
        value = row.get(key)
        if value is not None and not isinstance(value, str):
            raise CatalogError(f"{path}:{line}: {key} must be text, got {value!r}")
        text[key] = (value or "").strip()
    kind = text["kind"].lower() or "talk"
    if kind not in KINDS:
        raise CatalogError(f"{path}:{line}: unknown kind {text['kind']!r}; "
                           f"use one of {', '.join(sorted(KINDS))}")
    for key in LINK_FIELDS + ("video_cn",):
        if text[key] and not text[key].startswith(("http://", "https://")):
            raise CatalogError(f"{path}:{line}: {key} must be an http(s) URL, got {text[key]!r}")
    return CatalogEntry(
        title=text["title"], speakers=_names(row.get("speakers"), path, line, "speakers"),
        companies=_names(row.get("companies"), path, line, "companies"), event=text["event"],
        year=year, kind=KINDS[kind], video=text["video"], slides=text["slides"],
        schedule=text["schedule"], conference=text["conference"], city=text["city"],
        source=text["source"] or f"{path.name}:{line}", level=text["level"],
        title_zh=text["title_zh"], video_cn=text["video_cn"], abstract=text["abstract"],
        time=text["time"], room=text["room"], same_as=text["same_as"])
