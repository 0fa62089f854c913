"""Writing an imported note into the corpus: its nine front-matter keys, its file or folder
name, and the checks that keep what is already there (same address, same file)."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..text import fold
from .fetch import SourceError

KEYS = ("title", "author", "url", "conference", "event", "city", "year", "date", "language")
FRONT_RE = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*\r?\n?", re.S)


@dataclass(frozen=True)
class Written:
    path: Path          # the note file, or the folder of notes
    files: tuple[Path, ...]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:40].strip("-") or "notes"


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """(the file's own front matter, the text after it); ({}, text) when there is none."""
    found = FRONT_RE.match(text)
    if not found:
        return {}, text
    try:
        meta = yaml.safe_load(found.group(1))
    except yaml.YAMLError:
        return {}, text
    return (meta if isinstance(meta, dict) else {}), text[found.end():]


def front_matter(meta: dict[str, Any], own: dict[str, Any] | None = None) -> str:
    """A YAML front matter block: our keys in order, then the file's own other keys."""
    ours = {k: meta[k] for k in KEYS if meta.get(k) not in (None, "")}
    rest = {k: v for k, v in (own or {}).items() if k not in KEYS}
    dumped = yaml.safe_dump(ours, allow_unicode=True, sort_keys=False, width=1000)
    if rest:
        dumped += yaml.safe_dump(rest, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{dumped}---\n"


def _url_of(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    meta = split_front_matter(text)[0] if path.suffix == ".md" else _yaml(text)
    return str(meta.get("url") or "")


def _yaml(text: str) -> dict[str, Any]:
    try:
        meta = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _same_url(a: str, b: str) -> bool:
    def norm(u: str) -> str:
        return re.sub(r"^https?://(www\.)?", "", u.split("#")[0]).rstrip("/").lower()
    return bool(a and b) and norm(a) == norm(b)


def holder_of(corpus: Path, url: str) -> Path | None:
    """The corpus file (a note or a folder's notes.yaml) whose front matter has this url."""
    if not corpus.is_dir():
        return None
    for path in sorted([*corpus.rglob("*.md"), *corpus.rglob("notes.yaml")]):
        if "catalog" in path.relative_to(corpus).parts:
            continue
        if _same_url(_url_of(path), url):
            return path
    return None


def check_target(target: Path, corpus: Path, url: str, force: bool) -> None:
    """SourceError when the import would overwrite a note or repeat one, unless force."""
    if force:
        return
    holder = holder_of(corpus, url)
    if holder is not None:
        raise SourceError(f"{url} is already imported: {holder}; pass --force to replace it")
    if target.exists():
        raise SourceError(f"{target} already exists; pass --force to overwrite it, "
                          "or --author NAME to import under another name")


def write_note(target: Path, meta: dict[str, Any], body: str,
               own: dict[str, Any] | None = None) -> Written:
    """corpus/<event>-<author>.md: the front matter, then the author's text unchanged."""
    target.parent.mkdir(parents=True, exist_ok=True)
    text = front_matter(meta, own) + ("\n" if not body.startswith("\n") else "") + body
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return Written(target, (target,))


def markdown_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.md")
                  if not any(part.startswith(".") for part in p.relative_to(folder).parts))


def write_folder(target: Path, meta: dict[str, Any], source: Path) -> Written:
    """corpus/<event>-<author>/: the Markdown files copied unchanged, and notes.yaml."""
    tmp = target.with_name(f".{target.name}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    files = []
    for path in markdown_files(source):
        dest = tmp / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        files.append(target / path.relative_to(source))
    ours = {k: meta[k] for k in KEYS if meta.get(k) not in (None, "")}
    (tmp / "notes.yaml").write_text(
        yaml.safe_dump(ours, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    if target.exists():
        shutil.rmtree(target)
    tmp.replace(target)
    return Written(target, (target / "notes.yaml", *files))
