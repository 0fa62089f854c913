"""Score follow-ups in Slack threads: recall of the follow-ups with the thread as context and
without it, and side remarks the bot would wrongly answer.

    python scripts/followup_eval.py [eval/followups.yaml] [--index DIR] [--json]

Each conversation's first question goes through the real retriever (the configured model, the
index at --index or INDEX_DIR); its answer becomes the thread's earlier turn exactly as the bot
records it (question, filters, asker, cited talks). Then the follow-up is
- decided on by `bot.threads.for_the_bot` (as the bot decides, from the raw Slack text);
- searched with the query `bot.followups.build` makes from the thread ("with context"), and
  as asked ("without context"); the rank is that of the first talk with notes whose title
  contains an `expect` string (`index.search.evaluation.first_match`).
Targets: with context recall@1 >= 0.85 and recall@5 >= 0.95, both above without context, and
no side remark answered. Exit 0 when all pass, 1 otherwise."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.escape import clean_incoming  # noqa: E402
from bot.followups import build, tidy  # noqa: E402
from bot.threads import Cited, Turn, cited_talks, for_the_bot  # noqa: E402
from index.search.evaluation import first_match  # noqa: E402

BOT, ASKER, OTHER = "UBOT0001", "U0ASKER1", "U0OTHER1"
FILE = ROOT / "eval" / "followups.yaml"


def ranks(retriever: Any, query: str, expect: list[str], k: int = 5) -> int | None:
    answer = retriever.search(query, k=k)
    return first_match([(r.talk.title, r.talk.has_notes) for r in answer.results], tuple(expect))


def score(retriever: Any, item: dict[str, Any]) -> dict[str, Any]:
    """One conversation: the bot's decision, and the follow-up's ranks with and without context."""
    first = retriever.search(item["first"], k=3)
    turn = Turn(asked=item["first"], filters=first.filters.describe(), asker=ASKER,
                talks=tuple(Cited(*t) for t in cited_talks(first)))
    raw = str(item["followup"])
    event = {"user": OTHER if item.get("user") == "other" else ASKER, "text": raw}
    question = clean_incoming(raw, BOT)
    out: dict[str, Any] = {"first": item["first"], "followup": raw, "kind": item["kind"],
                           "answered": for_the_bot(event, question, [turn], BOT)}
    if item["kind"] != "side":
        query = build(question, [turn]).query
        out |= {"query": query, "with": ranks(retriever, query, item["expect"]),
                "without": ranks(retriever, tidy(question), item["expect"])}
    return out


def recall(rows: list[dict[str, Any]], key: str, k: int) -> float:
    return round(sum(1 for r in rows if r[key] and r[key] <= k) / max(1, len(rows)), 4)


def report(rows: list[dict[str, Any]]) -> dict[str, Any]:
    asked = [r for r in rows if r["kind"] != "side"]
    side = [r for r in rows if r["kind"] == "side"]
    out = {"followups": len(asked), "side_remarks": len(side),
           "with_context": {"recall@1": recall(asked, "with", 1), "recall@5": recall(asked, "with", 5)},
           "without_context": {"recall@1": recall(asked, "without", 1),
                               "recall@5": recall(asked, "without", 5)},
           "side_remarks_answered": sum(1 for r in side if r["answered"]),
           "followups_not_answered": sum(1 for r in asked if not r["answered"])}
    w, wo = out["with_context"], out["without_context"]
    out["pass"] = (w["recall@1"] >= 0.85 and w["recall@5"] >= 0.95 and w["recall@1"] > wo["recall@1"]
                   and w["recall@5"] > wo["recall@5"] and out["side_remarks_answered"] == 0)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=FILE)
    parser.add_argument("--index", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from index.search.retriever import retriever_for
    from index.settings import load_index_settings

    retriever = retriever_for(load_index_settings(), index_dir=args.index)
    rows = [score(retriever, item) for item in yaml.safe_load(args.file.read_text("utf-8"))]
    summary = report(rows)
    if args.json:
        print(json.dumps({"summary": summary, "conversations": rows}, ensure_ascii=False, indent=1))
    else:
        for r in rows:
            ranks_shown = "" if r["kind"] == "side" else f"with {r['with']} without {r['without']}"
            print(f"{r['kind']:6} answered={str(r['answered']):5} {ranks_shown:22} {r['followup'][:60]}")
        print(json.dumps(summary))
    return 0 if summary["pass"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
