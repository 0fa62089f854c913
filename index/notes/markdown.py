"""Markdown read with a CommonMark parser (markdown-it-py), keeping source lines.

`parse_blocks` turns a note's body into its top-level blocks (headings, paragraphs, lists with
their items, code, HTML, tables, quotes), each with its line range in the body, so that talks,
errors and chunks point back to the author's lines. ATX and setext headings, reference links
(`[title][5]`), HTML blocks and fenced code (whose `# comments` are not headings) come out as
CommonMark reads them. The helpers below give a block's plain text and its links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt

HTML_TAG_RE = re.compile(r"<[^>]+>")
SHORTCODE_RE = re.compile(r"\{\{[<%].*?[%>]\}\}")      # Hugo shortcodes: {{< figure ... >}}


@dataclass(frozen=True)
class Inline:
    """A heading's or paragraph's inline content: the source, plain text and links."""

    source: str                         # the Markdown as written
    text: str                           # plain text: link labels kept, images and markup gone
    links: tuple[tuple[str, str], ...]  # (label, url) of its links, reference links resolved
    emphasis: bool = False              # the whole line is emphasised (`*...*`, `_..._`)


@dataclass(frozen=True)
class Item:
    """A top-level list item: its first line's inline content and its line range."""

    first: Inline
    start: int
    end: int


@dataclass(frozen=True)
class Block:
    """A top-level block of a note's body; lines are 0-based, `end` exclusive."""

    kind: str            # heading, paragraph, list, code, html, table, quote, hr
    start: int
    end: int
    level: int = 0       # heading level 1-6
    inline: Inline | None = None      # headings and paragraphs
    items: tuple[Item, ...] = ()      # lists


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable("table")


def parse_blocks(body: str) -> list[Block]:
    """The top-level blocks of a Markdown body, in order, with their source lines."""
    tokens = _parser().parse(body)
    blocks: list[Block] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        close = _closing(tokens, i)
        kind = _KINDS.get(tok.type)
        if kind is not None and tok.map is not None:
            start, end = tok.map
            if kind == "heading":
                blocks.append(Block(kind, start, end, int(tok.tag[1]), _inline(tokens[i + 1])))
            elif kind == "paragraph":
                blocks.append(Block(kind, start, end, inline=_inline(tokens[i + 1])))
            elif kind == "list":
                blocks.append(Block(kind, start, end, items=_items(tokens, i, close)))
            else:
                blocks.append(Block(kind, start, end))
        i = close + 1
    return blocks


_KINDS = {"heading_open": "heading", "paragraph_open": "paragraph",
          "bullet_list_open": "list", "ordered_list_open": "list", "fence": "code",
          "code_block": "code", "html_block": "html", "table_open": "table",
          "blockquote_open": "quote", "hr": "hr"}


def _closing(tokens: list[Any], i: int) -> int:
    """Index of the token closing tokens[i] (itself when it does not open anything)."""
    if tokens[i].nesting != 1:
        return i
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _items(tokens: list[Any], start: int, close: int) -> tuple[Item, ...]:
    level = tokens[start].level + 1
    out = []
    for j in range(start + 1, close):
        tok = tokens[j]
        if tok.type == "list_item_open" and tok.level == level and tok.map is not None:
            first = next((tokens[k + 1] for k in range(j + 1, close)
                          if tokens[k].type == "paragraph_open"), None)
            inline = _inline(first) if first is not None and first.type == "inline" \
                else Inline("", "", ())
            out.append(Item(inline, tok.map[0], tok.map[1]))
    return tuple(out)


def _inline(tok: Any) -> Inline:
    """Plain text and links of an inline token; only its first line for a paragraph's lead."""
    text: list[str] = []
    links: list[tuple[str, str]] = []
    href, label = None, []
    for child in tok.children or ():
        if child.type == "link_open":
            href, label = child.attrs.get("href", ""), []
        elif child.type == "link_close":
            links.append((" ".join("".join(label).split()), str(href)))
            href = None
        elif child.type in ("text", "code_inline"):
            text.append(child.content)
            if href is not None:
                label.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            text.append("\n")
        elif child.type == "html_inline":
            continue
    plain = SHORTCODE_RE.sub("", "".join(text))
    return Inline(tok.content, plain.strip(), tuple(links), _all_emphasis(tok))


def _all_emphasis(tok: Any) -> bool:
    """Whether the first line is wholly emphasised (possibly inside a link): `_Keynote: ..._`."""
    kids = [c for c in tok.children or () if c.type not in ("softbreak", "hardbreak")]
    if not kids:
        return False
    inner = [c for c in kids if c.type not in ("link_open", "link_close")]
    return bool(inner) and inner[0].type in ("em_open", "strong_open") and \
        inner[-1].type in ("em_close", "strong_close")


def inline_of(markdown: str) -> Inline:
    """Inline content of one line of Markdown (a heading's text, a byline)."""
    tokens = _parser().parse(markdown.strip())
    tok = next((t for t in tokens if t.type == "inline"), None)
    return _inline(tok) if tok is not None else Inline(markdown, markdown.strip(), ())


def plain_text(markdown: str) -> str:
    """Markdown as plain text: one line per paragraph line, heading or list item; paragraphs
    separated by a blank line; link labels kept; images, HTML tags and shortcodes dropped."""
    out: list[str] = []
    bullet = ""
    for tok in _parser().parse(markdown):
        if tok.type == "list_item_open":     # keep the author's list marker: `- item`, `1. item`
            bullet = f"{tok.info}{tok.markup} " if tok.info else f"{tok.markup} "
        elif tok.type == "inline":
            out.append(bullet + _inline(tok).text)
            bullet = ""
        elif tok.type in ("fence", "code_block"):
            out.append(tok.content.rstrip("\n"))
        elif tok.type == "html_block":
            out.append(HTML_TAG_RE.sub(" ", tok.content).strip())
        if tok.type in ("heading_close", "fence", "code_block", "html_block", "table_close") \
                or (tok.type == "paragraph_close" and not tok.hidden):
            out.append("")
    text = "\n".join(line.rstrip() for line in "\n".join(out).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def strip_markup(text: str) -> str:
    """Plain text of one line of inline Markdown."""
    return " ".join(inline_of(text).text.split())


def link_kind(url: str) -> str:
    u = url.lower()
    if any(h in u for h in ("youtube.com/watch", "youtu.be/", "vimeo.com/", "youtube.com/live",
                            "youtube.com/embed")):
        return "video"
    if "sched.com" in u or "sched.co/" in u or "/schedule" in u:
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
