"""Talk-aware chunks of about 300 tokens, each starting with a header naming its talk."""

from __future__ import annotations

import re

from .markdown import plain_text
from ..models import Chunk, Talk
from ..text import estimate_tokens, sentences

TARGET_TOKENS = 300
IMAGE_LINE_RE = re.compile(r"^\s*!\[[^\]]*\]\([^)]*\)[\s|!\[\]()\w/.:#-]*$")


def talk_header(talk: Talk) -> str:
    """`Title (label) — Speakers, Companies — keynote, Conference Year`."""
    title = talk.title
    if talk.label and talk.label.lower() not in title.lower():
        title = f"{title} ({talk.label})"
    if talk.official_title and talk.official_title.lower() != talk.title.lower():
        title = f"{title} / {talk.official_title}"
    parts = [title]
    people = ", ".join(talk.speakers + talk.companies)
    if people:
        parts.append(people)
    where = f"{talk.conference or talk.event}"
    if talk.year and str(talk.year) not in where:
        where += f" {talk.year}"
    parts.append(f"{talk.kind.replace('_', ' ')}, {where}".strip(", "))
    if talk.track:
        parts.append(talk.track)
    return " — ".join(parts)


def talk_text(talk: Talk) -> str:
    """The talk's body as plain text, images dropped."""
    kept = [ln for ln in talk.body.split("\n") if not IMAGE_LINE_RE.match(ln)]
    return plain_text("\n".join(kept))


def split_text(text: str, target: int = TARGET_TOKENS) -> list[str]:
    """Pack sentences into pieces of about `target` tokens; never splits a sentence unless huge."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for para in re.split(r"\n\s*\n", text):
        for sent in sentences(para):
            n = estimate_tokens(sent)
            if n > target:
                words = sent.split()
                step = max(1, int(len(words) * target / n))
                parts = [" ".join(words[i:i + step]) for i in range(0, len(words), step)]
            else:
                parts = [sent]
            for part in parts:
                n = estimate_tokens(part)
                if current and size + n > target:
                    pieces.append(" ".join(current))
                    current, size = [], 0
                current.append(part)
                size += n
    if current:
        pieces.append(" ".join(current))
    # Fold a tiny tail into the previous piece.
    if len(pieces) > 1 and estimate_tokens(pieces[-1]) < target // 5:
        tail = pieces.pop()
        pieces[-1] = f"{pieces[-1]} {tail}"
    return pieces


def chunk_talk(talk: Talk, start_id: int, target: int = TARGET_TOKENS) -> list[Chunk]:
    header = talk_header(talk)
    budget = max(80, target - estimate_tokens(header))
    pieces = split_text(talk_text(talk), budget) or [""]
    return [Chunk(id=start_id + i, talk_id=talk.id, header=header, text=p)
            for i, p in enumerate(pieces)]


def chunk_talks(talks: list[Talk], target: int = TARGET_TOKENS) -> list[Chunk]:
    out: list[Chunk] = []
    for talk in talks:
        out.extend(chunk_talk(talk, len(out), target))
    return out
