"""`python -m index.query [--index DIR] [--k N] [--json] "Q"`: answer one question from the index."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .cli import open_retriever
from .errors import QueryError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.query", description=__doc__)
    parser.add_argument("question")
    parser.add_argument("--index", type=Path, default=None, help="index folder")
    parser.add_argument("--k", type=int, default=3, help="number of talks (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    if args.k < 1:
        parser.error("--k must be at least 1")
    retriever = open_retriever(args.index)
    if retriever is None:
        return 1
    try:
        answer = retriever.search(args.question, k=args.k)
    except QueryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    if not answer.results:
        print("Nothing relevant found" + (f" (filters: {answer.filters.describe()})"
                                          if not answer.filters.is_empty() else "") + ".")
        return 0
    for r in answer.results:
        t = r.talk
        who = ", ".join(t.speakers + t.companies)
        print(f"{r.rank}. {t.title}" + (f" — {who}" if who else "") +
              f" ({t.conference or t.event}) [{r.score:.3f}]")
        print(f"   {t.url}")
        if r.passages and r.passages[0].highlight:
            print(f"   > {r.passages[0].highlight}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
