"""Matching talks from the notes to official catalog entries: same event, fuzzy title, speakers.

A talk is compared with every entry of its event and year. Its title score is the best over
its title, its heading label and its schedule-link slug: a weighted F-measure of the words both
titles share (typos allowed, rare words weigh more, `Keynote:` / `(Tutorial)` / `[A]` ignored,
`intro` / `deep dive` only counted against a match when both sides name one), scaled down when
the shared words are too few or too common to identify a talk; one side may also be the other's
main title or subtitle (`Switching Horses Midstream: The Challenges of ...`), at a discount.
A shared speaker adds a bonus, speakers on both sides with none in common a malus. The same
recording linked on both sides decides alone. Below `threshold`, with a runner-up within
`margin`, or for a heading that joins two sessions (`Opening Remarks + Keynote: ...`), the talk
stays unmatched: a wrong recording is worse than none.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from rapidfuzz import fuzz

from ..models import Talk

if TYPE_CHECKING:
    from .entries import CatalogEntry

THRESHOLD = 0.8          # least score for a link
MARGIN = 0.06            # a runner-up this close makes the talk ambiguous
SPEAKER_BONUS = 0.12
SPEAKER_MALUS = 0.25
PART_DISCOUNT = 0.85     # most a main-title-only or subtitle-only match can score
PART_SPLIT_RE = re.compile(r"\s*:\s+|\s+[-–—]\s+")
MIN_MASS = 8.0           # shared-word weight (idf) below which a title score is scaled down
PRIOR_TITLES = 1000      # see Weights.idf

KIND_PREFIX_RE = re.compile(
    r"^\s*(?:sponsored keynote|keynote panel|keynote|lightning talk|tutorial|workshop|"
    r"panel discussion|panel|session|talk)\s*(?::|\s[-–—]\s)\s*", re.I)
SUFFIX_RE = re.compile(
    r"\s*[(\[](?:tutorial|session|workshop|panel|keynote|talk|lightning talk|A|B|I|N|All|"
    r"(?:any|beginner|intermediate|advanced) skill level)[)\]]\s*$", re.I)
STOPWORDS = frozenset(
    "a an the of for to and or in on with at by your you our my we us is are be it its from "
    "into as vs via how what why when who this that".split())
# Words that say what kind of session it is rather than what it is about: they weigh
# nothing, and `intro` versus `deep dive` only counts against a match when both sides say it.
KIND_WORDS = frozenset("keynote session talk tutorial panel workshop lightning".split())
MARKERS = {"intro": "intro", "introduction": "intro", "deep": "deep", "dive": "deep"}
SYNONYMS = {"k8s": "kubernetes", "apps": "applications", "app": "application",
            "practises": "practices", "practise": "practice"}
YOUTUBE_RE = re.compile(r"(?:youtube\.com/(?:watch\?(?:.*&)?v=|live/|embed/)|youtu\.be/)([\w-]{11})")
SCHED_RE = re.compile(r"sched\.com/event/[^/\s]+/([^/?#\s]+)")


def video_id(url: str) -> str:
    """The YouTube id of a recording link ('' for other links)."""
    m = YOUTUBE_RE.search(url)
    return m.group(1) if m else ""


@lru_cache(maxsize=65536)
def clean_title(title: str) -> str:
    """A title without `Keynote:`-style kind prefixes and `(Tutorial)`/`[A]` suffixes."""
    text = title.strip()
    for _ in range(2):
        text = KIND_PREFIX_RE.sub("", text)
        text = SUFFIX_RE.sub("", text)
    return text.strip()


@lru_cache(maxsize=65536)
def words(text: str) -> tuple[str, ...]:
    """Lower-case ASCII words of a title, apostrophes dropped, synonyms folded."""
    norm = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    norm = re.sub(r"['’`]", "", norm).replace("&", " and ")
    return tuple(SYNONYMS.get(w, w) for w in re.findall(r"[a-z0-9]+", norm))


def content(tokens: Iterable[str]) -> list[str]:
    return [t for t in tokens if t not in STOPWORDS]


@lru_cache(maxsize=262144)
def _similar(a: str, b: str) -> bool:
    if a == b:
        return True
    shortest = min(len(a), len(b))
    if shortest < 3 or a[0] != b[0] or 3 * shortest < 2 * max(len(a), len(b)) \
            or a.isdigit() or b.isdigit():
        return False                  # cannot reach the ratio below (or a number)
    return fuzz.ratio(a, b) >= (85 if shortest < 5 else 80)


class Weights:
    """Inverse document frequency of title words over the whole catalog."""

    def __init__(self, titles: Sequence[Sequence[str]]) -> None:
        self.n = len(titles)
        self.df: Counter[str] = Counter(t for title in titles for t in set(title))
        self.cache: dict[str, float] = {}

    def idf(self, token: str) -> float:
        # PRIOR_TITLES pretends a small catalog is part of a large one, so that a user's
        # one-event list does not make every word look common.
        return math.log((self.n + PRIOR_TITLES) / (self.df.get(token, 0) + 0.5)) + 0.1

    def __call__(self, token: str) -> float:
        w = self.cache.get(token)
        if w is None:
            w = self.cache[token] = 0.0 if token in KIND_WORDS or token in MARKERS \
                else self.idf(token)
        return w


def _coverage(source: list[str], target: list[str], weight: Weights) -> tuple[float, float]:
    """(share of source's weight found in target, that weight)."""
    total = sum(weight(t) for t in source)
    if total <= 0:
        return 0.0, 0.0
    have = set(target)
    found = sum(weight(t) for t in source
                if t in have or any(_similar(t, u) for u in target if u[0] == t[0]))
    return found / total, found


def _markers(tokens: Sequence[str]) -> set[str]:
    return {MARKERS[t] for t in tokens if t in MARKERS}


def _pair_score(ta: Sequence[str], tb: Sequence[str], weight: Weights, both: set[str]) -> float:
    """Weighted F-measure of shared words (or near-identical spelling), scaled by their weight."""
    ca, cb = content(ta), content(tb)
    (cov_a, mass), (cov_b, _) = _coverage(ca, cb, weight), _coverage(cb, ca, weight)
    f = 2 * cov_a * cov_b / (cov_a + cov_b) if cov_a + cov_b else 0.0
    ra, rb = " ".join(ta), " ".join(tb)
    r = fuzz.ratio(ra, rb) / 100 if min(len(ra), len(rb)) >= 30 else 0.0
    r = r if r >= 0.9 else 0.0      # only near-identical long titles: typos, not boilerplate
    mass += sum(weight.idf(t) for t in set(ca) & set(cb) if MARKERS.get(t) in both)
    return max(f, r) * min(1.0, mass / MIN_MASS)   # one common word is not a match


def _parts(title: str) -> list[tuple[str, ...]]:
    """`Main: Subtitle` -> the words of each side that can stand alone (two words or more)."""
    pieces = PART_SPLIT_RE.split(title)
    if len(pieces) < 2:
        return []
    return [w for w in (words(p) for p in pieces) if len(_topical(w)) >= 2]


def _topical(tokens: Sequence[str]) -> list[str]:
    """Words that say what a talk is about (`CRI-O` alone is one: `cri`)."""
    return [t for t in content(tokens) if len(t) > 1 and t not in KIND_WORDS and t not in MARKERS]


def joins_sessions(title: str) -> bool:
    """`Opening Remarks + Keynote: Kubernetes Community`: one heading, two sessions."""
    pieces = re.split(r"\s\+\s", clean_title(title))
    return len(pieces) > 1 and all(len(content(words(p))) >= 2 for p in pieces)


def title_score(note: str, entry: str, weight: Weights, markers: set[str] | None = None) -> float:
    """How alike two titles are, 0..1 (`entry` may end in '...' when the catalog cut it).

    Identical words score 1. One side may be the other's main title or subtitle
    (`Switching Horses Midstream: The Challenges of ...`): that scores PART_DISCOUNT at most.
    markers: the talk's `intro` / `deep` session markers when known from its other names."""
    a, b = clean_title(note), clean_title(entry)
    truncated = b.endswith(("...", "…"))
    b = b.rstrip(".… ")
    ta, tb = words(a), words(b)
    if not ta or not tb:
        return 0.0
    if truncated:
        ta = ta[: len(tb) + 1]
    ma, mb = _markers(ta) | (markers or set()), _markers(tb)
    if ta == tb:
        score = 1.0
    else:
        score = _pair_score(ta, tb, weight, ma & mb)
        for part in _parts(a) if not truncated else []:
            score = max(score, PART_DISCOUNT * _pair_score(part, tb, weight, ma & mb))
        for part in _parts(b):
            score = max(score, PART_DISCOUNT * _pair_score(ta, part, weight, ma & mb))
    if ma and mb and not ma & mb:
        score -= 0.3            # `Intro: X` is not `X Deep Dive`
    return max(score, 0.0)


def slug_score(slug: str, entry: str, weight: Weights) -> float:
    """A schedule link's slug starts with the talk's title: compare the entry with that start."""
    tokens = words(slug.replace("-", " "))
    tb = words(clean_title(entry).rstrip(".… "))
    if len(content(tb)) < 2 or not tokens:
        return 0.0
    best = 0.0
    for n in (len(tb) - 1, len(tb), len(tb) + 1):
        window = " ".join(tokens[:n])
        best = max(best, title_score(window, " ".join(tb), weight))
    return best


def same_person(a: str, b: str) -> bool:
    return fuzz.token_sort_ratio(a.lower(), b.lower()) >= 85


def speaker_evidence(talk: Talk, entry: CatalogEntry) -> int:
    """1 when a speaker is shared, -1 when both list speakers and none is, else 0."""
    if not talk.speakers or not entry.speakers:
        return 0
    if any(same_person(a, b) for a in talk.speakers for b in entry.speakers):
        return 1
    return -1


@dataclass(frozen=True)
class Candidate:
    entry: CatalogEntry
    score: float
    evidence: tuple[str, ...]


@lru_cache(maxsize=65536)
def _stems(text: str) -> frozenset[str]:
    return frozenset(t[:2] for t in _topical(words(text.replace("-", " "))))


def _may_share_words(texts: tuple[str, ...], entry: str) -> bool:
    """Cheap test: could any talk name share a (fuzzily) same word with the entry's title?"""
    mine = frozenset().union(*(_stems(t) for t in texts if t))
    return bool(mine & _stems(entry))


def _weighed_words(text: str) -> set[str]:
    """The words of a title that weigh in its score (`Weights`: not kind words or markers)."""
    return {t for t in content(words(text)) if t not in KIND_WORDS and t not in MARKERS}


class EntryWords:
    """Which entries of a group have a word `_similar` to one of a talk's: only those can score
    above 0 on titles (a word must be shared, or nearly, for any weight to be found)."""

    def __init__(self, entries: Sequence[CatalogEntry]) -> None:
        self.entries: dict[str, set[int]] = {}
        for entry in entries:
            for w in _weighed_words(entry.title):
                self.entries.setdefault(w, set()).add(id(entry))
        self.by_letter: dict[str, list[str]] = {}
        for w in self.entries:
            self.by_letter.setdefault(w[0], []).append(w)

    def sharing(self, texts: Iterable[str]) -> set[int]:
        """ids of the entries with a word like one of the texts' words."""
        mine = set().union(*(_weighed_words(t) for t in texts if t))
        out: set[int] = set()
        for t in mine:
            for u in self.by_letter.get(t[0], ()):
                if _similar(t, u):
                    out |= self.entries[u]
        return out


def _slugs(talk: Talk) -> list[str]:
    return [m.group(1) for m in (SCHED_RE.search(k.url) for k in talk.links) if m]


def score_entry(talk: Talk, entry: CatalogEntry, weight: Weights,
                sharing: set[int] | None = None) -> Candidate:
    """The talk's score against one catalog entry and what it rests on. `sharing`: the ids of
    the entries `EntryWords.sharing` found for the talk (the others score 0 without a look)."""
    talk_videos = {video_id(link.url) for link in talk.links} - {""}
    if entry.video and video_id(entry.video) in talk_videos:
        return Candidate(entry, 1.0, ("same recording",))
    best, how = 0.0, ""
    slugs = _slugs(talk)
    if sharing is not None and id(entry) not in sharing or \
            not _may_share_words((talk.title, talk.label, *slugs), entry.title):
        return Candidate(entry, 0.0, ())
    markers = _markers(words(talk.title)) | _markers(words(talk.label))
    for label, text in (("title", talk.title), ("heading", talk.label)):
        if text:
            s = title_score(text, entry.title, weight, markers)
            if s > best:
                best, how = s, label
    for slug in slugs:
        s = slug_score(slug, entry.title, weight)
        if s > best:
            best, how = s, "schedule link"
    evidence = [f"{how} {best:.2f}"] if how else []
    sp = speaker_evidence(talk, entry)
    if sp > 0:
        best += SPEAKER_BONUS
        evidence.append("speaker")
    elif sp < 0:
        best -= SPEAKER_MALUS
        evidence.append("other speakers")
    return Candidate(entry, round(min(max(best, 0.0), 1.0), 4), tuple(evidence))


@dataclass(frozen=True)
class Match:
    talk_id: str
    title: str
    entry: CatalogEntry
    score: float
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class Miss:
    talk_id: str
    title: str
    event: str
    reason: str
    candidates: tuple[Candidate, ...] = ()


@dataclass
class MatchReport:
    matched: list[Match] = field(default_factory=list)
    unmatched: list[Miss] = field(default_factory=list)
    ambiguous: list[Miss] = field(default_factory=list)
    threshold: float = THRESHOLD

    def entry_for(self, talk_id: str) -> CatalogEntry | None:
        return next((m.entry for m in self.matched if m.talk_id == talk_id), None)

    def counts(self) -> dict[str, dict[str, int]]:
        """matched / unmatched / ambiguous per event."""
        out: dict[str, dict[str, int]] = {}
        rows = [(m.entry.event, "matched") for m in self.matched]
        rows += [(m.event, "unmatched") for m in self.unmatched]
        rows += [(m.event, "ambiguous") for m in self.ambiguous]
        for event, key in rows:
            out.setdefault(event, {"matched": 0, "unmatched": 0, "ambiguous": 0})[key] += 1
        return dict(sorted(out.items()))

    def to_dict(self) -> dict[str, Any]:
        def cand(c: Candidate) -> dict[str, Any]:
            return {"title": c.entry.title, "video": c.entry.video, "score": c.score,
                    "evidence": list(c.evidence)}

        def miss(m: Miss) -> dict[str, Any]:
            return {"talk_id": m.talk_id, "title": m.title, "event": m.event,
                    "reason": m.reason, "candidates": [cand(c) for c in m.candidates]}
        return {
            "threshold": self.threshold,
            "counts": self.counts(),
            "matched": [{"talk_id": m.talk_id, "title": m.title, "official_title": m.entry.title,
                         "event": m.entry.event, "video": m.entry.video, "score": m.score,
                         "evidence": list(m.evidence)} for m in self.matched],
            "unmatched": [miss(m) for m in self.unmatched],
            "ambiguous": [miss(m) for m in self.ambiguous],
        }

    def to_text(self) -> str:
        lines = [f"Catalog matching (threshold {self.threshold:.2f}): {len(self.matched)} matched, "
                 f"{len(self.unmatched)} unmatched, {len(self.ambiguous)} ambiguous"]
        for event, c in self.counts().items():
            lines.append(f"  {event}: {c['matched']} matched, {c['unmatched']} unmatched, "
                         f"{c['ambiguous']} ambiguous")
        if self.matched:
            lines += ["", "Matched:"]
            for m in self.matched:
                same = "" if _same_title(m.title, m.entry.title) else f" -> {m.entry.title!r}"
                lines.append(f"  {m.score:.2f} {m.talk_id}{same} [{', '.join(m.evidence)}]"
                             f" {m.entry.video}".rstrip())
        for name, misses in (("Ambiguous", self.ambiguous), ("Unmatched", self.unmatched)):
            if misses:
                lines += ["", f"{name}:"]
                for miss in misses:
                    lines.append(f"  {miss.talk_id}: {miss.reason}")
                    for cand in miss.candidates:
                        lines.append(f"      {cand.score:.2f} {cand.entry.title!r} "
                                     f"[{', '.join(cand.evidence)}]")
        return "\n".join(lines) + "\n"


def _same_title(a: str, b: str) -> bool:
    return words(clean_title(a)) == words(clean_title(b))


def match_talks(talks: list[Talk], entries: list[CatalogEntry], threshold: float = THRESHOLD,
                margin: float = MARGIN) -> MatchReport:
    """Match every talk to the catalog entry of its event and year, or say why not."""
    by_event: dict[tuple[str, int], list[CatalogEntry]] = {}
    for entry in entries:
        by_event.setdefault((entry.event, entry.year), []).append(entry)
    words_of: dict[tuple[str, int], EntryWords] = {}
    weight = Weights([content(words(clean_title(e.title))) for e in entries])
    report = MatchReport(threshold=threshold)
    claimed: dict[tuple[str, int], Match] = {}     # (note path, entry index) -> match
    for talk in talks:
        key = (talk.event, talk.year)
        group = by_event.get(key, [])
        if not group:
            report.unmatched.append(Miss(talk.id, talk.title, talk.event,
                                         f"no catalog entries for {talk.event} {talk.year}"))
            continue
        if key not in words_of:
            words_of[key] = EntryWords(group)
        sharing = words_of[key].sharing((talk.title, talk.label, *_slugs(talk)))
        ranked = sorted((score_entry(talk, e, weight, sharing) for e in group),
                        key=lambda c: -c.score)
        best = ranked[0]
        runner = ranked[1] if len(ranked) > 1 else None
        top = tuple(c for c in ranked[:3] if c.score > 0)
        if best.score < threshold:
            report.unmatched.append(Miss(talk.id, talk.title, talk.event,
                                         f"best score {best.score:.2f} < {threshold:.2f}", top))
            continue
        decisive = "same recording" in best.evidence and \
            (runner is None or "same recording" not in runner.evidence)
        if not decisive and joins_sessions(talk.title):
            report.ambiguous.append(Miss(talk.id, talk.title, talk.event,
                                         "the heading joins several sessions", top))
            continue
        if runner is not None and not decisive and best.score - runner.score < margin:
            close = tuple(c for c in ranked if best.score - c.score < margin)
            report.ambiguous.append(Miss(talk.id, talk.title, talk.event,
                                         f"{len(close)} entries score within {margin:.2f}", close))
            continue
        match = Match(talk.id, talk.title, best.entry, best.score, best.evidence)
        slot = (talk.note.path if talk.note else talk.id, id(best.entry))
        other = claimed.get(slot)
        if other is not None:       # two headings of one note cannot be the same talk
            loser, winner = (match, other) if other.score >= match.score else (other, match)
            claimed[slot] = winner
            if winner is match:
                report.matched.remove(other)
                report.matched.append(match)
            report.unmatched.append(Miss(loser.talk_id, loser.title, loser.entry.event,
                                         f"{loser.entry.title!r} already matched by "
                                         f"{winner.talk_id}", (best,)))
            continue
        claimed[slot] = match
        report.matched.append(match)
    return report
