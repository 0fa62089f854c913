"""Reading a notes source (a URL, a saved HTML page, a Markdown file, a folder of Markdown)
into what the import needs: the text, and what the source says about itself, each fact with
where it came from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .fetch import Limits, SourceError, fetch
from .html import extract_article
from .notes import markdown_files, split_front_matter

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
MARKDOWN_SUFFIXES = (".md", ".markdown")
HEADING_RE = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
LINK_TEXT_RE = re.compile(r"\[([^\]]*)\]\([^)]*\)")


@dataclass
class Source:
    kind: str                       # url, html, markdown, folder
    name: str                       # as given
    body: str = ""                  # the author's text (not for a folder)
    folder: Path | None = None
    own: dict[str, Any] = field(default_factory=dict)    # the file's own front matter
    facts: dict[str, tuple[str, str]] = field(default_factory=dict)   # key -> (value, from)

    def fact(self, key: str, value: object, where: str) -> None:
        text = str(value or "").strip()
        if text and key not in self.facts:
            self.facts[key] = (text, where)

    def value(self, key: str) -> str:
        return self.facts.get(key, ("", ""))[0]


def first_heading(text: str) -> str:
    found = HEADING_RE.search(text)
    return LINK_TEXT_RE.sub(r"\1", found.group(1)).strip() if found else ""


def _from_html(source: Source, html: str, address: str) -> Source:
    article = extract_article(html, source.name)
    source.body = article.markdown
    source.fact("title", article.title, "the page's title")
    source.fact("author", article.author, "the page's author")
    source.fact("date", article.date, "the page's date")
    source.fact("url", article.url, "the page's canonical address")
    source.fact("url", address, "the address fetched")
    source.fact("language", article.language, "the page's language")
    source.fact("site", article.sitename, "the site's name")
    return source


def _from_markdown(source: Source, text: str, where: str) -> Source:
    own, body = split_front_matter(text)
    source.own, source.body = own, body
    for key in ("title", "author", "date", "url", "language"):
        source.fact(key, own.get(key), f"the {where}'s front matter")
    source.fact("title", first_heading(body), f"the {where}'s first heading")
    return source


def _from_folder(source: Source, folder: Path) -> Source:
    files = markdown_files(folder)
    if not files:
        raise SourceError(f"{folder}: no Markdown files (*.md) in this folder")
    source.folder = folder
    source.body = "\n\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)
    readme = next((p for p in files if p.parent == folder and p.stem.lower() in
                   ("readme", "index")), None)
    if readme is not None:
        source.fact("title", first_heading(readme.read_text(encoding="utf-8", errors="replace")),
                    f"{readme.name}'s first heading")
    source.fact("title", folder.resolve().name, "the folder's name")
    return source


def read_source(name: str, limits: Limits | None = None) -> Source:
    """The source named on the command line; SourceError (one line) when it cannot be read."""
    if name.startswith(("http://", "https://")):
        page = fetch(name, limits)
        source = Source("url", name)
        if page.content_type in ("text/markdown", "text/x-markdown") or \
                urlparse(page.url).path.endswith(MARKDOWN_SUFFIXES):
            source.fact("url", name, "the address fetched")
            return _from_markdown(source, page.text, "page")
        return _from_html(source, page.text, page.url)
    path = Path(name)
    if path.is_dir():
        return _from_folder(Source("folder", name), path)
    if not path.is_file():
        raise SourceError(f"{name}: no such file, folder or http(s) address")
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() in HTML_SUFFIXES:
        return _from_html(Source("html", name), text, "")
    if path.suffix.lower() in MARKDOWN_SUFFIXES:
        return _from_markdown(Source("markdown", name), text, "file")
    raise SourceError(f"{name}: not a notes source; give a URL, an .html page, a .md file, "
                      "a folder of Markdown or an .ics schedule")


def site_author(url: str) -> str:
    """A stand-in author from a site's address: `galexrt.moe` -> `galexrt`."""
    host = urlparse(url).hostname or ""
    if not host or re.fullmatch(r"[\d.]+|localhost", host):
        return ""
    parts = [p for p in host.split(".") if p not in ("www", "blog")]
    return parts[0] if parts else ""
