"""What catalog matching found: each note talk matched, unmatched or ambiguous, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .entries import CatalogEntry
from .titles import THRESHOLD, clean_title, words


@dataclass(frozen=True)
class Candidate:
    entry: CatalogEntry
    score: float
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    """A note talk and the catalog entry it was matched to."""

    talk_id: str
    title: str
    entry: CatalogEntry
    score: float
    evidence: tuple[str, ...] = ()           # "title 0.93", "speaker", "same recording"


@dataclass(frozen=True)
class Miss:
    """A note talk left without a catalog entry, and why (the best candidates, if any)."""

    talk_id: str
    title: str
    event: str
    reason: str                              # "best score 0.42 < 0.80", ...
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
