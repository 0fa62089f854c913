"""Turning a notes file into a Note with its Talks: headings, bylines and metadata lines."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from .bylines import Byline, parse_byline, split_names
from .frontmatter import Document, read_document
from .markdown import Heading, find_headings, link_kind, links_in, slugify, strip_markup
from ..models import Link, Note, NoteMeta, Problem, Talk

DAY_RE = re.compile(
    r"^\W*(?:"
    r"(?:day|dag|jour|tag|d[ií]a|giorno)\s*#?\s*(?:\d+|zero|one|two|three|four|five|six|seven|"
    r"en|et|to|tre|fire|fem|un|deux|trois|quatre|cinq)\b"
    r"|(?:premier|première|deuxième|second|seconde|troisième|quatrième|cinquième|"
    r"first|second|third|fourth|fifth|final|last)\s+(?:jour|day|dag)\b"
    r"|(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mandag|tirsdag|onsdag|"
    r"torsdag|fredag|lørdag|søndag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b)",
    re.I)
META_RE = re.compile(
    r"^\s*[*_]{0,2}(speakers?|company|companies|video|recording|slides|schedule|kind|talers?|"
    r"intervenants?|orateurs?)[*_]{0,2}\s*:\s*[*_]{0,2}\s*(.+?)\s*$", re.I)
META_KIND = {"speaker": "speakers", "speakers": "speakers", "talers": "speakers",
             "taler": "speakers", "intervenant": "speakers", "intervenants": "speakers",
             "orateur": "speakers", "orateurs": "speakers", "company": "companies",
             "companies": "companies", "video": "video", "recording": "video",
             "slides": "slides", "schedule": "schedule", "kind": "kind"}
KINDS = ("talk", "keynote", "keynote_block", "panel", "workshop", "tutorial",
         "opening_remarks", "awards", "lightning_talk", "public_meeting")
PREFIX_KINDS = {"keynote": "keynote", "tutorial": "tutorial", "workshop": "workshop",
                "panel": "panel", "lightning talk": "lightning_talk"}
EMPHASIS_LINE_RE = re.compile(r"^\s*\[?\s*([*_]{1,2})(.+?)\1\s*\]?(?:\([^)]*\))?\s*$")


def is_day_heading(text: str) -> bool:
    return bool(DAY_RE.match(strip_markup(text)))


def talk_level(headings: list[Heading]) -> int | None:
    """The heading level that holds talks: the most common level among leaf headings."""
    if not headings:
        return None
    levels = [h.level for h in headings]
    usable = [h for h in headings if h.level > 1] if any(lv > 1 for lv in levels) else headings
    leaves: Counter[int] = Counter()
    for i, h in enumerate(headings):
        if h not in usable or is_day_heading(h.text):
            continue
        nxt = headings[i + 1] if i + 1 < len(headings) else None
        if nxt is None or nxt.level <= h.level:
            leaves[h.level] += 1
    if not leaves:
        return max(h.level for h in usable)
    return max(leaves.items(), key=lambda kv: (kv[1], kv[0]))[0]


def detect_kind(title: str, prefix: str, track: str, explicit: str = "") -> str:
    if explicit and explicit.lower().replace(" ", "_") in KINDS:
        return explicit.lower().replace(" ", "_")
    t = title.lower()
    if re.search(r"\bkeynote sessions\b", t):
        return "keynote_block"
    if prefix == "keynote" or "keynote" in t:
        return "keynote"
    if prefix in PREFIX_KINDS:
        return PREFIX_KINDS[prefix]
    for word, kind in (("panel", "panel"), ("workshop", "workshop"), ("tutorial", "tutorial"),
                       ("lightning talk", "lightning_talk"), ("awards", "awards")):
        if re.search(rf"\b{word}\b", t):
            return kind
    if re.match(r"^opening remarks\b", t):
        return "opening_remarks"
    if "keynote" in track.lower():
        return "keynote"
    return "talk"


def _section_lines(lines: list[str], start: int, end: int) -> list[str]:
    return lines[start + 1:end]


def _leading_meta(section: list[str]) -> tuple[dict[str, str], Byline | None, str, list[int]]:
    """Metadata lines and an italic/keyword byline at the top of a talk section.

    Returns (metadata, byline, byline raw line, indexes of consumed lines).
    """
    meta: dict[str, str] = {}
    byline: Byline | None = None
    raw = ""
    used: list[int] = []
    seen_text = 0
    for i, line in enumerate(section):
        if not line.strip():
            continue
        m = META_RE.match(line)
        if m and not seen_text:
            key = META_KIND[m.group(1).lower()]
            meta[key] = (meta[key] + ", " if key in meta and key in ("speakers", "companies")
                         else "") + m.group(2).strip()
            used.append(i)
            continue
        if byline is None and seen_text < 3:
            candidate = _byline_line(line)
            if candidate is None and not seen_text and _own_paragraph(section, i):
                candidate = _plain_byline_line(line)
            if candidate is not None:
                byline, raw = candidate, line
                used.append(i)
                continue
        seen_text += 1
        if seen_text >= 3 or i > 20:
            break
    return meta, byline, raw, used


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


def _plain_byline_line(line: str) -> Byline | None:
    """The first paragraph under a heading, when it is one line reading `Title - Speaker, Company`.

    Prose is told apart by its sentence punctuation and by list, quote and table markers.
    """
    text = line.strip()
    if re.match(r"^(?:[-*+>|]|\d+[.)])\s", text) or re.search(r"[.!?:;,]$|\.\s+[A-Z]", text):
        return None
    inner = strip_markup(text)
    if len(inner) > 300:
        return None
    byline = parse_byline(inner)
    return byline if byline.speakers and byline.title else None


def parse_document(doc: Document, source_id: str = "") -> Note:
    """Talks of one notes file (front matter already read)."""
    meta = doc.meta
    lines = doc.body.split("\n")
    headings = find_headings(lines, doc.body_line)
    level = talk_level(headings)
    problems = [p for p in doc.problems if p.severity == "warning"]
    talks: list[Talk] = []
    anchors: Counter[str] = Counter()
    context: dict[int, str] = {}
    i = 0
    while i < len(headings):
        h = headings[i]
        anchor = _anchor(h.text, anchors)
        context = {lv: t for lv, t in context.items() if lv < h.level}
        nxt = headings[i + 1] if i + 1 < len(headings) else None
        is_leaf = nxt is None or nxt.level <= h.level
        byline_in_heading = parse_byline(strip_markup(h.text))
        talkish = level is not None and (
            h.level == level or (is_leaf and h.level > 1 and byline_in_heading.speakers))
        if not talkish or is_day_heading(h.text):
            context[h.level] = strip_markup(h.text)
            i += 1
            continue
        # The talk's section runs to the next heading at its level or above.
        j = i + 1
        while j < len(headings) and headings[j].level > h.level:
            j += 1
        end = headings[j].index if j < len(headings) else len(lines)
        talks.append(_make_talk(meta, h, lines, end, anchor, context, source_id))
        for k in range(i + 1, j):
            _anchor(headings[k].text, anchors)
        i = j
    if not talks:
        problems.append(Problem(meta.path, doc.body_line, (
            "no talk headings found: give each talk its own heading ('### Talk title' or "
            "'### Title - Speaker, Company') under day or track headings"), severity="warning"))
    return Note(meta=meta, talks=tuple(talks), warnings=tuple(problems))


def _anchor(text: str, seen: Counter[str]) -> str:
    base = slugify(text)
    n = seen[base]
    seen[base] += 1
    return base if n == 0 else f"{base}-{n}"


def _make_talk(meta: NoteMeta, h: Heading, lines: list[str], end: int, anchor: str,
               context: dict[int, str], source_id: str) -> Talk:
    heading_plain = strip_markup(h.text)
    section = _section_lines(lines, h.index, end)
    fields, byline_below, byline_raw, used = _leading_meta(section)
    head = parse_byline(heading_plain)
    if head.speakers and "speakers" in fields:
        # A `Speakers:` line decides whether what follows the heading's last dash is people.
        listed = {n.lower() for n in split_names(strip_markup(fields["speakers"]))}
        if not {n.lower() for n in head.speakers} <= listed:
            head = parse_byline(heading_plain, split_speakers=False)
    label = ""
    if byline_below is not None and not head.speakers:
        chosen = byline_below
        if chosen.title.strip().lower() != head.title.strip().lower():
            label = heading_plain
    else:
        chosen = head
    speakers = chosen.speakers
    companies = chosen.companies
    if "speakers" in fields:
        speakers = split_names(strip_markup(fields["speakers"]))
    if "companies" in fields:
        companies = tuple(c.strip() for c in re.split(r"\s*[,;]\s*", strip_markup(fields["companies"])) if c.strip())
    links: list[Link] = []
    for label_text, url in links_in(h.text) + links_in(byline_raw):
        kind = link_kind(url)
        links.append(Link(kind if kind != "link" else "video" if h.text.startswith("[") else kind, url))
    for key in ("video", "slides", "schedule"):
        if key in fields:
            for _, url in links_in(fields[key]) or [("", fields[key].strip())]:
                links.append(Link(key, url))
    links = list(dict.fromkeys(links))
    day = next((t for lv, t in sorted(context.items()) if is_day_heading(t)), "")
    tracks = [t for lv, t in sorted(context.items()) if not is_day_heading(t) and lv > 1]
    track = tracks[-1] if tracks else ""
    body_lines = [ln for k, ln in enumerate(section) if k not in set(used)]
    title = chosen.title or heading_plain
    return Talk(
        id="", title=title, speakers=speakers, companies=companies,
        kind=detect_kind(title, chosen.prefix, track, fields.get("kind", "")),
        event=meta.event, conference=meta.conference, year=meta.year, day=day, track=track,
        label=label, level=chosen.level or head.level, anchor=anchor, line=h.line,
        body="\n".join(body_lines).strip(), links=tuple(links), note=meta,
    )


def parse_file(path: Path, display: str | None = None) -> tuple[Note | None, list[Problem]]:
    """A Note (None when the file has errors) and every problem found, warnings included."""
    doc = read_document(path, display)
    errors = [p for p in doc.problems if p.severity == "error"]
    if errors:
        return None, list(doc.problems)
    note = parse_document(doc)
    return note, list(note.warnings)
