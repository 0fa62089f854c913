"""Measure `python -m index.add` on a folder of saved notes pages with hand counts:
`python scripts/html_notes.py DIR` (DIR holds the pages and a pages.yaml listing, per page,
`saved_as.file`, `talk_count`, `year` and `event`). Prints, per page, the talks the parser
finds against the hand count and the event guessed; writes nothing to the corpus."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml

from index.add import events_for
from index.notes.parsing import parse_file
from index.sources.notes import write_note
from index.sources.origin import Source, _from_html
from index.sources.plan import plan_note


def measure(folder: Path, corpus: Path) -> list[dict[str, object]]:
    pages = yaml.safe_load((folder / "pages.yaml").read_text("utf-8"))["pages"]
    events = events_for(corpus)
    rows = []
    for page in pages:
        name = page["saved_as"]["file"]
        source = _from_html(Source("html", name), (folder / name).read_text("utf-8"), "")
        plan = plan_note(source, events, None, None, None, f"https://example.org/{name}")
        with tempfile.TemporaryDirectory() as tmp:
            written = write_note(Path(tmp) / "note.md", plan.meta, source.body)
            note, _ = parse_file(written.path)
        found = len(note.talks) if note else 0
        rows.append({"page": page["short_name"], "found": found, "hand": page["talk_count"],
                     "share": round(found / page["talk_count"], 2),
                     "event": plan.meta["event"], "expected": page["event"]})
    return rows


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else Path("../shared/html-notes")
    for row in measure(folder, Path("corpus")):
        print(f"{row['page']:45} talks {row['found']:>3}/{row['hand']:<3} ({row['share']:.0%})  "
              f"event {row['event']}  (page: {row['expected']})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
