"""Recall@k and MRR of a retriever over a questions file (pure functions + a loader)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

import yaml

from ..errors import KubeconBotError


@dataclass(frozen=True)
class Question:
    q: str
    expect: tuple[str, ...]
    lang: str = ""
    catalog: bool = False     # answered by a talk known only from the catalog (no notes)


class Returned(NamedTuple):
    """A talk the retriever returned, as evaluation sees it."""

    title: str
    has_notes: bool


@dataclass(frozen=True)
class Outcome:
    question: Question
    rank: int | None          # 1-based rank of the first matching talk, None if not found
    titles: tuple[str, ...]   # the titles returned, best first


def load_questions(path: Path) -> list[Question]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KubeconBotError(f"cannot read questions file {path}: {exc}") from exc
    if not isinstance(data, list):
        raise KubeconBotError(f"{path} must be a YAML list of {{q: ..., expect: [...]}}")
    out = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict) or "q" not in item or "expect" not in item:
            raise KubeconBotError(f"{path}: item {i} needs 'q' and 'expect'")
        if not isinstance(item.get("catalog", False), bool):
            raise KubeconBotError(f"{path}: item {i}'s 'catalog' must be true or false")
        out.append(Question(str(item["q"]), tuple(str(e) for e in item["expect"] or ()),
                            str(item.get("lang", "")), item.get("catalog", False)))
    return out


def first_match(talks: Sequence[tuple[str, bool]], expect: tuple[str, ...],
                catalog: bool = False) -> int | None:
    """1-based rank of the first (title, has_notes) talk whose title contains an expected
    string; a talk without notes counts only when `catalog` accepts catalog-only talks."""
    for i, (title, has_notes) in enumerate(talks, 1):
        if (has_notes or catalog) and any(e.lower() in title.lower() for e in expect):
            return i
    return None


def as_answered(questions: list[Question], catalog_results: bool) -> list[Question]:
    """The questions as a retriever should answer them: without catalog results (or catalog
    records), a question only the catalog answers must be refused, like an unanswerable one."""
    if catalog_results:
        return questions
    return [replace(q, expect=()) if q.catalog else q for q in questions]


def evaluate(questions: list[Question],
             talks_for: Callable[[str], Sequence[tuple[str, bool]]]) -> list[Outcome]:
    """Rank of each question's first expected talk; `talks_for` gives (title, has_notes) pairs."""
    out = []
    for q in questions:
        talks = [Returned(*t) for t in talks_for(q.q)]
        rank = first_match(talks, q.expect, q.catalog) if q.expect else None
        out.append(Outcome(q, rank, tuple(t.title for t in talks)))
    return out


def metrics(outcomes: list[Outcome], ks: tuple[int, ...] = (1, 3, 5)) -> dict[str, Any]:
    """Recall@k and MRR over questions with expectations; floor accuracy over the others."""
    pos = [o for o in outcomes if o.question.expect]
    neg = [o for o in outcomes if not o.question.expect]
    res: dict[str, Any] = {"questions": len(pos)}
    for k in ks:
        res[f"recall@{k}"] = round(sum(1 for o in pos if o.rank and o.rank <= k) / max(1, len(pos)), 4)
    res["mrr"] = round(sum(1 / o.rank for o in pos if o.rank) / max(1, len(pos)), 4)
    if neg:
        res["unanswerable"] = len(neg)
        res["unanswerable_refused"] = round(sum(1 for o in neg if not o.titles) / len(neg), 4)
    return res
