"""Reading a notes file's bytes and YAML front matter, with errors that name file and line."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..models import NoteMeta, Problem

FIELDS = ("title", "author", "url", "conference", "event", "city", "year", "date", "language")
REQUIRED = ("title", "author", "url", "conference", "event", "year", "language")
EVENT_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DATE_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
LANG_RE = re.compile(r"^[a-z]{2}$")
YEAR_IN_TEXT = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
MAX_FRONT_MATTER = 16_384        # characters: real front matter is a few hundred
SHOWN = 40                       # characters of an untrusted value shown in an error


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors' aliases (`*name`): a few lines of aliases can expand into
    gigabytes (the "billion laughs"), and front matter never needs them."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed", event.start_mark)
        return super().compose_node(parent, index)


def load_yaml(text: str) -> Any:
    """Parse front matter YAML, bounded: no aliases (YAMLError otherwise)."""
    return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (a SafeLoader subclass)


def shown(value: Any) -> str:
    """An untrusted value for an error message: its repr, cut to a short prefix, and its type
    when it is not text (never the whole of a huge value)."""
    if not isinstance(value, (str, int, float, dt.date)):
        return f"a YAML {type(value).__name__}"
    text = repr(value)
    return text if len(text) <= SHOWN else f"{text[:SHOWN]}… ({len(text)} characters)"


@dataclass(frozen=True)
class Document:
    """A notes file split into front matter and body; body_line is the body's first line number."""

    meta: NoteMeta
    body: str                       # the Markdown after the front matter
    body_line: int
    problems: tuple[Problem, ...]   # front matter problems (errors and warnings)


def decode(path: str, data: bytes) -> tuple[str | None, list[Problem]]:
    """UTF-8 text of a file, or a problem naming the line of the first bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [Problem(path, line, (
            f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} cannot be decoded; "
            "save the file as UTF-8"))]
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return None, [Problem(path, 1, (
            "empty file: add YAML front matter (title, author, url, conference, event, year, "
            "language) and one heading per talk, or delete the file"))]
    return text, []


def _key_lines(lines: list[str], first_line: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, line in enumerate(lines):
        m = re.match(r"^([A-Za-z_][\w-]*)\s*:", line)
        if m and m.group(1) not in out:
            out[m.group(1)] = first_line + i
    return out


def _as_text(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value)


class _Invalid:
    """A front-matter value that cannot be used, and why."""

    def __init__(self, message: str) -> None:
        self.message = message


def _field_value(key: str, value: Any) -> Any:
    """The clean value of one known, non-empty field, or _Invalid saying what is wrong."""
    if key == "year":
        if isinstance(value, bool) or not isinstance(value, int) and not (
                isinstance(value, str) and value.strip().isdigit()):
            return _Invalid(f"field 'year' must be a whole number like 2019, got {shown(value)}")
        year = int(value)
        if not 1990 <= year <= 2100:
            return _Invalid(f"field 'year' must be a year between 1990 and 2100, got {year}")
        return year
    if key == "date":
        text = _as_text(value)
        if not DATE_RE.match(text):
            return _Invalid(f"field 'date' must look like 2019-05-21 (or 2019-05), got {shown(value)}")
        return text
    if isinstance(value, (dict, list)):
        return _Invalid(f"field '{key}' must be a single line of text, got a YAML "
                        f"{'list' if isinstance(value, list) else 'mapping'}")
    return _as_text(value).strip()


def validate_meta(path: str, raw: Any, lines: list[str], first_line: int,
                  inherited: frozenset[str] = frozenset()) -> tuple[dict[str, Any], list[Problem]]:
    """Check front matter fields and types; returns clean values and problems. Keys other than
    ours (a blog's `tags`, `layout`, `draft`) are left alone; `inherited` keys come from the
    folder's notes.yaml and need not be repeated."""
    if not isinstance(raw, dict):
        return {}, [Problem(path, first_line, (
            "front matter must be a YAML mapping of 'key: value' lines "
            f"({', '.join(FIELDS)})"))]
    where = _key_lines(lines, first_line)
    problems: list[Problem] = []
    clean: dict[str, Any] = {}
    for key, value in raw.items():
        line = where.get(str(key), first_line)
        if key not in FIELDS:
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        checked = _field_value(key, value)
        if isinstance(checked, _Invalid):
            problems.append(Problem(path, line, checked.message))
        else:
            clean[key] = checked
    if "event" in clean and not EVENT_RE.match(clean["event"]):
        problems.append(Problem(path, where.get("event", first_line), (
            f"field 'event' must be a short id of lowercase letters, digits and '-', "
            f"like kubecon-eu-2019, got {shown(clean['event'])}")))
    if "language" in clean and not LANG_RE.match(clean["language"]):
        problems.append(Problem(path, where.get("language", first_line), (
            f"field 'language' must be a two-letter ISO 639-1 code like en, da or fr, "
            f"got {shown(clean['language'])}")))
    if "url" in clean and not re.match(r"^https?://", clean["url"]):
        problems.append(Problem(path, where.get("url", first_line), (
            f"field 'url' must start with http:// or https://, got {shown(clean['url'])}")))
    missing = [k for k in REQUIRED if k not in clean and k not in inherited and k not in
               {p.message.split("'")[1] for p in problems if p.message.startswith("field '")}]
    if missing:
        problems.append(Problem(path, first_line, (
            f"front matter is missing {', '.join(missing)}; add "
            + ", ".join(f"'{k}: ...'" for k in missing))))
    return clean, problems


def derive_meta(path: Path, body: str) -> dict[str, Any]:
    """Defaults for a note without front matter: from its first heading and its file name."""
    title = path.stem
    for line in body.splitlines():
        m = re.match(r"^#\s+(.+?)\s*#*\s*$", line)
        if m:
            title = m.group(1)
            break
    years = YEAR_IN_TEXT.findall(f"{path.stem} {title}")
    year = int(years[0]) if years else 0
    event = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "notes"
    return {"title": title, "author": "unknown", "url": "", "conference": title,
            "event": event, "city": "", "year": year, "date": "", "language": "en"}


def read_document(path: Path, display: str | None = None,
                  defaults: dict[str, Any] | None = None) -> Document:
    """Read a notes file: front matter checked, body returned with its first line number.
    `defaults`: the checked front matter of the folder's notes.yaml, which the file's own
    front matter overrides key by key."""
    name = display or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Document(_empty_meta(name), "", 1, (Problem(name, 1, f"cannot read file: {exc}"),))
    text, problems = decode(name, data)
    if text is None:
        return Document(_empty_meta(name), "", 1, tuple(problems))
    lines = text.split("\n")
    if lines[0].strip() != "---" and defaults:
        return Document(_meta(name, {**derive_meta(path, text), **defaults}), text, 1, ())
    if lines[0].strip() != "---":
        values = derive_meta(path, text)
        warn = Problem(name, 1, (
            "no front matter: indexed with defaults derived from the file name and first "
            "heading; add a '---' block with title, author, url, conference, event, year, "
            "language"), severity="warning")
        return Document(_meta(name, values), text, 1, (warn,))
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return Document(_empty_meta(name), "", 1, (Problem(name, 1, (
            "front matter starts with '---' but has no closing '---' line; add one after "
            "the last field")),))
    fm_lines = lines[1:end]
    if sum(len(line) + 1 for line in fm_lines) > MAX_FRONT_MATTER:
        return Document(_empty_meta(name), "", 1, (Problem(name, 1, (
            f"front matter is longer than {MAX_FRONT_MATTER:,} characters; keep it to the "
            "'key: value' lines of title, author, url, conference, event, year, language")),))
    try:
        raw = load_yaml("\n".join(fm_lines))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + (mark.line if mark is not None else 0)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return Document(_empty_meta(name), "", 1, (Problem(name, line, (
            f"front matter is not valid YAML ({reason}); write one 'key: value' per line "
            "and quote values that contain ': '")),))
    values, problems = validate_meta(name, raw if raw is not None else {}, fm_lines, 2,
                                     frozenset(defaults or ()))
    merged = {**derive_meta(path, "\n".join(lines[end + 1:])), **(defaults or {}), **values}
    return Document(_meta(name, merged), "\n".join(lines[end + 1:]), end + 2, tuple(problems))


def _meta(path: str, v: dict[str, Any]) -> NoteMeta:
    return NoteMeta(path=path, title=v.get("title", ""), author=v.get("author", ""),
                    url=v.get("url", ""), conference=v.get("conference", ""),
                    event=v.get("event", ""), city=v.get("city", ""), year=int(v.get("year") or 0),
                    date=v.get("date", ""), language=v.get("language", "en"))


def _empty_meta(path: str) -> NoteMeta:
    return _meta(path, {})
