"""Checks shared by the rendering tests: Block Kit validity and inert (escaped) mrkdwn."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from slack_sdk.models.blocks import Block

from bot import blocks
from index.models import Answer

LINK = re.compile(r"<([^<>|\s]*)\|([^<>|]*)>")
ENTITY = re.compile(r"&(?!amp;|lt;|gt;)")


def rendered_texts(message: dict[str, Any]) -> list[str]:
    """Every string Slack renders as mrkdwn: the notification text, sections, context elements."""
    out = [message["text"]]
    for block in message["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            if element["type"] == "mrkdwn":
                out.append(element["text"])
    return out


def our_hosts(answer: Answer) -> set[str]:
    urls = [r.talk.url for r in answer.results]
    urls += [item.url for r in answer.results for item in r.talk.links]
    urls += [r.talk.note.url for r in answer.results if r.talk.note]
    return {urlsplit(u.strip()).netloc for u in urls if u.strip().startswith(("http://", "https://"))}


def check_inert(text: str, allowed_hosts: set[str], credit: str) -> None:
    """Only links to the data's own URLs and the asker credit are markup; the rest is escaped."""
    for target, label in LINK.findall(text):
        assert re.match(r"https?://", target), target
        host = urlsplit(target.replace("&amp;", "&")).netloc
        assert host and host in allowed_hosts, (target, allowed_hosts)
        assert not ENTITY.search(label)
    rest = LINK.sub("", text)
    if credit:
        rest = rest.replace(credit, "", 1)
    assert "<" not in rest, rest
    assert ">" not in re.sub(r"(?m)^> ", "", rest), rest      # only our own block quotes
    assert not ENTITY.search(rest), rest                       # every & is an escape
    without_credit = text.replace(credit, "", 1) if credit else text
    for marker in ("<!", "<@", "<#"):
        assert marker not in without_credit


def check_block_kit(message: dict[str, Any]) -> None:
    assert 0 < len(message["blocks"]) <= blocks.MAX_BLOCKS
    for raw in message["blocks"]:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()
        block.to_dict()          # validates nested elements (button text, value) as well
        for element in raw.get("elements", []):
            if element["type"] == "button":
                assert len(element["text"]["text"]) <= 75 and len(element["value"]) <= 2000
            if element["type"] == "mrkdwn":
                assert len(element["text"]) <= 3000
        if raw["type"] == "section":
            assert len(raw["text"]["text"]) <= 3000
