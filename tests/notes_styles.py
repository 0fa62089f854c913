"""Helpers for the synthetic-notes tests (test_parsing_styles*.py): a note written to a file,
parsed, and its talks compared field by field with expectations written by hand.
Anchors follow the GitHub/Hugo rule the parser documents: lowercase, punctuation dropped
(letters, digits, '-' and '_' kept), each space becomes '-', repeats get '-1', '-2', ...
"""

from __future__ import annotations

import re
from pathlib import Path

from index.notes.parsing import parse_file

NOTES_URL = "https://example.org/notes/"
FRONT_MATTER = """---
title: {title}
author: Ada Lovelace
url: "{url}"
conference: KubeCon + CloudNativeCon Europe 2024
event: kubecon-eu-2024
city: Paris
year: 2024
date: 2024-03-25
language: {language}
---
"""
ANCHOR_RE = re.compile(r"^[^\W_A-Z][\w-]*$")   # no spaces, '#', punctuation or capitals


def parse(tmp_path: Path, body: str, language: str = "en", title: str = "My notes"):
    path = tmp_path / "notes.md"
    text = FRONT_MATTER.format(title=title, url=NOTES_URL, language=language) + body
    path.write_text(text, encoding="utf-8")
    note, problems = parse_file(path)
    assert note is not None, problems
    assert problems == [], problems
    return note.talks


def fields(talk) -> dict:
    return {
        "title": talk.title, "speakers": talk.speakers, "companies": talk.companies,
        "kind": talk.kind, "day": talk.day, "track": talk.track, "label": talk.label,
        "anchor": talk.anchor, "links": [(link.kind, link.url) for link in talk.links],
    }


def talk(title, speakers=(), companies=(), kind="talk", day="", track="", label="", anchor="",
         links=()) -> dict:
    return {"title": title, "speakers": tuple(speakers), "companies": tuple(companies),
            "kind": kind, "day": day, "track": track, "label": label, "anchor": anchor,
            "links": list(links)}


def assert_talks(talks, expected: list[dict]) -> None:
    assert [t.title for t in talks] == [e["title"] for e in expected]
    for got, exp in zip(talks, expected):
        assert fields(got) == exp, got.title
    anchors = [t.anchor for t in talks]
    assert len(set(anchors)) == len(anchors), anchors
    for t in talks:
        assert ANCHOR_RE.match(t.anchor), t.anchor
        assert t.url == f"{NOTES_URL}#{t.anchor}"
