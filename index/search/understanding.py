"""Filters a question implies in its own words: "in 2021", "at KubeCon Barcelona", "the Austin
KubeCon", "KubeCon EU 2019", "from Google", "Microsoft people", "by Kelsey Hightower", "i 2021",
"en 2018". Pure functions over the question and a `Vocabulary` built once from the talks.

Evidence decides what a name does: a year after "in"/"i"/"en" or next to "KubeCon", a city, an
event, a speaker's full name, or a company as people ("from Google", "Microsoft people", "what
did Spotify present?") filter like the explicit syntax; a bare year or company name only
favours matching talks (a boost), and a company's thing ("Google's four golden signals") or a
version ("Prometheus 2.0", "Kubernetes 1.9", "10,000 clusters") does nothing."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..models import Filters, Understood
from ..text import fold
from .vocabulary import REGION_NAMES, Vocabulary

__all__ = ["Vocabulary", "understand", "without_switch", "OFF_SWITCH"]

OFF_SWITCH = "filters:off"     # in a question: read no filters from its words
TOKEN_RE = re.compile(r"\w+(?:[.,]\d+)*")
MAX_NGRAM = 4

ANCHORS = frozenset({"kubecon", "cloudnativecon", "kubecons"})
YEAR_BEFORE = frozenset("in i en from fra de of at during under pendant year aret ar annee "
                        "l'annee since siden depuis".split())
YEAR_AFTER = frozenset("talks talk kubecon conference edition keynotes foredrag oplaeg".split())
PEOPLE = frozenset("""people folks engineers speakers employees team teams staff talks talk
presentations sessions keynotes keynote speaker person guys folk ansatte
medarbejdere ingeniorer talere foredrag oplaeg gens ingenieurs intervenants conferences
presentation someone anyone everyone""".split())
BY = frozenset("from by at fra af hos chez par de".split())
SAY = frozenset("""say present talk speak share show demo announce discuss tell explain cover
said presented talked spoke shared showed demoed announced discussed told explained covered
sagde praesenterede talte fortalte viste dit presente parle montre annonce""".split())
DID = frozenset("did do does".split())
# A company's own event ("GitLab Commit", "Google Cloud Next") is a topic, not its people.
EVENT_AFTER = frozenset("commit con summit day days conference meetup connect next".split())
# What is left of an overview question once its filters are taken out.
OVERVIEW_WORDS = frozenset("""what which whats happened happen happening was were is are about
at in on the a an talks talk presented present did do does say said show showed talked there
we have notes note of from by people give gave given conference overview summary summarize
summarise everything all any anything go went during year s it new cover covered folks
hvad skete der pa i var om foredrag praesenterede sagde talte alle hvilke fra af folk blev
har vi noter til med en et den sket
qu que quoi est il s passe passé a au aux t presente dit les des conferences de y eu quels
quelles ont gens lors l la le ce qui sujet sujets""".split()) | ANCHORS | PEOPLE | SAY


@dataclass(frozen=True)
class Token:
    word: str        # folded
    raw: str
    start: int
    end: int


@dataclass
class Reading:
    """What the scan found, before it is checked against explicit filters."""

    regions: set[str] = field(default_factory=set)
    cities: set[str] = field(default_factory=set)
    year: int | None = None
    year_hard: bool = False
    company: str = ""
    company_hard: bool = False
    speaker: str = ""
    used: set[int] = field(default_factory=set)       # token positions that named a filter
    strip: set[int] = field(default_factory=set)      # ... and the words around them ("at")


def without_switch(query: str) -> tuple[str, bool]:
    """The question without `filters:off`, and whether it was there."""
    found = re.search(r"(?<!\S)filters:off(?!\S)", query, re.I)
    if not found:
        return query, False
    return re.sub(r"\s+", " ", query[:found.start()] + query[found.end():]).strip(), True


def tokens(text: str) -> list[Token]:
    return [Token(fold(m.group()), m.group(), m.start(), m.end())
            for m in TOKEN_RE.finditer(text)]


def _word(toks: Sequence[Token], i: int) -> str:
    return toks[i].word if 0 <= i < len(toks) else ""


def _longest(toks: Sequence[Token], i: int, names: dict[tuple[str, ...], str]) -> tuple[str, int]:
    """(the name, its length in tokens) of the longest known name starting at token i."""
    for n in range(min(MAX_NGRAM, len(toks) - i), 0, -1):
        key = tuple(t.word for t in toks[i:i + n])
        if key in names:
            return names[key], n
    return "", 0


def _scan_names(toks: Sequence[Token], vocab: Vocabulary, reading: Reading) -> None:
    """Speakers (full names), cities and companies, longest first."""
    i = 0
    while i < len(toks):
        name, n = _longest(toks, i, vocab.speakers)
        if n:
            reading.speaker = reading.speaker or name
            reading.used.update(range(i, i + n))
            i += n
            continue
        city, n = _longest(toks, i, vocab.cities)
        if toks[i].raw == "LA":
            city, n = "Los Angeles", 1
        if n and city in vocab.city_events:
            reading.cities.add(city)
            _use(reading, range(i, i + n), toks, strip=True)
            i += n
            continue
        company, n = _longest(toks, i, vocab.companies)
        if n and (n > 1 or len(toks[i].raw) > 3 or toks[i].raw.isupper()):
            _read_company(toks, i, n, company, reading, vocab.projects)
            i += n
            continue
        i += 1


def _use(reading: Reading, span: Iterable[int], toks: Sequence[Token], strip: bool) -> None:
    span = list(span)
    reading.used.update(span)
    if strip:
        reading.strip.update(span)
        before = span[0] - 1
        if _word(toks, before) in BY | YEAR_BEFORE:
            reading.strip.add(before)


def _read_company(toks: Sequence[Token], i: int, n: int, company: str, reading: Reading,
                  projects: frozenset[str]) -> None:
    """A company as people (a filter), as a bare name (a boost; not for a name that is mostly
    a project's, "Prometheus") or as an owner (nothing)."""
    after, after2 = _word(toks, i + n), _word(toks, i + n + 1)
    before, before2 = _word(toks, i - 1), _word(toks, i - 2)
    possessive = after == "s" and toks[i + n].start == toks[i + n - 1].end + 1
    if (possessive and after2 not in PEOPLE) or after in EVENT_AFTER:
        return                                  # "Google's four golden signals": a topic
    hard = (after in PEOPLE or (possessive and after2 in PEOPLE) or after in SAY
            or (before in BY and before2 in PEOPLE)
            or (before in BY - {"at", "de", "fra"} and before2 in SAY)
            or (before in DID and after in SAY)
            or (before in SAY and before2 in ("hvad", "qu", "que", "what")))
    if (reading.company and not hard) or (not hard and company in projects):
        return
    reading.company, reading.company_hard = company, hard or reading.company_hard
    reading.used.update(range(i, i + n))


def _scan_events(toks: Sequence[Token], vocab: Vocabulary, reading: Reading) -> None:
    """Regions and years next to "KubeCon"; years after "in", "i", "en"..."""
    anchors = [i for i, t in enumerate(toks) if t.word in ANCHORS]
    near: set[int] = set()
    for a in anchors:
        near.update(range(max(0, a - 3), min(len(toks), a + 4)))
        reading.strip.add(a)
        if _word(toks, a - 1) in ("the", "at", "a", "in", "til", "pa", "a", "au"):
            reading.strip.add(a - 1)
    for i in sorted(near):
        region = REGION_NAMES.get(toks[i].word)
        if region is None and i + 1 < len(toks):
            region = REGION_NAMES.get(f"{toks[i].word} {toks[i + 1].word}")
            if region:
                _use(reading, (i, i + 1), toks, strip=True)
        elif region:
            _use(reading, (i,), toks, strip=True)
        if region:
            reading.regions.add(region)
    for i, t in enumerate(toks):
        if not (t.word.isdigit() and len(t.word) == 4 and int(t.word) in vocab.years):
            continue
        hard = i in near or _word(toks, i - 1) in YEAR_BEFORE or _word(toks, i + 1) in YEAR_AFTER
        if reading.year is None or (hard and not reading.year_hard):
            reading.year, reading.year_hard = int(t.word), hard
            _use(reading, (i,), toks, strip=hard)


def _events(reading: Reading, vocab: Vocabulary) -> tuple[str, ...]:
    """The events the regions and cities name (all of them must hold), with the year if hard."""
    chosen: set[str] | None = None
    for region in reading.regions:
        chosen = _meet(chosen, {e for e, info in vocab.events.items() if info.region == region})
    for city in reading.cities:
        chosen = _meet(chosen, set(vocab.city_events[city]))
    if chosen and reading.year and reading.year_hard:
        chosen = {e for e in chosen if vocab.events[e].year == reading.year} or chosen
    return tuple(sorted(chosen or ()))


def _meet(chosen: set[str] | None, more: set[str]) -> set[str]:
    if chosen is None:
        return more
    return chosen & more or chosen | more


def _labels(events: Sequence[str], reading: Reading, vocab: Vocabulary, year: int | None,
            company: str, speaker: str) -> tuple[str, ...]:
    labels: list[str] = []
    if len(events) == 1:
        labels.append(vocab.events[events[0]].label)
    elif events and reading.regions:
        labels.append("KubeCon " + " / ".join(sorted(vocab.region_label(r) for r in reading.regions)))
    if year and not (len(events) == 1 and vocab.events[events[0]].year == year):
        labels.append(str(year))
    labels.extend(sorted(reading.cities))
    if company:
        labels.append(f"from {company}")
    if speaker:
        labels.append(f"by {speaker}")
    return tuple(labels)


def understand(text: str, vocab: Vocabulary, explicit: Filters = Filters()
               ) -> tuple[Understood, str]:
    """(the filters the question's words imply, the text to search). Explicit filters win: a
    kind they set is not read from the words. The searched text is the whole question: the
    words that named a filter also say what a passage is about (a note's intro that counts
    the people "at KubeCon in Copenhagen"); the filter is applied as a mask."""
    toks = tokens(text)
    reading = Reading()
    _scan_names(toks, vocab, reading)
    _scan_events(toks, vocab, reading)
    events = () if explicit.event else _events(reading, vocab)
    year = reading.year if reading.year_hard and not explicit.year else None
    company = reading.company if reading.company_hard and not explicit.company else ""
    speaker = reading.speaker if not explicit.speaker else ""
    boost = Filters(year=None if year or explicit.year or reading.year_hard else reading.year,
                    company="" if reading.company_hard or explicit.company else reading.company)
    labels = _labels(events, reading, vocab, year, company, speaker)
    rest = [t for i, t in enumerate(toks) if i not in reading.used and i not in reading.strip]
    hard = bool(events or year or company)
    overview = hard and not speaker and all(t.word in OVERVIEW_WORDS for t in rest)
    understood = Understood(events=events, year=year, company=company, speaker=speaker,
                            boost=boost, labels=labels, overview=overview)
    return understood, text
