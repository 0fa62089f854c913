"""Requests as Slack sends them: slash commands, events, button clicks, signed with the secret."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
USER = "U0USER001"
CHANNEL = "C0CHAN001"
TEAM = "T0000001"


def signed(body: str, secret: str = SECRET, timestamp: int | None = None,
           content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    """Headers Slack would send with this body."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature,
            "Content-Type": content_type}


def command_payload(text: str, response_url: str, command: str = "/kubecon",
                    user: str = USER) -> dict[str, str]:
    return {"token": "legacy", "team_id": TEAM, "team_domain": "test", "channel_id": CHANNEL,
            "channel_name": "general", "user_id": user, "user_name": "asker", "command": command,
            "text": text, "api_app_id": "A0000001", "response_url": response_url,
            "trigger_id": "123.456.abc"}


def command_body(text: str, response_url: str, command: str = "/kubecon", user: str = USER) -> str:
    return urlencode(command_payload(text, response_url, command, user))


def event_payload(event: dict[str, Any], event_id: str = "Ev0000001") -> dict[str, Any]:
    return {"token": "legacy", "team_id": TEAM, "api_app_id": "A0000001", "event": event,
            "type": "event_callback", "event_id": event_id, "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT0001", "is_bot": True}]}


def mention(text: str, ts: str = "1700000000.000100", channel: str = CHANNEL,
            thread_ts: str | None = None, user: str = USER) -> dict[str, Any]:
    event = {"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": channel,
             "event_ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def direct_message(text: str, ts: str = "1700000001.000200", channel: str = "D0DM00001",
                   user: str = USER) -> dict[str, Any]:
    return {"type": "message", "channel_type": "im", "user": user, "text": text, "ts": ts,
            "channel": channel, "event_ts": ts}


def action_payload(action_id: str, value: str, response_url: str, *, ephemeral: bool = True,
                   channel: str = CHANNEL, message: dict[str, Any] | None = None,
                   user: str = USER) -> dict[str, Any]:
    container: dict[str, Any] = {"type": "message", "message_ts": "1700000002.000300",
                                 "channel_id": channel, "is_ephemeral": ephemeral}
    payload: dict[str, Any] = {
        "type": "block_actions", "user": {"id": user, "username": "asker", "team_id": TEAM},
        "api_app_id": "A0000001", "token": "legacy", "container": container,
        "trigger_id": "123.456.def", "team": {"id": TEAM, "domain": "test"},
        "channel": {"id": channel, "name": "general"}, "response_url": response_url,
        "actions": [{"action_id": action_id, "block_id": "b1", "value": value, "type": "button",
                     "action_ts": "1700000003.000400", "text": {"type": "plain_text", "text": "x"}}],
    }
    if message is not None:
        payload["message"] = message
    return payload


def action_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


# -- reading what the bot posted -------------------------------------------------------------

def texts(message: dict[str, Any]) -> list[str]:
    """Every mrkdwn/plain text in a message's blocks, in order."""
    out: list[str] = []
    for block in message.get("blocks", []):
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            if "text" in element:
                text = element["text"]
                out.append(text["text"] if isinstance(text, dict) else text)
    return out


def sections(message: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in message.get("blocks", []) if b["type"] == "section"]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """action_id -> value for every button."""
    return {e["action_id"]: e["value"] for b in message.get("blocks", []) if b["type"] == "actions"
            for e in b["elements"] if e.get("type") == "button"}
