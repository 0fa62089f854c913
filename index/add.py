"""`python -m index.add SOURCE [--event ID] [--author NAME] [--language CODE] [--url URL]
[--corpus DIR] [--dry-run] [--force]`: import notes from where they live (a blog post's URL, a
saved .html page, a Markdown file, a folder of Markdown) into the corpus, or an official
schedule (.ics) into the catalog; prints what it guessed and from what, the talks it finds and
what to check. Never overwrites without --force; --dry-run writes nothing."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from .catalog.entries import CatalogError, load_catalog
from .catalog.schedule import link_sessions, write_schedule
from .errors import SettingError
from .notes.corpus import read_corpus
from .notes.parsing import parse_file
from .settings import load_index_settings
from .sources.events import Event, catalog_events, editions, known_events
from .sources.fetch import Limits, SourceError
from .sources.ical import calendar_year, read_schedule
from .sources.notes import check_target, write_folder, write_note
from .sources.origin import read_source
from .sources.plan import Plan, plan_note, target_of

NEXT = "next: python -m index.check, then python -m index.build"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m index.add", description=__doc__)
    parser.add_argument("source", help="http(s) URL, .html page, .md file, folder of Markdown "
                                       "or .ics schedule")
    parser.add_argument("--event", help="event id (default: guessed), e.g. kubecon-eu-2019")
    parser.add_argument("--author", help="the notes' author (default: from the source)")
    parser.add_argument("--language", help="ISO 639-1 code of the notes (default: the page's)")
    parser.add_argument("--url", help="where the notes are published (for a file or folder "
                                      "that does not say)")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="notes folder (default: $CORPUS_DIR or corpus)")
    parser.add_argument("--dry-run", action="store_true", help="show what would happen; write nothing")
    parser.add_argument("--force", action="store_true", help="replace a note already imported")
    parser.add_argument("--timeout", type=float, default=Limits.timeout, help=argparse.SUPPRESS)
    return parser


def events_for(corpus: Path) -> list[Event]:
    """The events the catalog, the corpus's notes and the known KubeCon editions name."""
    catalog = corpus / "catalog"
    entries = load_catalog(catalog) if catalog.is_dir() else []
    notes = [Event(n.meta.event, n.meta.conference, n.meta.city, n.meta.year)
             for n in (read_corpus(corpus).notes if corpus.is_dir() else ())]
    return known_events(catalog_events(entries), notes, editions())


def _talk_lines(path: Path, plan: Plan) -> list[str]:
    if path.is_dir():
        notes = read_corpus(path).notes
        talks = [t for n in notes for t in n.talks]
        outside = sum(n.lines.get("outside_talks", 0) for n in notes)
    else:
        note, problems = parse_file(path)
        if note is None:
            return [f"check: {p}" for p in problems]
        talks, outside = list(note.talks), note.lines.get("outside_talks", 0)
    lines = [f"talks found: {len(talks)}"]
    for t in talks:
        who = f" — {', '.join(t.speakers)}" if t.speakers else ""
        video = " [video]" if t.link("video") else ""
        lines.append(f"  - {t.title}{who}{video}")
    if not talks:
        plan.checks.append("no talks found: see corpus/README.md for what the parser understands")
    if outside:
        plan.checks.append(f"{outside} lines are outside any talk (intro, travel, ...): "
                           "python -m index.check --json lists them")
    return lines


def _report(plan: Plan, talks: list[str], written: str) -> None:
    for key, value in plan.meta.items():
        print(f"{key}: {value}  ({plan.origin.get(key, '')})")
    print("\n".join(talks))
    for check in plan.checks:
        print(f"check: {check}")
    print(written)


def add_notes(args: argparse.Namespace, corpus: Path) -> int:
    source = read_source(args.source, Limits(timeout=args.timeout))
    plan = plan_note(source, events_for(corpus), args.event, args.author, args.language, args.url)
    target = target_of(corpus, plan, source)
    check_target(target, corpus, plan.meta["url"], args.force)
    with tempfile.TemporaryDirectory(prefix="index-add-") as tmp:
        where = Path(tmp) / target.name if args.dry_run else target
        if source.folder is not None:
            write_folder(where, plan.meta, source.folder)
        else:
            write_note(where, plan.meta, source.body, source.own)
        talks = _talk_lines(where, plan)
    _report(plan, talks, f"dry run: would write {target}; nothing written" if args.dry_run
            else f"wrote {target}\n{NEXT}")
    return 0


def add_schedule(args: argparse.Namespace, corpus: Path) -> int:
    path = Path(args.source)
    if not args.event:
        raise SourceError(f"{path}: say which event this schedule is: --event ID "
                          "(e.g. --event kubecon-eu-2026)")
    events = {e.id: e for e in events_for(corpus)}
    year = calendar_year(path)
    event = events.get(args.event) or Event(args.event, args.event, "", year)
    schedule = read_schedule(path, event.id, event.year or year, event.conference, event.city)
    catalog = corpus / "catalog"
    target = catalog / f"{event.id}-schedule.jsonl"
    if target.exists() and not args.force:
        raise SourceError(f"{path}: {target} already holds this event's schedule; pass --force "
                          "to replace it")
    existing = [e for e in (load_catalog(catalog) if catalog.is_dir() else [])
                if not e.source.startswith(f"{path.name}#")]
    sessions = link_sessions(list(schedule.sessions), existing)
    same = sum(1 for s in sessions if s.same_as)
    print(f"schedule: {schedule.name or path.name} → event {event.id} ({event.conference}, "
          f"{event.city or 'city unknown'}, {event.year or year})")
    print(f"sessions with a description: {len(sessions)} ({same} enrich catalog entries, "
          f"{len(sessions) - same} new); without one (not added): {schedule.without_description}")
    if args.dry_run:
        print(f"dry run: would write {target}; nothing written")
        return 0
    catalog.mkdir(parents=True, exist_ok=True)
    write_schedule(target, sessions)
    print(f"wrote {target}\nnext: python -m index.build")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        corpus = args.corpus or load_index_settings().corpus_dir
        if args.source.lower().endswith(".ics"):
            return add_schedule(args, corpus)
        return add_notes(args, corpus)
    except (SourceError, CatalogError, SettingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
