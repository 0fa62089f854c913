"""Cutting text to fit: at a sentence or word boundary, with an ellipsis, around a highlight."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

ELLIPSIS = "…"

# What a character costs once rendered as a Slack quote: escapes grow, a newline becomes "\n> ".
SLACK_COST: Mapping[str, int] = {"&": 5, "<": 4, ">": 4, "\n": 3}
PLAIN_COST: Mapping[str, int] = {}

_SENTENCE_END = re.compile(r"[.!?…](?=\s)|\n")
_SENTENCE_START = re.compile(r"(?:[.!?…]\s+|\n+)(?=\S)")
_TRAILING = " \t\n,;:-–—("


def cost(text: str, weights: Mapping[str, int] = PLAIN_COST) -> int:
    """Rendered length of text under the given per-character weights (default 1 each)."""
    if not weights:
        return len(text)
    return sum(weights.get(ch, 1) for ch in text)


def _fit_count(chars: Iterable[str], budget: int, weights: Mapping[str, int]) -> int:
    used = n = 0
    for ch in chars:
        used += weights.get(ch, 1)
        if used > budget:
            break
        n += 1
    return n


def shorten(text: str, limit: int, weights: Mapping[str, int] = PLAIN_COST) -> str:
    """Text cut to at most `limit` cost at a sentence or word boundary, ending in an ellipsis."""
    if cost(text, weights) <= limit:
        return text
    if limit < 2:
        return ""
    n = _fit_count(text, limit - 2, weights)
    prefix = text[:n]
    ends = [m.end() for m in _SENTENCE_END.finditer(text[: n + 1]) if m.end() <= n]
    if ends and ends[-1] >= n // 2:
        return prefix[: ends[-1]].rstrip() + " " + ELLIPSIS
    spaces = [i for i, ch in enumerate(text[: n + 1]) if ch.isspace()]
    if spaces and spaces[-1] >= n * 3 // 10:
        return prefix[: spaces[-1]].rstrip(_TRAILING) + ELLIPSIS
    return prefix.rstrip(_TRAILING) + ELLIPSIS


def shorten_left(text: str, limit: int, weights: Mapping[str, int] = PLAIN_COST) -> str:
    """The end of text within `limit` cost, starting at a sentence or word, after an ellipsis."""
    if cost(text, weights) <= limit:
        return text
    if limit < 2:
        return ""
    n = _fit_count(reversed(text), limit - 2, weights)
    start = len(text) - n
    suffix = text[start:]
    starts = [m.end() for m in _SENTENCE_START.finditer(text, max(start - 2, 0)) if m.end() >= start]
    if starts and starts[0] - start <= n // 2:
        return ELLIPSIS + " " + text[starts[0]:]
    for i, ch in enumerate(text[start - 1 :]):
        if ch.isspace():
            if i > n * 7 // 10:
                break
            return ELLIPSIS + text[start - 1 + i :].lstrip()
    return ELLIPSIS + suffix.lstrip()


def split(text: str, highlight: str) -> tuple[str, str, str]:
    """(before, highlight, after); the highlight is empty when it is not found in text."""
    index = text.find(highlight) if highlight.strip() else -1
    if index < 0:
        return text, "", ""
    return text[:index], highlight, text[index + len(highlight) :]


def window(before: str, highlight: str, after: str, limit: int,
           weights: Mapping[str, int] = PLAIN_COST) -> tuple[str, str, str]:
    """Trim the context around a highlight so the three parts together cost at most `limit`."""
    if not highlight:
        return shorten(before + after, limit, weights), "", ""
    whole = cost(before, weights) + cost(highlight, weights) + cost(after, weights)
    if whole <= limit:
        return before, highlight, after
    rest = limit - cost(highlight, weights)
    if rest < limit // 5:
        return "", shorten(highlight, limit, weights), ""
    head = shorten_left(before, rest // 3, weights)
    tail = shorten(after, rest - cost(head, weights), weights)
    head = shorten_left(before, rest - cost(tail, weights), weights)
    return head, highlight, tail


_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\s]*\)")
_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+", re.MULTILINE)
_BULLET = re.compile(r"^[ \t]*[-*+][ \t]+", re.MULTILINE)
_BLANKS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_SPACES = re.compile(r"[ \t]+")


def plain_markdown(text: str) -> str:
    """Notes Markdown as readable plain text: links as `label (url)`, no heading or bold marks."""

    def one_link(match: re.Match[str]) -> str:
        shown, url = match.group(1), match.group(2)
        return url if shown.strip() == url else f"{shown} ({url})"

    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(one_link, text)
    text = _STRONG.sub(r"\2", text)
    text = _HEADING.sub("", text)
    text = _BULLET.sub("• ", text)
    text = _SPACES.sub(" ", text)
    return _BLANKS.sub("\n\n", text)


def passage_parts(text: str, highlight: str, limit: int,
                  weights: Mapping[str, int] = PLAIN_COST) -> tuple[str, str, str]:
    """A passage as plain (before, highlight, after), cut to `limit` around the highlight."""
    before, bold, after = (plain_markdown(part) for part in split(text, highlight))
    if not bold.strip():
        before, bold, after = before + bold + after, "", ""
    before, bold, after = window(before, bold, after, limit, weights)
    if not bold:
        return before.strip(), "", ""
    return before.lstrip(), bold, after.rstrip()
