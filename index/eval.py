"""`python -m index.eval QUESTIONS.yaml [--index DIR] [--k N] [--json] [--mode M]`: recall@k, MRR."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .cli import open_retriever
from .errors import KubeconBotError
from .search.evaluation import Question, as_answered, evaluate, first_match, load_questions, metrics
from .search.filters import parse_query
from .search.implicit_eval import ImpliedOutcome, implicit_metrics, load_implied
from .models import Answer
from .search.retriever import Retriever


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.eval", description=__doc__)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--index", type=Path, default=None, help="index folder")
    parser.add_argument("--k", type=int, default=5, help="cut-off for recall (default 5)")
    parser.add_argument("--json", action="store_true", help="print a JSON report")
    parser.add_argument("--mode", choices=("hybrid", "dense", "bm25"), default="hybrid",
                        help="retriever to evaluate (default hybrid)")
    args = parser.parse_args(argv)
    try:
        questions = load_questions(args.questions)
    except KubeconBotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    retriever = open_retriever(args.index)
    if retriever is None:
        return 1
    depth = max(args.k, 20)
    # --mode dense|bm25 rank the notes' talks alone: questions only the catalog answers must
    # be refused there, as with CATALOG_RESULTS=false.
    questions = as_answered(questions, retriever.cites_catalog and args.mode == "hybrid")

    filtered: set[str] = set()

    def talks_for(q: str) -> list[tuple[str, bool]]:
        if args.mode == "hybrid":
            answer = retriever.search(q, k=depth)
            talks = [r.talk for r in answer.results]
            if not answer.understood.is_empty():
                filtered.add(q)
        else:
            text, filters = parse_query(q)
            ranked, _, _ = retriever.rank(text, filters, mode=args.mode)
            talks = [retriever.talks[r.talk] for r in ranked[:depth]]
        return [(t.title, t.has_notes) for t in talks]

    outcomes = evaluate(questions, talks_for)
    report = metrics(outcomes, ks=tuple(sorted({1, 3, 5, args.k})))
    report["mode"] = args.mode
    if args.mode == "hybrid":
        report["implicit_filtered"] = len(filtered)
        implicit = _implicit_report(retriever, args.questions, questions, depth, args.k)
        if implicit:
            report["implicit"] = implicit
    if args.json:
        report["per_question"] = [{"q": o.question.q, "lang": o.question.lang, "rank": o.rank,
                                   "top": list(o.titles[:3])} for o in outcomes]
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        for o in outcomes:
            mark = "-" if o.rank is None else str(o.rank)
            print(f"{mark:>3}  [{o.question.lang or '  '}] {o.question.q}")
        print(" ".join(f"{k}={v}" for k, v in report.items()))
    return 0


def _implicit_report(retriever: Retriever, path: Path, questions: list[Question], depth: int,
                     k: int) -> dict[str, object] | None:
    """Issue 18's figures for the entries that say which filter their words imply (None when
    the file has none): filter precision of the top 3, topic questions wrongly filtered, and
    recall asked as written beside the same questions with explicit filters."""
    implied = load_implied(path)
    expect = {q.q: q for q in questions}
    outcomes = []
    for item in implied:
        question = expect[item.q]

        def rank(text: str) -> tuple[int | None, Answer]:
            answer = retriever.search(text, k=depth)
            titles = [(r.talk.title, r.talk.has_notes) for r in answer.results]
            return first_match(titles, question.expect, question.catalog), answer

        found, answer = rank(item.q)
        explicit = rank(item.explicit)[0] if item.explicit else None
        outcomes.append(ImpliedOutcome(item, tuple(r.talk for r in answer.results[:3]),
                                       not answer.understood.is_empty(), found, explicit))
    return implicit_metrics(outcomes, k) if outcomes else None


if __name__ == "__main__":
    sys.exit(main())
