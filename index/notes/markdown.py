"""Small Markdown helpers: headings, links, markup stripping and anchors."""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
FENCE_RE = re.compile(r"^\s*(```|~~~)")
LINK_RE = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
AUTOLINK_RE = re.compile(r"<(https?://[^>\s]+)>")
BARE_URL_RE = re.compile(r"(?<![(\[<\"'])\bhttps?://[^\s)\]>]+")
EMPH_RE = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")
HTML_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)


@dataclass(frozen=True)
class Heading:
    level: int
    text: str      # raw heading text (Markdown)
    line: int      # 1-based line in the file
    index: int     # 0-based index into the body lines


def find_headings(lines: list[str], first_line: int) -> list[Heading]:
    """ATX headings outside fenced code blocks."""
    out: list[Heading] = []
    fenced = False
    for i, line in enumerate(lines):
        if FENCE_RE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        m = HEADING_RE.match(line)
        if m:
            out.append(Heading(len(m.group(1)), m.group(2).strip(), first_line + i, i))
    return out


def links_in(text: str) -> list[tuple[str, str]]:
    """(label, url) pairs of the inline links, autolinks and bare URLs in text, images excluded."""
    out: list[tuple[str, str]] = []
    for m in LINK_RE.finditer(text):
        if not m.group(1):
            out.append((strip_markup(m.group(2)), m.group(3)))
    rest = LINK_RE.sub(" ", text)
    for m in AUTOLINK_RE.finditer(rest):
        out.append((m.group(1), m.group(1)))
    rest = AUTOLINK_RE.sub(" ", rest)
    for m in BARE_URL_RE.finditer(rest):
        url = m.group(0).rstrip(".,;:")
        out.append((url, url))
    return out


def strip_markup(text: str) -> str:
    """Plain text of inline Markdown: links keep their label, images and emphasis go."""
    text = HTML_COMMENT_RE.sub("", text)
    text = LINK_RE.sub(lambda m: "" if m.group(1) else m.group(2), text)
    text = AUTOLINK_RE.sub(r"\1", text)
    for _ in range(2):
        text = EMPH_RE.sub(r"\2", text)
    text = re.sub(r"`([^`]*)`", r"\1", text)
    return text.strip()


def plain_text(markdown: str) -> str:
    """Markdown block text as plain lines (headings, list markers, tables flattened)."""
    out: list[str] = []
    for line in markdown.split("\n"):
        line = re.sub(r"^\s{0,3}#{1,6}\s+", "", line)
        line = re.sub(r"^\s*>\s?", "", line)
        line = re.sub(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*$", "", line)
        line = strip_markup(line).replace(" | ", " ").strip(" |")
        out.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def link_kind(url: str) -> str:
    u = url.lower()
    if any(h in u for h in ("youtube.com/watch", "youtu.be/", "vimeo.com/", "youtube.com/live")):
        return "video"
    if "sched.com" in u or "/schedule" in u:
        return "schedule"
    if any(h in u for h in ("slideshare.net", "speakerdeck.com", "docs.google.com/presentation")) \
            or u.endswith((".pdf", ".pptx", ".key")):
        return "slides"
    return "link"


def slugify(text: str) -> str:
    """GitHub/Hugo style heading anchor: lowercase words joined by hyphens."""
    text = strip_markup(text).lower()
    text = "".join(ch for ch in text if ch.isalnum() or ch in " -_")
    return re.sub(r"\s", "-", text.strip())
