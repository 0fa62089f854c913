"""Splitting talk bylines like `Keynote: Title – Speaker, Role, Company` into their parts."""

from __future__ import annotations

import re
from dataclasses import dataclass

SEP_RE = re.compile(r"\s+[-–—]\s+")
PREFIX_RE = re.compile(r"^(keynote|tutorial|workshop|lightning talk|session)\s*:\s*", re.I)
LEVEL_RE = re.compile(r"\s*\[(A|B|I|N|All)\]\s*$")
NAME_SPLIT_RE = re.compile(r"\s*(?:&|\band\b|\bog\b|\bet\b|\bund\b|\by\b)\s*")
PARTICLES = {"de", "van", "von", "der", "den", "da", "di", "le", "la", "du", "del", "dos", "ter", "bin"}
ROLE_WORDS = re.compile(
    r"\b(engineer|director|manager|advocate|architect|ceo|cto|cio|coo|vp|head|lead|founder|"
    r"co-founder|developer|maintainer|president|fellow|evangelist|scientist|consultant|"
    r"specialist|strategist|officer|chair|member|sre|staff|principal|senior|product|"
    r"programmer|analyst|researcher|student|contributor)\b", re.I)
OF_COMPANY_RE = re.compile(r"^(?:CTO|CEO|CIO|COO|CPO|VP|Founder|Co-?founder)\s+(?:of|at|@)\s+(.+)$", re.I)
NOT_NAMES = {"a", "an", "the", "intro", "introduction", "deep", "dive", "update", "updates",
             "overview", "kubernetes", "cloud", "native", "project", "part", "day", "session",
             "keynote", "panel", "workshop", "tutorial", "how", "why", "what", "with", "for",
             "your", "our", "my", "in", "on", "to", "from", "build", "secure", "apps", "new"}
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
    """`Name & Name, Role, Company` -> (speakers, companies), or None if it is not a byline."""
    text = text.strip().rstrip(".")
    paren = re.match(r"^(.+?)\s*\(([^()]+)\)$", text)
    if paren and "," not in text:
        names = [n for n in NAME_SPLIT_RE.split(paren.group(1)) if n]
        if names and all(is_person(n, min_tokens) for n in names):
            return tuple(names), (paren.group(2).strip(),)
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        return None
    names = [n.strip() for n in NAME_SPLIT_RE.split(parts[0]) if n.strip()]
    if not names or not all(is_person(n, min_tokens) for n in names):
        return None
    companies: list[str] = []
    for role in parts[1:-1]:
        m = OF_COMPANY_RE.match(role)
        if m:
            companies.append(m.group(1).strip())
    if len(parts) > 1:
        last = parts[-1]
        m = OF_COMPANY_RE.match(last)
        if m:
            companies.append(m.group(1).strip())
        elif not (ROLE_WORDS.search(last) and len(parts) == 2 and _looks_like_role(last)):
            companies.append(last)
    return tuple(names), tuple(dict.fromkeys(companies))


def _looks_like_role(text: str) -> bool:
    words = text.split()
    return len(words) >= 2 and bool(ROLE_WORDS.search(words[-1]) or ROLE_WORDS.search(words[0]))


def parse_byline(text: str) -> Byline:
    """Title, speakers and companies of a heading or byline; the title alone when none found."""
    text = re.sub(r"\s+", " ", text).strip()
    prefix = ""
    m = PREFIX_RE.match(text)
    if m:
        prefix = m.group(1).lower()
        text = text[m.end():]
    title, speakers, companies = text, (), ()
    seps = list(SEP_RE.finditer(text))
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
