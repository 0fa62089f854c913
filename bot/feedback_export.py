"""`python -m bot feedback export`: the votes, from whichever store is configured (Redis with
REDIS_URL, else the FEEDBACK_PATH file), as JSONL or CSV, to a file or standard output."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

from bot.feedback import FeedbackStore
from bot.settings import Settings
from bot.stores import check_stores, stores_for

FORMATS = ("jsonl", "csv")
COLUMNS = ("time", "user", "helpful", "question", "talk_ids")   # then any extra fields


def add_arguments(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`feedback export [--format jsonl|csv] [--out FILE]` on the CLI's subcommands."""
    feedback = commands.add_parser("feedback", help="the helpful / not helpful votes")
    actions = feedback.add_subparsers(dest="feedback_command", required=True)
    export = actions.add_parser("export", help="every vote, from Redis (REDIS_URL) or "
                                               "FEEDBACK_PATH")
    export.add_argument("--format", choices=FORMATS, default="jsonl",
                        help="one JSON object a line (default), or CSV with a header")
    export.add_argument("--out", type=Path, help="write to FILE (default: standard output)")


def to_jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _cell(value: Any) -> str:
    """A CSV cell: talk ids space-separated, booleans as true/false, other non-text as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ".join(value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def to_csv(records: list[dict[str, Any]]) -> str:
    """A header (the usual fields, then extras in order of first appearance), a row a vote."""
    columns = list(COLUMNS)
    for record in records:
        columns += [key for key in record if key not in columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow(_cell(record[c]) if c in record else "" for c in columns)
    return out.getvalue()


async def _read(store: FeedbackStore, close: Callable[[], Awaitable[None]]) -> list[dict[str, Any]]:
    try:
        return await store.records()
    finally:
        await close()


def run_export(settings: Settings, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Export the votes; raises SettingsError when Redis is configured but unreachable."""
    check_stores(settings)
    stores = stores_for(settings)
    records = asyncio.run(_read(stores.feedback, stores.close))
    text = to_csv(records) if args.format == "csv" else to_jsonl(records)
    if args.out is not None:
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"error: cannot write {args.out} ({exc.strerror or exc}): choose another "
                  "--out, or leave it out to print the votes", file=err)
            return 1
    else:
        out.write(text)
        out.flush()
    where = f" to {args.out}" if args.out is not None else ""
    print(f"exported {len(records)} votes from {stores.feedback.describe()} as {args.format}{where}",
          file=err)
    return 0
