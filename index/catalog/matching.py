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

from functools import lru_cache
from typing import Iterable, Sequence

from ..models import Talk
from .entries import CatalogEntry
from .report import Candidate, Match, MatchReport, Miss
from .titles import (KIND_WORDS, MARGIN, MARKERS, SCHED_RE, SPEAKER_BONUS, SPEAKER_MALUS,
                     THRESHOLD, Weights, _markers, _similar, _topical, clean_title, content,
                     joins_sessions, same_person, slug_score, title_score, video_id, words)


def speaker_evidence(talk: Talk, entry: CatalogEntry) -> int:
    """1 when a speaker is shared, -1 when both list speakers and none is, else 0."""
    if not talk.speakers or not entry.speakers:
        return 0
    if any(same_person(a, b) for a in talk.speakers for b in entry.speakers):
        return 1
    return -1


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
