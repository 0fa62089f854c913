"""Evaluating filters read from a question's words (issue 18): of the top 3 talks, the share
that satisfy the filter the question implies; topic questions wrongly filtered; topic recall@k
beside the same questions asked with explicit filters. Pure functions plus a loader."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import KubeconBotError
from ..models import Talk
from ..text import fold

KEYS = ("events", "year", "company", "speaker")


@dataclass(frozen=True)
class Implied:
    q: str
    implies: tuple[tuple[str, Any], ...]    # (key, value) pairs of KEYS
    topic: bool = False                     # its numbers and names are its topic: no filter
    explicit: str = ""                      # the same question with explicit filters


@dataclass(frozen=True)
class ImpliedOutcome:
    question: Implied
    top: tuple[Talk, ...]       # the top 3 talks
    filtered: bool              # whether a filter was read from the question's words
    rank: int | None            # rank of the first expected talk, asked as written
    explicit_rank: int | None   # ... asked with explicit filters (None without a variant)


def load_implied(path: Path) -> list[Implied]:
    """The entries of a questions file that carry `implies` or `topic` (others are skipped)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KubeconBotError(f"cannot read questions file {path}: {exc}") from exc
    out = []
    for i, item in enumerate(data if isinstance(data, list) else [], 1):
        if not isinstance(item, dict) or not ("implies" in item or item.get("topic")):
            continue
        implies = item.get("implies") or {}
        if not isinstance(implies, dict) or set(implies) - set(KEYS):
            raise KubeconBotError(f"{path}: item {i}'s 'implies' takes only {', '.join(KEYS)}")
        out.append(Implied(str(item["q"]), tuple(sorted(implies.items())),
                           bool(item.get("topic", False)), str(item.get("explicit", ""))))
    return out


def _has(values: Sequence[str], wanted: str) -> bool:
    return any(fold(wanted) in fold(v) for v in values)


def satisfies(talk: Talk, implies: tuple[tuple[str, Any], ...]) -> bool:
    """Whether a talk matches every part of the implied filter."""
    for key, value in implies:
        if key == "events" and talk.event not in value:
            return False
        if key == "year" and talk.year != int(value):
            return False
        if key == "company" and not _has(talk.companies, str(value)):
            return False
        if key == "speaker" and not _has(talk.speakers, str(value)):
            return False
    return True


def implicit_metrics(outcomes: Sequence[ImpliedOutcome], k: int = 5) -> dict[str, Any]:
    """filter_precision@3 over questions that imply a filter; topic questions wrongly filtered;
    recall@k of the questions with an explicit variant, asked both ways."""
    implied = [o for o in outcomes if o.question.implies]
    top = [(t, o.question.implies) for o in implied for t in o.top]
    topic = [o for o in outcomes if o.question.topic]
    paired = [o for o in outcomes if o.question.explicit]

    def recall(ranks: list[int | None]) -> float:
        return round(sum(1 for r in ranks if r and r <= k) / max(1, len(ranks)), 4)

    return {
        "implied_questions": len(implied),
        "filter_precision@3": round(sum(satisfies(t, i) for t, i in top) / max(1, len(top)), 4),
        f"implied_recall@{k}": recall([o.rank for o in implied]),
        "topic_questions": len(topic),
        "topic_wrongly_filtered": sum(1 for o in topic if o.filtered),
        f"topic_recall@{k}": recall([o.rank for o in topic]),
        "paired_questions": len(paired),
        f"paired_recall@{k}": recall([o.rank for o in paired]),
        f"paired_explicit_recall@{k}": recall([o.explicit_rank for o in paired]),
    }
