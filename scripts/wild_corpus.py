"""Turn a folder of other people's notes, described by its talks.yaml, into a corpus the way a
new user would add them: every source's text copied unchanged, plus our front matter.

    python scripts/wild_corpus.py FOLDER OUT

A single-file source gets the nine front-matter keys (merged into its own front matter when it
has one: the author's other keys and the body stay as they are; a key of ours that the author
used with another type, such as Jekyll's `author: {name: ..}`, is replaced by ours). A folder
source is copied whole (files without `.md` renamed to add it, as a user would) with a
`notes.yaml` holding the keys for every file below it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any

import yaml

KEYS = ("title", "author", "url", "conference", "event", "city", "year", "date", "language")
DATE_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
CHECKS = {
    "year": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, str) and v.strip().isdigit()),
    "date": lambda v: (isinstance(v, dt.date) and not isinstance(v, dt.datetime))
    or (isinstance(v, str) and bool(DATE_RE.match(v))),
    "language": lambda v: isinstance(v, str) and bool(re.match(r"^[a-z]{2}$", v)),
    "url": lambda v: isinstance(v, str) and bool(re.match(r"^https?://", v)),
    "event": lambda v: isinstance(v, str) and bool(re.match(r"^[a-z0-9][a-z0-9-]*$", v)),
}


def load_sources(folder: Path) -> list[dict[str, Any]]:
    """The `sources` list of FOLDER/talks.yaml."""
    doc = yaml.safe_load((folder / "talks.yaml").read_text(encoding="utf-8"))
    return list(doc["sources"])


def _without_remarks(text: str) -> str:
    return re.sub(r"\s*\([^)]*\)", "", str(text)).strip()


def author_of(src: dict[str, Any]) -> tuple[str, str]:
    """(value for `author`, a name for prose): 'Tommy Falgout (lastcoolnameleft)'."""
    raw = str(src["author"]).strip()
    m = re.match(r"^(\S+)\s+\((.+)\)$", raw)
    if not m:
        return raw, raw
    handle, inner = m.groups()
    inner = re.sub(r"^post by\s+", "", inner)
    inner = re.sub(r",?\s*per git log$", "", inner).strip()
    if not inner or ":" in inner:
        return handle, handle
    return f"{inner} ({handle})", inner


def conference_of(src: dict[str, Any]) -> str:
    name = _without_remarks(src["conference"])
    year = str(src["year"])
    return name if year in name else f"{name} {year}"


def source_url(src: dict[str, Any], folder: bool) -> str:
    """The source on GitHub at the commit the copy was taken from."""
    repo, commit = src["repo"], src.get("commit")
    where = str(src.get("path", "")).split()[0] if src.get("path") else ""
    ref = commit or "HEAD"
    if not folder and where and "*" not in where:
        return f"https://github.com/{repo}/blob/{ref}/{where}"
    path = where.rsplit("/", 1)[0] if "/" in where else ""
    path = "" if "*" in path else path
    return f"https://github.com/{repo}/tree/{ref}" + (f"/{path}" if path else "")


def our_values(src: dict[str, Any], folder: bool) -> dict[str, Any]:
    """The nine keys for a source, from its talks.yaml entry."""
    author, name = author_of(src)
    conference = conference_of(src)
    dated = re.search(r"(\d{4}-\d{2}-\d{2})", Path(str(src.get("path", ""))).name)
    return {
        "title": f"{name}'s {conference} notes",
        "author": author,
        "url": source_url(src, folder),
        "conference": conference,
        "event": str(src["event"]).split("/")[0].strip(),
        "city": _without_remarks(src.get("city", "")),
        "year": int(src["year"]),
        "date": dated.group(1) if dated else f"{int(src['year'])}-01",
        "language": str(src.get("language", "en")),
    }


def usable(key: str, value: Any) -> bool:
    """Whether the author's own value for one of our keys can stay as it is."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return False
    check = CHECKS.get(key)
    if check:
        return bool(check(value))
    return isinstance(value, str)


def _drop_key(lines: list[str], key: str) -> list[str]:
    """Front-matter lines without one top-level key and its indented or listed continuation."""
    out, skipping = [], False
    for line in lines:
        if re.match(rf"^{re.escape(key)}\s*:", line):
            skipping = True
            continue
        if skipping and line.strip() and (line[0] in " \t" or line.startswith("-")):
            continue
        skipping = False
        out.append(line)
    return out


def _yaml_line(key: str, value: Any) -> str:
    return yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, width=10_000).strip()


def with_front_matter(text: str, values: dict[str, Any]) -> str:
    """TEXT with our keys in its front matter; everything else byte for byte as it was."""
    lines = text.split("\n")
    if lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    else:
        end = None
    if end is None:
        added = [_yaml_line(k, values[k]) for k in KEYS]
        return "---\n" + "\n".join(added) + "\n---\n" + text
    theirs = yaml.safe_load("\n".join(lines[1:end])) or {}
    if isinstance(theirs, dict) and isinstance(theirs.get("date"), dt.datetime):
        values = {**values, "date": theirs["date"].date().isoformat()}   # the day, not the time
    kept = lines[1:end]
    added = []
    for key in KEYS:
        if isinstance(theirs, dict) and usable(key, theirs.get(key)):
            continue
        kept = _drop_key(kept, key)
        added.append(_yaml_line(key, values[key]))
    return "\n".join([lines[0], *kept, *added, *lines[end:]])


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\0" not in data


def copy_tree(source: Path, target: Path, rename: bool = False) -> list[Path]:
    """Copy a folder's files (contents only, not permissions); with rename, text files without
    `.md` get it. Returns the Markdown files written."""
    written = []
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        data = path.read_bytes()
        rel = path.relative_to(source)
        if rename and path.suffix != ".md" and _is_text(data):
            rel = rel.with_name(rel.name + ".md")
        dest = target / rel
        if dest.exists():
            raise FileExistsError(f"{dest} already exists")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        if dest.suffix == ".md":
            written.append(dest)
    return written


def _add_file(source: Path, dest: Path, src: dict[str, Any]) -> list[Path]:
    text = source.read_bytes().decode("utf-8")
    values = our_values(src, folder=False)
    dest.write_bytes(with_front_matter(text, values).encode("utf-8"))
    return [dest]


def _add_folder(source: Path, dest: Path, src: dict[str, Any]) -> list[Path]:
    written = copy_tree(source, dest, rename=True)
    values = our_values(src, folder=True)
    header = (f"# Front matter for every notes file below this folder: {src['short_name']}, "
              f"copied from github.com/{src['repo']}\n")
    (dest / "notes.yaml").write_text(
        header + "\n".join(_yaml_line(k, values[k]) for k in KEYS) + "\n", encoding="utf-8")
    return written


def make_corpus(folder: Path, out: Path) -> dict[str, list[Path]]:
    """Write FOLDER's sources into OUT as a corpus; returns each source's Markdown files."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[Path]] = {}
    for src in load_sources(folder):
        source = folder / str(src.get("saved_as") or src["short_name"])
        dest = out / source.name
        if dest.exists():
            raise FileExistsError(f"{dest} already exists; use an empty folder")
        add = _add_folder if source.is_dir() else _add_file
        files[src["short_name"]] = add(source, dest, src)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/wild_corpus.py",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder holding talks.yaml and the sources")
    parser.add_argument("out", type=Path, help="corpus folder to write (created)")
    args = parser.parse_args(argv)
    for name, paths in make_corpus(args.folder, args.out).items():
        print(f"{name}: {len(paths)} notes files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
