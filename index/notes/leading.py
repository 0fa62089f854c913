"""The lines right under a talk's heading that describe it rather than tell it: `Speakers:`,
`Company:`, `Video:`, `Slides:`, `Schedule:` lines (also `**Speakers**` over a list of names),
and an emphasised or plain byline holding the real title (`_Keynote: Title – Speaker, Co_`)."""

from __future__ import annotations

import re

from .bylines import Byline, parse_byline, split_people
from .evidence import META_RE, plain_byline_line
from .markdown import strip_markup

EMPHASIS_LINE_RE = re.compile(r"^\s*\[?\s*([*_]{1,2})(.+?)\1\s*\]?(?:\([^)]*\))?\s*$")
META_KIND = {"speaker": "speakers", "speakers": "speakers", "speaker(s)": "speakers",
             "presenter": "speakers", "presenters": "speakers", "talers": "speakers",
             "taler": "speakers", "intervenant": "speakers", "intervenants": "speakers",
             "orateur": "speakers", "orateurs": "speakers", "company": "companies",
             "companies": "companies", "video": "video", "recording": "video",
             "slides": "slides", "schedule": "schedule", "kind": "kind"}
LIST_ITEM_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
LINK_ROW_RE = re.compile(r"^\s*\|")
LINK_RE = re.compile(r"\[[^\]]*\]\([^)]*\)")


def leading_meta(section: list[str]) -> tuple[dict[str, str], Byline | None, str, list[int]]:
    """Metadata lines and a byline at the top of a talk section: (metadata, byline, the
    byline's raw line, indexes of the lines they used). A `**Speakers**` line without a value
    is kept with an empty value: the list under it names the speakers (see people_list)."""
    meta: dict[str, str] = {}
    byline: Byline | None = None
    raw = ""
    used: list[int] = []
    seen_text = 0
    for i, line in enumerate(section):
        if not line.strip():
            continue
        if not seen_text and LINK_ROW_RE.match(line) and not LINK_RE.sub("", line).strip(" |-:"):
            meta["links"] = meta.get("links", "") + " " + line.strip()   # `| [Slides](...) |`
            used.append(i)
            continue
        m = META_RE.match(line)
        if m and not seen_text:
            key = META_KIND.get(m.group(1).lower(), "")
            if key:
                value = (m.group(2) or "").strip()
                if key in ("speakers", "companies", "kind"):
                    value = strip_markup(value)
                meta[key] = (meta[key] + ", " if meta.get(key) and key in ("speakers", "companies")
                             else meta.get(key, "")) + value
                used.append(i)
                continue
        if byline is None and seen_text < 3:
            candidate = _byline_line(line)
            if candidate is None and not seen_text and _own_paragraph(section, i):
                candidate = plain_byline_line(line)
            if candidate is not None:
                byline, raw = candidate, line
                used.append(i)
                continue
        seen_text += 1
        if seen_text >= 3 or i > 20:
            break
    return meta, byline, raw, used


def people_list(section: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Speakers and companies from the list under a bare `**Speakers**` line:
    `* Haowei Cai, Google`."""
    names: list[str] = []
    companies: list[str] = []
    started = False
    for line in section:
        if not started:
            m = META_RE.match(line)
            started = bool(m) and not m.group(2)
            continue
        item = LIST_ITEM_RE.match(line)
        if not item:
            if line.strip() and names:
                break
            continue
        found = split_people(strip_markup(item.group(1)), min_tokens=1)
        if found is None:
            names.append(strip_markup(item.group(1)).split(",")[0].strip())
            continue
        names += found[0]
        companies += found[1]
    return tuple(n for n in names if n), tuple(dict.fromkeys(companies))


def _byline_line(line: str) -> Byline | None:
    """A line that is a full byline: emphasised, or starting with 'Keynote:' and the like."""
    text = line.strip()
    m = EMPHASIS_LINE_RE.match(text)
    inner = strip_markup(text)
    if not (m or re.match(r"^(keynote|tutorial|workshop|panel)\s*:", inner, re.I)):
        return None
    if len(inner) > 400:
        return None
    byline = parse_byline(inner)
    return byline if byline.speakers else None


def _own_paragraph(section: list[str], i: int) -> bool:
    return i + 1 >= len(section) or not section[i + 1].strip()
