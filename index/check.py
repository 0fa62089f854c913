"""`python -m index.check [--corpus DIR] [--json]`: every corpus problem at once; writes nothing."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import SettingError
from .notes.corpus import read_corpus
from .settings import load_index_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.check", description=__doc__)
    parser.add_argument("--corpus", type=Path, default=None,
                        help="notes folder (default: $CORPUS_DIR or corpus)")
    parser.add_argument("--json", action="store_true", help="print a JSON report")
    args = parser.parse_args(argv)
    try:
        args.corpus = args.corpus or load_index_settings().corpus_dir
    except SettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        corpus = read_corpus(args.corpus)
    except FileNotFoundError as exc:
        print(f"error: {exc}; pass --corpus DIR", file=sys.stderr)
        return 1
    if args.json:
        doc = {
            "notes": [{"path": n.meta.path, "title": n.meta.title, "language": n.meta.language,
                       "talks": [{"title": t.title, "speakers": list(t.speakers),
                                  "companies": list(t.companies), "kind": t.kind,
                                  "line": t.line} for t in n.talks],
                       "lines": n.lines} for n in corpus.notes],
            "problems": [{"path": p.path, "line": p.line, "message": p.message}
                         for p in corpus.errors],
            "warnings": [{"path": p.path, "line": p.line, "message": p.message}
                         for p in corpus.warnings],
        }
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        for p in corpus.problems:
            print(p, file=sys.stderr)
        print(f"{args.corpus}: {len(corpus.notes)} notes, {corpus.talk_count} talks, "
              f"{len(corpus.errors)} problems, {len(corpus.warnings)} warnings")
    return 1 if corpus.errors else 0


if __name__ == "__main__":
    sys.exit(main())
