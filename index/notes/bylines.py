"""Splitting talk bylines like `Keynote: Title – Speaker, Role, Company` into their parts."""

from __future__ import annotations

import re
from dataclasses import dataclass

SEP_RE = re.compile(r"\s+[-–—]\s+")
PREFIX_RE = re.compile(r"^(keynote|tutorial|workshop|panel|lightning talk|session)\s*:\s*", re.I)
LEVEL_RE = re.compile(r"\s*\[(A|B|I|N|All)\]\s*$")
NAME_SPLIT_RE = re.compile(r"\s*(?:&|\band\b|\bog\b|\bet\b|\bund\b|\by\b)\s*")
PARTICLES = {"de", "van", "von", "der", "den", "da", "di", "le", "la", "du", "del", "dos", "ter", "bin"}
ROLE_WORDS = re.compile(
    r"\b(engineer|director|manager|advocate|architect|ceo|cto|cio|coo|vp|head|lead|founder|"
    r"co-founder|developer|maintainer|president|fellow|evangelist|scientist|consultant|"
    r"specialist|strategist|officer|chair|member|sre|staff|principal|senior|product|"
    r"programmer|analyst|researcher|student|contributor)\b", re.I)
OF_COMPANY_RE = re.compile(r"^(?:CTO|CEO|CIO|COO|CPO|VP|Founder|Co-?founder)\s+(?:of|at|@)\s+(.+)$", re.I)
# "VP of Engineering" names a department, not a company.
DEPARTMENTS = {"engineering", "product", "products", "marketing", "sales", "operations",
               "technology", "research", "infrastructure", "platform", "development", "strategy",
               "open source", "cloud", "security", "developer relations", "community"}
GROUP_SPLIT_RE = re.compile(r"\s+(?:&|and|og|et|und)\s+")
NOT_NAMES = {"a", "an", "the", "intro", "introduction", "deep", "dive", "update", "updates",
             "overview", "kubernetes", "cloud", "native", "project", "part", "day", "session",
             "keynote", "panel", "workshop", "tutorial", "how", "why", "what", "with", "for",
             "your", "our", "my", "in", "on", "to", "from", "build", "secure", "apps", "new",
             "open", "source", "service", "mesh", "security", "logging", "monitoring"}
NAME_TOKEN_RE = re.compile(r"^[A-ZÀ-ÞŁŚŻ][\w'’.\-]*$")


@dataclass(frozen=True)
class Byline:
    title: str
    speakers: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    prefix: str = ""   # "keynote", "tutorial", ... when the byline started with "Keynote:"
    level: str = ""    # skill level marker [A]/[B]/[I]


def is_person(name: str, min_tokens: int = 2) -> bool:
    """Does this look like a person's name (two to five capitalised words)?"""
    tokens = name.split()
    if not min_tokens <= len(tokens) <= 5:
        return False
    caps = [t for t in tokens if t.lower() not in PARTICLES]
    if not caps or any(ch.isdigit() for ch in name):
        return False
    if any(t.lower() in NOT_NAMES or (len(t) == 1 and t.isalpha()) for t in tokens):
        return False
    return all(NAME_TOKEN_RE.match(t) for t in caps) and not ROLE_WORDS.search(name)


def split_people(text: str, min_tokens: int = 2) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """`Name & Name, Role, Company` -> (speakers, companies), or None if it is not a byline.

    Also `Name, Company & Name, Role, Company` (one company per speaker, as schedules write it).
    """
    text = text.strip().rstrip(".")
    paren = re.match(r"^(.+?)\s*\(([^()]+)\)$", text)
    if paren and "," not in text:
        names = [n for n in NAME_SPLIT_RE.split(paren.group(1)) if n]
        if names and all(is_person(n, min_tokens) for n in names):
            return tuple(names), (paren.group(2).strip(),)
    groups = GROUP_SPLIT_RE.split(text)
    if len(groups) > 1 and any("," in g for g in groups[:-1]):
        found = [_one_group(g, min_tokens) for g in groups]
        if all(f is not None for f in found):
            names = [n for f in found for n in f[0]]
            companies = [c for f in found for c in f[1]]
            return tuple(names), tuple(dict.fromkeys(companies))
    found = _one_group(text, min_tokens)
    return None if found is None else (tuple(found[0]), tuple(dict.fromkeys(found[1])))


def _one_group(text: str, min_tokens: int) -> tuple[list[str], list[str]] | None:
    """`Name[ & Name][, Role], Company` -> (names, companies), or None."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        return None
    names = [n.strip() for n in NAME_SPLIT_RE.split(parts[0]) if n.strip()]
    if not names or not all(is_person(n, min_tokens) for n in names):
        return None
    companies: list[str] = []
    for role in parts[1:-1]:
        company = _of_company(role)
        if company:
            companies.append(company)
    if len(parts) > 1:
        last = parts[-1]
        company = _of_company(last)
        if company is not None:
            if company:
                companies.append(company)
        elif not (ROLE_WORDS.search(last) and len(parts) == 2 and _looks_like_role(last)):
            companies.append(last)
    return names, companies


def _of_company(role: str) -> str | None:
    """The company of `CTO of CoreOS`; "" for `VP of Engineering`; None when not that form."""
    m = OF_COMPANY_RE.match(role)
    if not m:
        return None
    company = m.group(1).strip()
    return "" if company.lower() in DEPARTMENTS else company


def _looks_like_role(text: str) -> bool:
    words = text.split()
    return len(words) >= 2 and bool(ROLE_WORDS.search(words[-1]) or ROLE_WORDS.search(words[0]))


def parse_byline(text: str, split_speakers: bool = True) -> Byline:
    """Title, speakers and companies of a heading or byline; the title alone when none found.

    With split_speakers=False nothing is split off: the whole text (prefix and level marker
    aside) is the title.
    """
    text = re.sub(r"\s+", " ", text).strip()
    prefix = ""
    m = PREFIX_RE.match(text)
    if m:
        prefix = m.group(1).lower()
        text = text[m.end():]
    title, speakers, companies = text, (), ()
    seps = list(SEP_RE.finditer(text)) if split_speakers else []
    if seps:
        last = seps[-1]
        people = split_people(text[last.end():])
        if people is not None:
            title = text[: last.start()].strip()
            speakers, companies = people
    level = ""
    lm = LEVEL_RE.search(title)
    if lm:
        level = lm.group(1)
        title = title[: lm.start()].strip()
    return Byline(title=title, speakers=speakers, companies=companies, prefix=prefix, level=level)


def split_names(text: str) -> tuple[str, ...]:
    """A `Speakers:` line: names separated by commas, '&' or 'and'."""
    parts = re.split(r"\s*(?:,|;|&|\band\b|\bog\b|\bet\b)\s*", text)
    return tuple(p.strip() for p in parts if p.strip())


def speaker_first(text: str) -> Byline | None:
    """`Cheryl Hung - Director of Ecosystem, CNCF`, `Dan Kohn - Exec Dir - CNCF`,
    `Michelle Noorali, Sr S/w eng, Azure`, `Dan Kohn - Stitching things together`: a person's
    name first, then their role and company (no title), or the talk's title. None when the
    text does not start with a person's name followed by a separator."""
    parts = re.split(r"\s+[-–—]\s+|\s*,\s+", text.strip(), maxsplit=1)
    if len(parts) != 2 or not is_person(parts[0].strip()) or not parts[1].strip():
        return None
    name, rest = parts[0].strip(), parts[1].strip()
    pieces = [p.strip() for p in re.split(r"\s+[-–—]\s+|\s*,\s+", rest) if p.strip()]
    if ROLE_WORDS.search(rest) or all(len(p.split()) <= 4 for p in pieces):
        people = split_people(f"{name}, {', '.join(pieces)}")
        companies = people[1] if people is not None else (pieces[-1],)
        if len(pieces) == 1 and not ROLE_WORDS.search(rest) and len(pieces[0].split()) > 2:
            return Byline(title=rest, speakers=(name,))
        return Byline(title="", speakers=(name,), companies=companies)
    if "," in text.split(rest)[0]:          # `Name, long words`: not a byline
        return None
    return Byline(title=rest, speakers=(name,))
