"""The door of `/slack/events`: only requests Slack signed, shaped as Slack sends them, reach
Bolt. A missing or bad signature or timestamp gets 401; a body that does not decode or parse as
a slash command, an interaction (`payload=` JSON object) or an event (JSON object with a
`type`) gets 400. Either way one short line is logged, without the body."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

logger = logging.getLogger("bot.gate")
UTF8 = ("utf-8", "utf8")


class Rejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


async def admit(request: web.Request, secret: str) -> AsyncBoltRequest | web.Response:
    """The request for Bolt, or the 400/401 response to send instead."""
    raw = await request.read()
    try:
        text = verified_text(raw, request.headers, secret)
        if request.charset is not None and request.charset.lower() not in UTF8:
            raise Rejected(400, "charset is not UTF-8")
        check_shape(text, request.content_type)
    except Rejected as rejected:
        logger.warning("rejected a request to %s: %d %s (%d bytes)", request.path,
                       rejected.status, rejected.reason, len(raw))
        error = "invalid request" if rejected.status == 401 else "malformed request"
        return web.json_response({"error": error}, status=rejected.status)
    return AsyncBoltRequest(body=text, query=request.query_string,
                            headers=request.headers)  # type: ignore[arg-type]


def verified_text(raw: bytes, headers: Any, secret: str) -> str:
    """The body as text, if Slack signed it in the last five minutes."""
    timestamp = headers.get("X-Slack-Request-Timestamp")
    signature = headers.get("X-Slack-Signature")
    if not timestamp or not signature or not secret:
        raise Rejected(401, "no signature or timestamp")
    if not timestamp.isascii() or not timestamp.isdigit():
        raise Rejected(401, "timestamp is not a number")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "body is not UTF-8") from None
    if not SignatureVerifier(secret).is_valid(text, timestamp, signature):
        raise Rejected(401, "bad signature or stale timestamp")
    return text


def check_shape(text: str, content_type: str) -> None:
    """Parse the body as Bolt will (JSON when so typed or when it starts with `{`, else a form
    whose `payload` is JSON) and require what Slack sends."""
    if content_type == "application/json" or text.startswith("{"):
        _require_typed_object(text, "event")
        return
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in fields:
        _require_typed_object(fields["payload"], "payload")
    elif not ("command" in fields or fields.get("ssl_check") == "1"):
        raise Rejected(400, "form is neither a command nor an interaction")


def _require_typed_object(text: str, what: str) -> None:
    try:
        data = json.loads(text)
    except ValueError:
        raise Rejected(400, f"{what} is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise Rejected(400, f"{what} is not a JSON object with a type")
