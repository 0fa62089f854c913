"""Scoring a note talk's title against an official catalog title: a weighted F-measure of the
words both share (see matching.py for how scores decide a match), the words and weights it
rests on, recording and schedule-link ids, and same-person names."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Iterable, Sequence

from rapidfuzz import fuzz

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
