"""Which parts of a note are talks: segmentation by evidence, not by heading depth.

A note is a tree of sections (`sections.py`). Walking it from the top, each section is a talk
(strong evidence of its own: a byline, a talk prefix, a recording link, `Speakers:` lines), a
context (a day, track, group or event heading, or a section with talks below it), a part of the
talk before it (`Summary`, `Key Takeaways`), the note's own text (travel, lunch, thanks), or
undecided, which its siblings settle: among talks it is a talk, among groups it is text, alone
it is a talk (the first level below the context holds the talks). Inside a section's own text,
list items led by a talk (`- [Title - Speaker](video)`) and paragraphs naming recorded talks
split it into talks. Every line of the body ends up in exactly one segment, or is a context
heading that the talks below it carry as their day or track."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .evidence import (GENERIC_PHRASE, heading_evidence, is_day, is_event_title, is_group, is_off_topic,
                       is_part, list_item_talk, talk_mentions, under_heading_evidence)
from .bylines import is_person
from .markdown import Block, Inline
from .sections import Section, section_tree

TALK, CONTEXT, TEXT, PART, WEAK = "talk", "context", "text", "part", "weak"


@dataclass(frozen=True)
class Segment:
    """A contiguous range of body lines (0-based, `end` exclusive) that is a talk or text."""

    kind: str                         # "talk" or "text"
    start: int
    end: int
    heading: Block | None = None      # the heading the segment starts with, if any
    lead: Inline | None = None        # a list-item or prose talk: what names it
    title: str = ""                   # a prose talk: the title its paragraph gives
    video: str = ""                   # a prose talk: its recording
    context: tuple[str, ...] = ()     # the context headings above, outermost first
    whole_file: bool = False          # the file is one talk (a folder of one file per talk)


def segment_note(blocks: list[Block], lines: list[str], one_talk_per_file: bool = False,
                 index_file: bool = False) -> list[Segment]:
    """The talks and text of a note body, in line order. `one_talk_per_file`: the file is in
    a folder of notes, where a file may hold a single talk without a heading; `index_file`:
    it is the folder's README or index, which holds talks only if it says so."""
    root = section_tree(blocks, len(lines))
    walker = _Walker(lines)
    out: list[Segment] = []
    single = root.children[0] if len(root.children) == 1 else None
    if one_talk_per_file and walker.one_talk(root, single) and not (
            index_file and not root.children):
        heading = root.children[0].heading if root.children else None
        return [Segment(TALK, 0, len(lines), heading, whole_file=True)]
    walker.walk(root, (), out)
    return sorted(out, key=lambda s: (s.start, s.end))


class _Walker:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._strong: dict[int, bool] = {}

    # -- evidence ------------------------------------------------------------------------
    def strong(self, section: Section) -> bool:
        key = section.start
        if key not in self._strong:
            self._strong[key] = section.heading is not None and (
                heading_evidence(section.heading)
                or under_heading_evidence(section.blocks, self.lines))
        return self._strong[key]

    def strong_below(self, section: Section) -> bool:
        return any(self.strong(d) or len(self.inline_talks(d)) >= 2
                   for d in section.descendants())

    def inline_talks(self, section: Section, file_title: str = "") -> list[Segment]:
        """List-item and prose talks in a section's own blocks (when there are at least two).
        Items naming people count only under a day, group or event heading (a keynote block);
        elsewhere a list of people is a talk's speakers."""
        title = section.title or file_title
        people = bool(title) and (is_day(title) or is_group(title) or is_event_title(title)
                                  or "keynote" in title.lower())
        found: list[Segment] = []
        for block in section.blocks:
            if block.kind == "list":
                found += _list_talks(block, people)
        found += _prose_talks([b for b in section.blocks if b.kind == "paragraph"])
        found.sort(key=lambda s: s.start)
        return found if len(found) >= 2 else []

    def one_talk(self, root: Section, single: Section | None) -> bool:
        """A file of a one-file-per-talk folder that holds one talk: no headings (and no list
        of talks), or one top heading without talks or days below it."""
        if not root.children:
            return not self.inline_talks(root) and any(
                ln.strip() for ln in self.lines)
        if root.blocks and any(b.kind != "html" for b in root.blocks):
            return False
        first = root.children[0]
        title = first.title
        if self.strong_below(first) or self.inline_talks(first) or is_day(title) or \
                is_group(title) or is_event_title(title) or is_off_topic(title):
            return False
        # `# Title` then more top headings without talk evidence: sections of the one talk.
        return single is not None or (self.strong(first) and not any(
            self.strong(k) or self.strong_below(k) for k in root.children[1:]))

    # -- classification --------------------------------------------------------------------
    def classify(self, section: Section) -> str:
        title = section.title
        if self.strong(section):
            return TALK
        if self.strong_below(section):
            return CONTEXT
        talks_inside = bool(self.inline_talks(section))
        if is_day(title) or is_event_title(title):
            return CONTEXT if section.children or talks_inside else TEXT
        if is_group(title):
            if section.children or talks_inside:
                return CONTEXT
            return TALK if _has_text(section, self.lines) else TEXT
        if is_off_topic(title):
            return TEXT
        if is_part(title):
            return PART
        if talks_inside or self._groups_talks(section):
            return CONTEXT
        if not section.children and len(self.recordings(section)) == 1:
            return TALK           # a section about one recorded talk
        return WEAK

    def recordings(self, section: Section) -> list[tuple[str, str, bool]]:
        """Talks with recordings that a section's own paragraphs name (one per recording)."""
        found: dict[str, tuple[str, str, bool]] = {}
        for block in section.blocks:
            if block.kind == "paragraph":
                for title, url, named in talk_mentions(block.inline):
                    found.setdefault(_video_key(url), (title, url, named))
        return list(found.values())

    def _groups_talks(self, section: Section) -> bool:
        """An undecided heading over several leaf headings that read like talk titles, while it
        reads like a topic (`Observability` over talk titles)."""
        kids = section.children
        if len(kids) < 2 or len(section.title.split()) > 3 or any(k.children for k in kids):
            return False
        titled = [k for k in kids if len(k.title.split()) >= 4 and not is_part(k.title)]
        return len(titled) * 2 > len(kids)

    def resolve(self, kids: list[Section], kinds: list[str]) -> list[str]:
        """Undecided sections follow their siblings: talks among talks, text among groups.
        Among talks known by their bylines, a short heading without one (`Envoy`, `gRPC`)
        is a part of the talk before it."""
        has_talk = TALK in kinds
        has_context = CONTEXT in kinds
        out = []
        for i, (kid, kind) in enumerate(zip(kids, kinds)):
            if kind == WEAK and i and out[i - 1] == TALK and self.strong(kids[i - 1]) and \
                    _short_topic(kid.title):
                kind = PART
            elif kind == WEAK:
                kind = TALK if has_talk or not has_context else TEXT
            out.append(kind)
        return out

    # -- walking -------------------------------------------------------------------------
    def walk(self, section: Section, context: tuple[str, ...], out: list[Segment]) -> None:
        """A context section: its own text (split at inline talks) and its children. A context
        heading with no talk below it is kept as text."""
        before = len(out)
        self.own_text(section, context, out)
        self.children(section.children, context, out)
        added = out[before:]
        if section.heading is not None and not any(s.kind == TALK for s in added) and \
                not any(s.start == section.start for s in added):
            out.append(Segment(TEXT, section.start, section.body_start, section.heading,
                               context=context))

    def children(self, kids: list[Section], context: tuple[str, ...],
                 out: list[Segment]) -> None:
        kinds = self.resolve(kids, [self.classify(k) for k in kids])
        for kid, kind in zip(kids, kinds):
            last = out[-1] if out else None
            if kind == PART and last is not None and last.kind == TALK and last.end == kid.start:
                out[-1] = replace(last, end=kid.end)       # `Key Takeaways` after a talk
                continue
            if kind == TALK:
                self.talk(kid, context, out)
            elif kind == CONTEXT:
                self.walk(kid, context + (kid.title,), out)
            else:
                out.append(Segment(TEXT, kid.start, kid.end, kid.heading, context=context))

    def talk(self, section: Section, context: tuple[str, ...], out: list[Segment]) -> None:
        """A talk section; sub-sections with talk evidence of their own (a second speaker's
        heading under the first's) are talks too, after the talk's own text."""
        subs = [k for k in section.children if self.strong(k)]
        if not subs:
            found = self.recordings(section)
            one = len(found) == 1 and not self.strong(section)
            out.append(Segment(TALK, section.start, section.end, section.heading,
                               title=found[0][0] if one and found[0][2] else "",
                               video=found[0][1] if one else "", context=context))
            return
        if not _has_text(section, self.lines, own=True):
            self.walk(section, context + (section.title,), out)
            return
        out.append(Segment(TALK, section.start, section.own_end, section.heading,
                           context=context))
        self.children(section.children, context, out)

    def own_text(self, section: Section, context: tuple[str, ...], out: list[Segment]) -> None:
        """A context's own blocks: text, split where list-item or prose talks start. The
        context heading itself starts the text when there is text; alone it is context."""
        start, end = section.body_start, section.own_end
        talks = self.inline_talks(section)
        first = talks[0].start if talks else end
        if _any_text(self.lines, start, first):
            out.append(Segment(TEXT, section.start, first, section.heading, context=context))
        for i, talk in enumerate(talks):
            stop = talks[i + 1].start if i + 1 < len(talks) else end
            out.append(replace(talk, end=max(stop, talk.start), context=context))


def _list_talks(block: Block, people: bool) -> list[Segment]:
    """Items of a list that name talks; each runs to the next talk item (at least two)."""
    starts = [item for item in block.items
              if list_item_talk(item.first.text, item.first.links, people)]
    if len(starts) < 2:
        return []
    return [Segment(TALK, item.start, item.end, lead=item.first) for item in starts]


def _prose_talks(paragraphs: list[Block]) -> list[Segment]:
    """Talks that paragraphs name with their recordings. A recording named twice is one talk;
    when a paragraph names two, the second starts at the next paragraph that links it again
    (`La seconde présentation ... [ici](...)`), else right after the paragraph."""
    keys = [[(_video_key(url), title, url) for title, url, _ in talk_mentions(p.inline)]
            for p in paragraphs]
    out: list[Segment] = []
    seen: set[str] = set()
    for i, block in enumerate(paragraphs):
        first = True
        for key, title, url in keys[i]:
            if key in seen:
                continue
            seen.add(key)
            at, lead = block.start, block.inline
            label = next((lb for lb, u in (block.inline.links if block.inline else ())
                          if u == url), "")
            if first and not title and i and out and not keys[i - 1] and \
                    GENERIC_PHRASE.search(label):
                # `I [really liked this talk](...)`: the paragraph before introduces it.
                at, lead = paragraphs[i - 1].start, paragraphs[i - 1].inline
                title = _first_clause(lead)
            if not first:
                again = next((paragraphs[j].start for j in range(i + 1, len(paragraphs))
                              if any(k == key for k, _, _ in keys[j])), block.end)
                at = again
            first = False
            out.append(Segment(TALK, at, at, lead=lead, title=title, video=url))
    return out


def _first_clause(inline: Inline | None) -> str:
    """The opening words of a paragraph, up to a dash or the end of its first sentence."""
    text = " ".join((inline.text if inline is not None else "").split())
    text = re.split(r"\s[-–—]\s|(?<=[.!?])\s", text, maxsplit=1)[0]
    return " ".join(text.split()[:16]).rstrip(".,;:")


def _video_key(url: str) -> str:
    return url.split("&")[0].split("?si=")[0].split("?t=")[0]


def _short_topic(title: str) -> bool:
    """One or two words that are not a person's name: a topic, not a talk title."""
    return len(title.split()) <= 2 and not is_person(title)


def _any_text(lines: list[str], start: int, end: int) -> bool:
    return any(line.strip() for line in lines[start:end])


def _has_text(section: Section, lines: list[str], own: bool = False) -> bool:
    """Whether a section has any text besides its heading (only before its first sub-section
    with `own`)."""
    return _any_text(lines, section.body_start, section.own_end if own else section.end)
