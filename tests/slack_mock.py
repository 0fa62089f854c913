"""A local stand-in for Slack: Web API methods, response_url endpoints and a Socket Mode websocket.

Every request is recorded with its parsed body, so tests assert on what the bot posted.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

BOT_USER = "UBOT0001"
TEAM = "T0000001"


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

    def __post_init__(self) -> None:
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._socket: web.WebSocketResponse | None = None
        self._socket_ready = asyncio.Event()
        self._ts = itertools.count(1)

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> MockSlack:
        app = web.Application()
        app.add_routes([web.post("/api/{method}", self._api), web.post("/response/{rid}", self._response),
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
        if request.content_type == "application/json":
            body = json.loads(raw) if raw else {}
        else:
            body = dict(parse_qsl(raw))
            for key in ("blocks", "attachments"):
                if isinstance(body.get(key), str):
                    body[key] = json.loads(body[key])
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
            return web.json_response({"ok": True, "channel": body.get("channel"), "ts": ts,
                                      "message": {"text": body.get("text"), "ts": ts}})
        return web.json_response({"ok": True})

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
