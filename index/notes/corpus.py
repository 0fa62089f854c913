"""Reading a whole corpus directory: every notes file, every problem, stable talk ids."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from ..models import Note, Problem
from ..text import talk_id
from .parsing import parse_file

SKIP_NAMES = {"readme.md", "contributing.md", "license.md"}


@dataclass(frozen=True)
class Corpus:
    root: Path
    notes: tuple[Note, ...]
    problems: tuple[Problem, ...]
    hashes: dict[str, str]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def talk_count(self) -> int:
        return sum(len(n.talks) for n in self.notes)


def note_files(root: Path) -> list[Path]:
    """Markdown notes under root, skipping READMEs and folders starting with '.', '_' or 'catalog'."""
    out = []
    for path in sorted(root.rglob("*.md")):
        rel = path.relative_to(root)
        if path.name.lower() in SKIP_NAMES:
            continue
        if any(part.startswith((".", "_")) or part == "catalog" for part in rel.parts[:-1]):
            continue
        out.append(path)
    return out


def read_corpus(root: Path) -> Corpus:
    """Parse every notes file; talk ids are `<event>/<title slug>`, unique across the corpus."""
    if not root.is_dir():
        raise FileNotFoundError(f"corpus directory {root} does not exist")
    notes: list[Note] = []
    problems: list[Problem] = []
    hashes: dict[str, str] = {}
    seen: set[str] = set()
    for path in note_files(root):
        display = str(path)
        hashes[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
        note, found = parse_file(path, display)
        problems.extend(found)
        if note is None:
            continue
        talks = []
        for talk in note.talks:
            talks.append(replace(talk, id=talk_id(note.meta.event, talk.title, seen)))
        notes.append(replace(note, talks=tuple(talks)))
    return Corpus(root=root, notes=tuple(notes), problems=tuple(problems), hashes=hashes)
