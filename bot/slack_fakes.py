"""A local stand-in for Slack, used by the tests and the benchmarks (the running bot never
imports it): `MockSlack` serves the Web API methods, response_url endpoints and a Socket Mode
websocket on 127.0.0.1 and records every request with its parsed body; the payload builders
make requests as Slack sends them (slash commands, events, button clicks), signed with the
secret; `texts`, `sections` and `buttons` read what the bot posted.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aiohttp import WSMsgType, web
from slack_sdk.signature import SignatureVerifier

BOT_USER = "UBOT0001"
TEAM = "T0000001"
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
USER = "U0USER001"
CHANNEL = "C0CHAN001"


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def method(self) -> str:
        return self.path.removeprefix("/api/")


@dataclass
class MockSlack:
    requests: list[Recorded] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)
    fail: dict[str, str] = field(default_factory=dict)   # method -> Slack error to answer with
    port: int = 0
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # channel -> messages

    def __post_init__(self) -> None:
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._socket: web.WebSocketResponse | None = None
        self._socket_ready = asyncio.Event()
        self._ts = itertools.count(1)

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> MockSlack:
        app = web.Application()
        app.add_routes([web.post("/api/{method}", self._api), web.get("/api/{method}", self._api),
                        web.post("/response/{rid}", self._response),
                        web.get("/socket", self._websocket)])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base_url}/response/{name}"

    # -- queries ---------------------------------------------------------------------------
    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method]

    def responses(self, name: str | None = None) -> list[Recorded]:
        prefix = "/response/" + (name or "")
        return [r for r in self.requests if r.path.startswith(prefix)]

    def posts(self) -> list[Recorded]:
        """What reached users: chat.postMessage calls and response_url bodies."""
        return [r for r in self.requests
                if r.method == "chat.postMessage" or r.path.startswith("/response/")]

    async def wait_for(self, predicate: Callable[[MockSlack], Any], timeout: float = 5.0) -> Any:
        """Wait until predicate(self) is truthy and return its value."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self)), timeout)
            except TimeoutError:
                raise AssertionError(f"timed out; recorded: {[r.path for r in self.requests]}") from None
        return predicate(self)

    async def _record(self, item: Recorded) -> None:
        async with self._changed:
            self.requests.append(item)
            self._changed.notify_all()

    # -- handlers --------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.text()
        if request.method == "GET":
            body = dict(request.query)
        elif request.content_type == "application/json":
            body = json.loads(raw) if raw else {}
        else:
            body = dict(parse_qsl(raw))
            for key in ("blocks", "attachments"):
                if isinstance(body.get(key), str):
                    body[key] = json.loads(body[key])
        body = dict(request.query) | body        # some methods send their arguments as query
        await self._record(Recorded(request.path, dict(request.headers), body))
        if method in self.fail:
            return web.json_response({"ok": False, "error": self.fail[method]})
        if method == "auth.test":
            return web.json_response({"ok": True, "url": "https://test.slack.com/", "team": "Test",
                                      "user": "kubecon-bot", "team_id": TEAM, "user_id": BOT_USER,
                                      "bot_id": "BBOT0001", "is_enterprise_install": False})
        if method == "apps.connections.open":
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"})
        if method in ("chat.postMessage", "chat.postEphemeral"):
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            if method == "chat.postMessage":
                self._keep_post(body, ts)
            return web.json_response({"ok": True, "channel": body.get("channel"), "ts": ts,
                                      "message": {"text": body.get("text"), "ts": ts}})
        return web.json_response(self._conversations(method, body))

    # -- conversations: what `say` and the bot's posts left in each channel ------------------
    def say(self, event: dict[str, Any]) -> dict[str, Any]:
        """Keep a message event (a person's message) in the channel's history; returns it."""
        self.history.setdefault(str(event.get("channel", "")), []).append(dict(event))
        return event

    def _keep_post(self, body: dict[str, Any], ts: str) -> None:
        message = {"type": "message", "user": BOT_USER, "bot_id": "BBOT0001", "ts": ts,
                   "text": body.get("text", ""), "blocks": body.get("blocks", [])}
        if body.get("thread_ts"):
            message["thread_ts"] = body["thread_ts"]
        if isinstance(body.get("metadata"), dict):
            message["metadata"] = body["metadata"]
        self.history.setdefault(str(body.get("channel", "")), []).append(message)

    def _conversations(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        """conversations.replies / .history / .open, views.publish; `{"ok": true}` for the rest."""
        channel = str(body.get("channel", ""))
        metadata = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
        shown = [m if metadata else {k: v for k, v in m.items() if k != "metadata"}
                 for m in sorted(self.history.get(channel, []), key=lambda m: float(m["ts"]))]
        if method == "conversations.replies":
            ts = str(body.get("ts", ""))
            thread = [m for m in shown if m["ts"] == ts or m.get("thread_ts") == ts]
            return {"ok": True, "messages": thread[: int(body.get("limit") or 1000)],
                    "has_more": False}
        if method == "conversations.history":
            top = [m for m in shown if m.get("thread_ts", m["ts"]) == m["ts"]][::-1]
            return {"ok": True, "messages": top[: int(body.get("limit") or 100)], "has_more": False}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(body.get("users", USER))[1:9]}}
        return {"ok": True}

    async def _response(self, request: web.Request) -> web.Response:
        raw = await request.text()
        await self._record(Recorded(request.path, dict(request.headers), json.loads(raw or "{}")))
        return web.Response(text="ok")

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._socket = ws
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "connection_info": {"app_id": "A0000001"}, "debug_info": {"host": "mock"}})
        self._socket_ready.set()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                async with self._changed:
                    self.acks.append(json.loads(message.data))
                    self._changed.notify_all()
        return ws

    # -- Socket Mode -----------------------------------------------------------------------
    async def send_envelope(self, kind: str, payload: dict[str, Any], envelope_id: str,
                            **extra: Any) -> None:
        """Push one Socket Mode envelope (kind: slash_commands, events_api, interactive)."""
        await asyncio.wait_for(self._socket_ready.wait(), 5)
        assert self._socket is not None
        await self._socket.send_json({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                      "accepts_response_payload": kind != "events_api", **extra})

    async def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        return await self.wait_for(
            lambda m: next((a for a in m.acks if a.get("envelope_id") == envelope_id), None), timeout)


# -- requests as Slack sends them -------------------------------------------------------------

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


def channel_message(text: str, ts: str = "1700000010.000100", channel: str = CHANNEL,
                    thread_ts: str | None = None, user: str = USER,
                    channel_type: str = "channel") -> dict[str, Any]:
    """A `message` event in a channel (or, with thread_ts, a reply in a thread)."""
    event = {"type": "message", "channel_type": channel_type, "user": user, "text": text,
             "ts": ts, "channel": channel, "event_ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def home_opened(user: str = USER, channel: str = "D0DM00001") -> dict[str, Any]:
    return {"type": "app_home_opened", "user": user, "channel": channel, "tab": "home",
            "event_ts": "1700000020.000100"}
