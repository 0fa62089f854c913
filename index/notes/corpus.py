"""Reading a whole corpus directory: every notes file, every problem, stable talk ids.

A notes file is one Markdown file with front matter. A folder of notes (one file per talk, or
per day) may instead hold its front matter once, in a `notes.yaml` beside the files: every
Markdown file below that folder shares it (a file's own front matter wins key by key), is read
even when named README.md, and a file that holds a single talk needs no heading at all."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from ..models import Note, Problem
from ..text import talk_id
from .frontmatter import MAX_FRONT_MATTER, load_yaml, validate_meta
from .parsing import parse_file

SKIP_NAMES = {"readme.md", "contributing.md", "license.md", "changelog.md"}
FOLDER_META = "notes.yaml"


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


def _skipped_folder(rel: Path) -> bool:
    return any(part.startswith((".", "_")) or part == "catalog" for part in rel.parts[:-1])


def _walk(root: Path) -> list[Path]:
    """Every path under root, without following links to folders (a link could lead out of
    the corpus, or in a circle)."""
    out = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        base = Path(folder)
        out += [base / name for name in sorted(files)]
        out += [base / name for name in dirs if name.endswith((".md", ".yaml"))]
    return sorted(out)


def _unusable(path: Path, root: Path) -> str:
    """Why a corpus entry cannot be read as a notes file ("" when it can): a link leading out
    of the corpus or nowhere, a folder, a pipe or a device."""
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return "a link to nothing"
        if root.resolve() not in target.parents:
            return "a link out of the corpus (not followed)"
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    if not stat.S_ISREG(mode):
        return "not a regular file (a pipe, socket or device)"
    return ""


def notes_folders(root: Path) -> list[Path]:
    """Folders of the corpus that hold a notes.yaml, outermost first."""
    return sorted((p.parent for p in _walk(root) if p.name == FOLDER_META and
                   not _skipped_folder(p.relative_to(root)) and not _unusable(p, root)),
                  key=lambda p: len(p.parts))


def note_files(root: Path, folders: list[Path] | None = None,
               problems: list[Problem] | None = None) -> list[Path]:
    """Markdown notes under root: READMEs are skipped except inside a notes folder, and so are
    folders starting with '.', '_' or named 'catalog'. Entries that are not readable files
    are skipped with a warning added to `problems`."""
    folders = notes_folders(root) if folders is None else folders
    out = []
    for path in _walk(root):
        rel = path.relative_to(root)
        if path.suffix != ".md" or _skipped_folder(rel):
            continue
        if path.name.lower() in SKIP_NAMES and _folder_of(path, folders) is None:
            continue
        why = _unusable(path, root)
        if why:
            if problems is not None:
                problems.append(Problem(str(path), 1, f"skipped: {why}", severity="warning"))
            continue
        out.append(path)
    return out


def _folder_of(path: Path, folders: list[Path]) -> Path | None:
    """The innermost notes folder holding `path`."""
    inside = [f for f in folders if f in path.parents]
    return inside[-1] if inside else None


def _folder_meta(folder: Path, root: Path) -> tuple[dict[str, Any], list[Problem]]:
    """The checked front matter of a folder's notes.yaml."""
    path = folder / FOLDER_META
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        if len(text) > MAX_FRONT_MATTER:
            return {}, [Problem(name, 1, f"{FOLDER_META} is longer than {MAX_FRONT_MATTER:,} "
                                         "characters; keep it to the front matter keys")]
        raw = load_yaml(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 1 + (mark.line if mark is not None else 0)
        return {}, [Problem(name, line, f"cannot read {FOLDER_META} ({exc.__class__.__name__}); "
                                        "write one 'key: value' per line")]
    return validate_meta(name, raw if raw is not None else {}, text.split("\n"), 1)


def read_corpus(root: Path) -> Corpus:
    """Parse every notes file; talk ids are `<event>/<title slug>`, unique across the corpus."""
    if not root.is_dir():
        raise FileNotFoundError(f"corpus directory {root} does not exist")
    folders = notes_folders(root)
    defaults: dict[Path, dict[str, Any]] = {}
    problems: list[Problem] = []
    for folder in folders:
        values, found = _folder_meta(folder, root)
        defaults[folder] = values
        problems.extend(found)
    notes: list[Note] = []
    hashes: dict[str, str] = {}
    seen: set[str] = set()
    files = note_files(root, folders, problems)
    if not files:
        problems.append(Problem(str(root), 1, (
            "no notes here: the corpus has no Markdown (*.md) notes files; add notes (see "
            "corpus/README.md) or point --corpus (or CORPUS_DIR) at the folder that has them")))
    for path in files:
        folder = _folder_of(path, folders)
        hashes[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
        note, found = parse_file(path, str(path), defaults.get(folder) if folder else None,
                                 one_talk_per_file=folder is not None)
        problems.extend(found)
        if note is None:
            continue
        talks = tuple(replace(t, id=talk_id(note.meta.event, t.title, seen)) for t in note.talks)
        texts = tuple(replace(t, id=talk_id(note.meta.event, f"notes-{t.title}", seen))
                      for t in note.texts)
        notes.append(replace(note, talks=talks, texts=texts))
    for folder in folders:
        hashes[str((folder / FOLDER_META).relative_to(root))] = hashlib.sha256(
            (folder / FOLDER_META).read_bytes()).hexdigest()
    return Corpus(root=root, notes=tuple(notes), problems=tuple(problems), hashes=hashes)
