"""What a heading, a list item or a paragraph says about being a talk.

Pure predicates over text, used by `segments.py` to decide which sections of a note are talks:
strong evidence (a byline with speakers, a `Keynote:` / `Talk 3:` prefix, a link to the
recording, `Speakers:` lines), context (day, track and group headings: `Day 2`, `Morning
Keynotes`, `Talks I saw`), sections that belong to the talk above them (`Summary`, `Key
Takeaways`, `Demo`) and sections about something else (travel, lunch, party, booth, thanks)."""

from __future__ import annotations

import re

from .bylines import parse_byline
from .bylines import speaker_first as first_speaker
from .bylines import Byline
from .markdown import Block, Inline, link_kind, strip_markup

DAY_RE = re.compile(
    r"^\W*(?:(?:kube\s?con|cloud\s?native\s?con|\w+con)\W+)?(?:"
    r"(?:day|dag|jour|tag|d[ií]a|giorno)\s*#?\s*(?:\d+|zero|one|two|three|four|five|six|seven|"
    r"en|et|to|tre|fire|fem|un|deux|trois|quatre|cinq)\b"
    r"|(?:premier|première|deuxième|second|seconde|troisième|quatrième|cinquième|"
    r"first|second|third|fourth|fifth|final|last)\s+(?:jour|day|dag)\b"
    r"|(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mandag|tirsdag|onsdag|"
    r"torsdag|fredag|lørdag|søndag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b)",
    re.I)
GROUP_RE = re.compile(
    r"^\W*(?:(?:morning|afternoon|evening|opening|closing|day\s*\d+|other|more|selected|main|"
    r"co-?located|breakout|lightning|sponsored)\s+)?"
    r"(?:keynotes?|keynote\s+sessions|talks?|sessions?|breakouts?(?:\s+sessions)?|tracks?|"
    r"lightning\s+talks|workshops|tutorials|presentations|conférences|foredrag|"
    r"keynotes?\s+(?:and|&)\s+talks|(?:end[- ])?user\s+stories|case\s+studies)"
    r"(?:\s+(?:morning|afternoon|evening|i\s+(?:saw|attended|watched)|attended|watched|"
    r"(?:day\s*)?\d+))?\W*$", re.I)
# Sections about something other than a talk: never cited as talks, searchable as note text.
OFF_RE = re.compile(
    r"\b(travel|trip|flight|hotel|venue|lunch|breakfast|dinner|coffee|break|party|parties|"
    r"reception|booth|booths|expo|sponsors?|swag|thanks?|thank\s+you|acknowledg\w+|merci|tak|"
    r"playlist|recordings|photos|pictures|about\s+me|wall|registration|badge|hallway|"
    r"quotes|wrap[-\s]?up|final\s+thoughts|table\s+of\s+contents)\b", re.I)
# Headings that are only a summary word: the note's own text (not a talk's: see PART_RE).
ONLY_OFF_RE = re.compile(
    r"^\W*(?:tl;?dr|récapitulatif|recap|résumé|conclusions?|summary|overall|introduction|intro|"
    r"preface|contents|misc(?:ellaneous)?|other\s+notes|notes|links|resources)\W*$", re.I)
# Sections that are parts of the talk above them when they follow it.
PART_RE = re.compile(
    r"^\W*(?:key\s+)?(?:take-?aways?|summary|demo|how\??|why\??|what\??|q\s*&\s*a|questions|"
    r"notes?|my\s+notes|thoughts|my\s+thoughts|highlights|learnings|lessons|resources|links|"
    r"references|slides|video|recording|speakers?(?:\(s\))?|mission|setup|architecture|"
    r"problem|solution|background|context|overview|results|conclusion|next\s+steps|"
    r"call\s+to\s+action|quotes?|points\s+clés|à\s+retenir|pointer)\W*(?::.*)?$", re.I)
META_RE = re.compile(
    r"^\s*[*_]{0,2}(speakers?(?:\(s\))?|presenters?|company|companies|video|recording|slides|"
    r"schedule|kind|talers?|intervenants?|orateurs?)[*_]{0,2}\s*"
    r"(?::\s*[*_]{0,2}\s*(.*?))?\s*[*_]{0,2}\s*$", re.I)
PREFIX_RE = re.compile(
    r"^\W*(?:(?:talk|session|presentation|conférence|foredrag)\s*#?\s*\d+\s*[:.\-–—]\s*"
    r"|(?:keynote|lightning\s+talk|panel|workshop|tutorial|session|fireside\s+chat)\s*:\s*)",
    re.I)
NUMBERED_PREFIX_RE = re.compile(
    r"^\W*(?:talk|session|presentation|conférence|foredrag)\s*#?\s*\d+\s*[:.\-–—]\s*", re.I)
KIND_SUFFIX_RE = re.compile(r"\((?:tutorial|session|keynote|workshop|panel|lightning talk)\)\s*$",
                            re.I)
QUOTE_START_RE = re.compile(r"^\W{0,2}[\"“”„«'‘]")
GENERIC_LABELS = re.compile(
    r"^(?:video|vidéo|vid|here|ici|link|lien|replay|recording|enregistrement|slides|"
    r"youtube|talk|watch|regarder|\W*)$", re.I)
GENERIC_PHRASE = re.compile(r"\b(?:this|the|that|his|her|their)\s+(?:talk|video|session)\b", re.I)


def generic_label(label: str) -> bool:
    """A link label that says "the recording" rather than which talk: `vidéo`, `here`,
    `really liked this talk`."""
    return bool(GENERIC_LABELS.match(label.strip()) or GENERIC_PHRASE.search(label))


def is_day(text: str) -> bool:
    return bool(DAY_RE.match(text)) and len(text.split()) <= 12


EVENT_WORDS_RE = re.compile(
    r"kube\s?con|cloud\s?native\s?con|envoycon|dockercon|devconf|open\s?source\s+summit|"
    r"conference|konference|summit|\bnotes\b|recap|récap|dagbog|talk\s+log|\btalks\b", re.I)


def is_event_title(text: str) -> bool:
    """A heading naming the event or the notes themselves: `KubeCon 2019`, `DevConf.us`,
    `Kubecon EU 2025- London`, `Récap du deuxième jour de Kubecon Europe 2018`."""
    if not EVENT_WORDS_RE.search(text) or _has_prefix(text):
        return False
    return bool(re.search(r"\b(19|20)\d\d\b", text)) or len(text.split()) <= 4


def is_group(text: str) -> bool:
    """`Keynotes`, `Morning Keynotes`, `Talks`, `Talks I saw`, `Breakout sessions`, ..."""
    return bool(GROUP_RE.match(text))


def is_off_topic(text: str) -> bool:
    """Travel, lunch, party, booth, thanks, summary...: not a talk (short headings only)."""
    if ONLY_OFF_RE.match(text):
        return True
    return len(text.split()) <= 6 and bool(OFF_RE.search(text)) and not _has_prefix(text)


def is_part(text: str) -> bool:
    """`Summary`, `Key Takeaways`, `Demo`, `How?`: a part of the talk above it."""
    return bool(PART_RE.match(text)) or bool(META_RE.match(text))


def _has_prefix(text: str) -> bool:
    return bool(PREFIX_RE.match(text))


def strip_prefix(text: str) -> tuple[str, str]:
    """(`Talk 3:` / `Keynote:` prefix word, the rest); numbered prefixes are dropped."""
    m = NUMBERED_PREFIX_RE.match(text)
    if m:
        return "talk", text[m.end():].strip()
    return "", text


def video_links(inline: Inline | None) -> list[str]:
    """URLs of recordings (and schedule pages) among an inline's links."""
    if inline is None:
        return []
    return [url for _, url in inline.links if link_kind(url) in ("video", "schedule")]


def heading_evidence(block: Block) -> bool:
    """A heading that is a talk by itself: a byline with speakers, a talk prefix, a link to the
    recording or schedule, or a `(Tutorial)` suffix."""
    inline = block.inline
    if inline is None:
        return False
    text = " ".join(inline.text.split())
    if _has_prefix(text) or KIND_SUFFIX_RE.search(text) or video_links(inline):
        return True
    if QUOTE_START_RE.match(text):
        return False
    return bool(parse_byline(strip_prefix(text)[1]).speakers) or speaker_first(text)


def speaker_first(text: str) -> bool:
    """`Cheryl Hung - Director of Ecosystem, CNCF`: a person's name, then role or title."""
    return first_speaker(strip_prefix(text)[1]) is not None


def under_heading_evidence(blocks: list[Block], lines: list[str]) -> bool:
    """`Speakers:` lines, a `**Speakers**` line, or an emphasised byline right under a heading."""
    for block in blocks[:3]:
        first = lines[block.start].strip() if block.start < len(lines) else ""
        if META_RE.match(first) and _meta_key(first) in ("speakers", "video", "schedule"):
            return True
        if block is blocks[0] and block.kind == "paragraph" and block.end - block.start == 1 \
                and plain_byline_line(first) is not None:
            return True
        inline = block.inline
        if inline is not None and inline.emphasis and parse_byline(
                strip_prefix(" ".join(inline.text.split()))[1]).speakers:
            return True
        if block.kind == "paragraph" and inline is not None and len(inline.text) > 200:
            return False
    return False


def _meta_key(line: str) -> str:
    m = META_RE.match(line)
    if not m:
        return ""
    key = m.group(1).lower().rstrip("s").replace("(", "").replace(")", "")
    if key in ("speaker", "presenter", "taler", "intervenant", "orateur"):
        return "speakers"
    return {"recording": "video", "companie": "company"}.get(key, key)


def list_item_talk(item_text: str, links: tuple[tuple[str, str], ...],
                   people: bool = True) -> bool:
    """A list item that names a talk: led by a link to its recording, or (with `people`) a
    person's byline (`Kelsey Hightower - Staff Dev Advocate, Google`); quotes are not talks."""
    text = " ".join(item_text.split())
    if not text or QUOTE_START_RE.match(text) or len(text) > 240:
        return False
    if links and link_kind(links[0][1]) in ("video", "schedule") and \
            text.startswith(links[0][0][:20]):
        return True
    return people and (speaker_first(text) or bool(parse_byline(text).speakers))


# A talk's own page on the official schedule (`https://kccnceu18.sched.com/event/DurL/...`).
SCHEDULE_EVENT_RE = re.compile(r"^https?://[\w.-]*sched\.com/event/\w+", re.I)


def talk_mentions(inline: Inline | None) -> list[tuple[str, str, bool]]:
    """(title, recording URL) of the talks a paragraph names: an emphasised or quoted title
    right before a link to the recording (`*"Title"* ([vidéo](https://youtu.be/...))`), or the
    recording link itself (title: its label unless generic). The flag says whether the title
    was written as one (emphasised or quoted) rather than taken from a link label."""
    if inline is None:
        return []
    out: list[tuple[str, str, bool]] = []
    source = inline.source
    for label, url in inline.links:
        if link_kind(url) != "video" and not SCHEDULE_EVENT_RE.search(url):
            continue
        at = source.find(url)
        before = source[:at] if at >= 0 else ""
        m = re.search(r"[*_]{1,2}[\"“”«‘']?([^*_\n]{6,160}?)[\"“”»’']?[*_]{1,2}\s*"
                      r"(?:[^*_\n]{0,80}?)?\(?\s*\[[^\]]*\]\(\s*$", before)
        title = m.group(1).strip(" \"“”«»‘’'") if m else ""
        named = bool(title)
        if not title and _word_label(label):
            title = schedule_title(url, before)
        if not title and not generic_label(label) and not _word_label(label):
            title = label.strip()
        out.append((title, url, named))
    return out


def schedule_title(url: str, before: str) -> str:
    """A talk's title read from its schedule page's address, when the sentence names the talk
    only by a verb (`Dan Kohn [talked](https://….sched.com/event/DurL/keynote-how-good-is-our-
    code-dan-kohn-executive-director-…)`): the address's words up to the speaker's name, which
    the sentence gives before the link (`Keynote how good is our code`). "" when the address
    holds no such words."""
    found = SCHEDULE_EVENT_RE.search(url)
    slug = url[found.end():].strip("/").split("/")[0].lower() if found else ""
    words = [w for w in slug.split("-") if w]
    names = re.findall(r"\b([A-Z][\w'’]+)\s+([A-Z][\w'’]+)", strip_markup(before))
    for first, last in names:
        pair = [first.lower(), last.lower()]
        at = next((i for i in range(len(words) - 1) if words[i:i + 2] == pair), -1)
        if at >= 2:
            text = " ".join(words[:at])
            return text[:1].upper() + text[1:]
    return ""


def _word_label(label: str) -> bool:
    """A link on a word or two of the sentence (`Dan Kohn [talked](…)`, `[presented](…)`):
    lowercase words, not a title."""
    words = label.split()
    return len(words) <= 2 and all(w[:1].islower() for w in words)


def plain_byline_line(line: str) -> Byline | None:
    """The first paragraph under a heading, when it is one line reading `Title - Speaker,
    Company`. Prose is told apart by its sentence punctuation and by list, quote and table
    markers."""
    text = line.strip()
    if re.match(r"^(?:[-*+>|]|\d+[.)])\s", text) or re.search(r"[.!?:;,]$|\.\s+[A-Z]", text):
        return None
    inner = strip_markup(text)
    if len(inner) > 300:
        return None
    byline = parse_byline(inner)
    return byline if byline.speakers and byline.title else None
