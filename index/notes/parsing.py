"""Turning a notes file into a Note: its talks (title, speakers, links, body) and its own text.

`segments.py` decides which lines are talks; this module reads each talk's title and people
from its heading, a byline under it, `Speakers:` lines or the list item or paragraph that names
it, and keeps every other line of the note as the note's own text, so nothing is lost."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..models import Link, Note, NoteMeta, Problem, Talk
from .bylines import Byline, parse_byline, speaker_first, split_names
from .evidence import is_day, is_event_title, is_group, strip_prefix
from .frontmatter import Document, read_document
from .leading import leading_meta, people_list
from .markdown import Block, Inline, inline_of, link_kind, parse_blocks, slugify
from .segments import Segment, segment_note

KINDS = ("talk", "keynote", "keynote_block", "panel", "workshop", "tutorial",
         "opening_remarks", "awards", "lightning_talk", "public_meeting")
PREFIX_KINDS = {"keynote": "keynote", "tutorial": "tutorial", "workshop": "workshop",
                "panel": "panel", "lightning talk": "lightning_talk"}
NOTE_TEXT = "note_text"      # the kind of a note's own text (not a talk)
LEADING_SYMBOLS = re.compile(r"^[^\w\"“'‘(\[]+")      # `🌳 Title`, `→ Title`


@dataclass(frozen=True)
class LineCounts:
    """Where a note's non-blank body lines went."""

    content: int
    in_talks: int
    outside_talks: int     # the note's own text, and day/track headings the talks carry
    dropped: int

    def to_dict(self) -> dict[str, int]:
        return {"content": self.content, "in_talks": self.in_talks,
                "outside_talks": self.outside_talks, "dropped": self.dropped}


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


def parse_document(doc: Document, one_talk_per_file: bool = False) -> Note:
    """Talks and own text of one notes file (front matter already read)."""
    meta = doc.meta
    lines = doc.body.split("\n")
    blocks = parse_blocks(doc.body)
    index_file = Path(meta.path).stem.lower() in ("readme", "index", "_index")
    segments = segment_note(blocks, lines, one_talk_per_file, index_file)
    anchors = _anchors(blocks)
    reader = _TalkReader(meta, lines, doc.body_line, anchors)
    talks = [reader.talk(s) for s in segments if s.kind == "talk"]
    texts = [reader.text(s) for s in segments if s.kind == "text"]
    problems = [p for p in doc.problems if p.severity == "warning"]
    heading_lines = {i for b in blocks if b.kind == "heading" for i in range(b.start, b.end)}
    counts = count_lines(lines, segments, heading_lines)
    if counts.dropped:
        problems.append(Problem(meta.path, doc.body_line, (
            f"{counts.dropped} lines of text are in no talk and in no note text; they would "
            f"not be searchable (please report this with the file)"), severity="warning"))
    return Note(meta=meta, talks=tuple(_merge_repeats(talks)), warnings=tuple(problems),
                texts=tuple(t for t in texts if t.body.strip()), lines=counts.to_dict())


def count_lines(lines: list[str], segments: list[Segment], heading_lines: set[int]
                ) -> LineCounts:
    """Non-blank lines by where they ended: in a talk, outside (note text, or a context
    heading above talks, which they carry as day or track), or nowhere (dropped: must be
    zero)."""
    owner: dict[int, str] = {}
    for seg in segments:
        for i in range(seg.start, seg.end):
            owner.setdefault(i, seg.kind)
    talk_starts = [s.start for s in segments if s.kind == "talk"]
    content = in_talks = outside = 0
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        content += 1
        kind = owner.get(i)
        if kind == "talk":
            in_talks += 1
        elif kind == "text" or (i in heading_lines and any(t > i for t in talk_starts)):
            outside += 1
    return LineCounts(content, in_talks, outside, content - in_talks - outside)


def _anchors(blocks: list[Block]) -> dict[int, str]:
    """GitHub/Hugo anchors of every heading by line: repeats get -1, -2, ..."""
    seen: Counter[str] = Counter()
    out: dict[int, str] = {}
    for block in blocks:
        if block.kind == "heading" and block.inline is not None:
            base = slugify(block.inline.source)
            n = seen[base]
            seen[base] += 1
            out[block.start] = base if n == 0 else f"{base}-{n}"
    return out


def _merge_repeats(talks: list[Talk]) -> list[Talk]:
    """A talk written twice in one note (pasted twice, or continued under a second heading of
    the same title) is one talk with both texts."""
    out: list[Talk] = []
    by_key: dict[tuple[str, tuple[str, ...], str, str], int] = {}
    for talk in talks:
        key = (talk.title.strip().lower(), tuple(s.lower() for s in talk.speakers), talk.day,
               talk.track)
        if key in by_key and talk.title.strip():
            i = by_key[key]
            first = out[i]
            out[i] = Talk(**{**first.__dict__, "body": f"{first.body}\n\n{talk.body}".strip(),
                             "links": tuple(dict.fromkeys(first.links + talk.links))})
            continue
        by_key[key] = len(out)
        out.append(talk)
    return out


class _TalkReader:
    """Builds Talks and note-text records from segments of one note."""

    def __init__(self, meta: NoteMeta, lines: list[str], first_line: int,
                 anchors: dict[int, str]) -> None:
        self.meta = meta
        self.lines = lines
        self.first_line = first_line
        self.anchors = anchors

    def _anchor_for(self, line: int) -> str:
        """The anchor of the heading at `line`, else of the nearest heading above it."""
        above = [at for at in self.anchors if at <= line]
        return self.anchors[max(above)] if above else ""

    def talk(self, seg: Segment) -> Talk:
        heading = seg.heading
        start = heading.end if heading is not None and not seg.lead else seg.start
        section = self.lines[start:seg.end]
        list_item = seg.lead is not None and not seg.video
        if list_item:                   # a list item: its lead line names it, the rest tells it
            section = self.lines[seg.start + 1:seg.end]
        fields, byline_below, byline_raw, used = leading_meta(section)
        head = self._head(seg)
        # `**Speakers**` over a list of `Name, Company` (read once, for both uses)
        under = people_list(section) if "speakers" in fields and not fields["speakers"] else None
        chosen, label = _choose(head, byline_below, fields, seg, under)
        speakers, companies = _people(chosen, fields, under)
        links = self._links(seg, fields, byline_raw)
        day, track = _context(seg.context)
        title = chosen.title or (head.title if head else "") or self._lead_text(seg) or \
            self._file_title(seg)
        body = "\n".join(ln for k, ln in enumerate(section) if k not in set(used)).strip()
        if list_item:
            body = "\n".join(section).strip()
        return Talk(
            id="", title=title, speakers=speakers, companies=companies,
            kind=detect_kind(title, chosen.prefix, track, fields.get("kind", "")),
            event=self.meta.event, conference=self.meta.conference, year=self.meta.year,
            day=day, track=track, label=label, level=chosen.level or (head.level if head else ""),
            anchor=self._anchor_for(seg.start), line=self.first_line + seg.start, body=body,
            links=tuple(links), note=self.meta)

    def _head(self, seg: Segment) -> Byline | None:
        """What the heading, list item or paragraph naming the talk says."""
        if seg.title:
            return read_title(seg.title)
        if seg.video and seg.lead is not None:
            return Byline(title=self._lead_text(seg))
        inline = seg.lead if seg.lead is not None else (
            seg.heading.inline if seg.heading is not None else None)
        if inline is None:
            return None
        return read_title(" ".join(inline.text.split()))

    def _links(self, seg: Segment, fields: dict[str, str], byline_raw: str) -> list[Link]:
        links: list[Link] = []
        inline = seg.lead if seg.lead is not None else (
            seg.heading.inline if seg.heading is not None else None)
        pairs = list(inline.links) if inline is not None and not seg.title else []
        if seg.video:
            pairs = [("", seg.video)]
        pairs += list(_inline_links(byline_raw))
        for _, url in pairs:
            kind = link_kind(url)
            links.append(Link("video" if kind == "link" and seg.heading is not None and
                              seg.lead is None and inline is not None and
                              inline.source.lstrip().startswith("[") else kind, url))
        for _, url in _inline_links(fields.get("links", "")):
            links.append(Link(link_kind(url), url))
        for key in ("video", "slides", "schedule"):
            if fields.get(key):
                found = _inline_links(fields[key]) or [("", fields[key].strip())]
                links += [Link(key, url) for _, url in found]
        # Relative links (`slides/talk.pdf`) lead nowhere outside the author's repository.
        return list(dict.fromkeys(k for k in links if re.match(r"^https?://", k.url)))

    def _lead_text(self, seg: Segment) -> str:
        """What names a talk that has no title of its own: the heading or list item as
        written (`Tom Wilkie, Founder Casual`), or a paragraph's words before the recording
        link (`La conférence donnée par AWS`)."""
        if seg.video and seg.lead is not None:
            before = seg.lead.text.split("\n")[0]
            label = next((lb for lb, url in seg.lead.links if url == seg.video), "")
            cut = before.find(label) if label else -1
            text = before[:cut] if cut > 0 else before
            return " ".join(re.sub(r"[\s(\[:]+$", "", text).split()[:12])
        inline = seg.lead if seg.lead is not None else (
            seg.heading.inline if seg.heading is not None else None)
        if inline is None:
            return ""
        return strip_prefix(" ".join(inline.text.split("\n")[0].split()))[1]

    def _file_title(self, seg: Segment) -> str:
        """A one-talk file without a heading: its file name, made readable."""
        stem = Path(self.meta.path).stem
        if stem.lower() in ("readme", "index") and seg.whole_file:
            stem = Path(self.meta.path).parent.name
        return re.sub(r"[-_]+", " ", stem).strip()

    def text(self, seg: Segment) -> Talk:
        """The note's own text (intro, travel, thanks...): searchable, never cited as a talk."""
        title = " ".join(seg.heading.inline.text.split()) if seg.heading is not None and \
            seg.heading.inline is not None else ""
        day, track = _context(seg.context)
        body = "\n".join(self.lines[seg.start:seg.end]).strip()
        note_title = self.meta.title or Path(self.meta.path).stem
        full = f"{note_title} — {title}" if title and title != note_title else note_title
        return Talk(id="", title=full, speakers=(), companies=(),
                    kind=NOTE_TEXT, event=self.meta.event, conference=self.meta.conference,
                    year=self.meta.year, day=day, track=track,
                    anchor=self._anchor_for(seg.start), line=self.first_line + seg.start,
                    body=body, note=self.meta)


def read_title(text: str) -> Byline:
    """Title and people of a heading or a list item: `Talk 3:` prefixes dropped, `Title -
    Speaker, Company` and `Speaker - Title` both understood."""
    prefix, rest = strip_prefix(LEADING_SYMBOLS.sub("", text))
    head = parse_byline(rest)
    if head.speakers:
        return head
    first = speaker_first(rest)
    if first is not None:
        return Byline(title=first.title, speakers=first.speakers, companies=first.companies,
                      prefix=head.prefix or prefix)
    return head


def _choose(head: Byline | None, below: Byline | None, fields: dict[str, str],
            seg: Segment, under: tuple[tuple[str, ...], tuple[str, ...]] | None
            ) -> tuple[Byline, str]:
    """The byline that names the talk, and the heading kept as a label when it differs. A
    `Speakers:` line (or list) decides whether what follows a heading's dash is people."""
    heading_text = " ".join(seg.heading.inline.text.split()) if seg.heading is not None and \
        seg.heading.inline is not None else ""
    head = head or Byline(title="")
    if head.speakers and "speakers" in fields:
        listed = {n.lower() for n in (under[0] if under is not None
                                      else split_names(fields["speakers"]))}
        if not {n.lower() for n in head.speakers} <= listed:
            head = parse_byline(strip_prefix(heading_text)[1], split_speakers=False)
    if below is not None and not head.speakers:
        label = heading_text if below.title.strip().lower() != head.title.strip().lower() else ""
        return below, label
    if seg.title and heading_text and seg.title.lower() != heading_text.lower() and \
            seg.lead is None:
        return head, heading_text
    return head, ""


def _people(chosen: Byline, fields: dict[str, str],
            under: tuple[tuple[str, ...], tuple[str, ...]] | None
            ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    speakers, companies = chosen.speakers, chosen.companies
    if fields.get("speakers"):
        speakers = split_names(fields["speakers"])
    elif under is not None:
        speakers, listed = under
        companies = companies or listed
    if fields.get("companies"):
        companies = tuple(c.strip() for c in re.split(r"\s*[,;]\s*", fields["companies"])
                          if c.strip())
    return speakers, companies


def _context(context: tuple[str, ...]) -> tuple[str, str]:
    """(day, track) from the context headings above a talk."""
    day = next((t for t in context if is_day(t)), "")
    tracks = [t for t in context if not is_day(t) and (is_group(t) or not is_event_title(t))]
    return day, tracks[-1] if tracks else ""


def _inline_links(markdown: str) -> list[tuple[str, str]]:
    return list(inline_of(markdown).links) if markdown.strip() else []


def parse_file(path: Path, display: str | None = None, defaults: dict[str, object] | None = None,
               one_talk_per_file: bool = False) -> tuple[Note | None, list[Problem]]:
    """A Note (None when the file has errors) and every problem found, warnings included.
    `defaults`: front matter shared by a folder of notes (`notes.yaml`)."""
    doc = read_document(path, display, defaults)
    errors = [p for p in doc.problems if p.severity == "error"]
    if errors:
        return None, list(doc.problems)
    note = parse_document(doc, one_talk_per_file)
    return note, list(note.warnings)


__all__ = ["Inline", "LineCounts", "NOTE_TEXT", "count_lines", "detect_kind", "parse_document",
           "parse_file", "read_title"]
