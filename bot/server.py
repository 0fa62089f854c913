"""HTTP mode: an aiohttp server with Slack's endpoint and the health and readiness probes."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.gate import admit
from bot.search import CurrentRetriever

SLACK_PATH = "/slack/events"
logger = logging.getLogger("bot.server")


@dataclass
class ServerState:
    """The app once the model and index are loaded; until then the server is not ready.
    `current` is the retriever being served (`/readyz` describes it, after a reload too);
    `stopping` once told to stop: not ready, no new requests, owed answers still sent."""

    app: AsyncApp | None = None
    current: CurrentRetriever | None = None
    stopping: bool = False
    signing_secret: str = ""        # what the gate verifies requests with (SLACK_SIGNING_SECRET)


def create_web_app(state: ServerState) -> web.Application:
    """`POST /slack/events` (commands, events, interactivity), `GET /healthz`, `GET /readyz`."""

    async def slack_events(request: web.Request) -> web.StreamResponse:
        if state.app is None:
            return web.json_response({"error": "starting up"}, status=503)
        if state.stopping:
            return web.json_response({"error": "shutting down"}, status=503)
        admitted = await admit(request, state.signing_secret)
        if isinstance(admitted, web.StreamResponse):
            return admitted
        return await to_aiohttp_response(await state.app.async_dispatch(admitted))

    async def healthz(_: web.Request) -> web.StreamResponse:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.StreamResponse:
        if state.app is None:
            return web.json_response({"status": "loading"}, status=503)
        if state.stopping:
            return web.json_response({"status": "stopping"}, status=503)
        info = None if state.current is None else state.current.info
        index = {} if info is None else {"built_at": info.built_at, "notes": info.notes,
                                         "talks": info.talks, "model": info.model}
        return web.json_response({"status": "ready", "index": index})

    web_app = web.Application()
    web_app.add_routes([web.post(SLACK_PATH, slack_events), web.get("/healthz", healthz),
                        web.get("/readyz", readyz)])
    return web_app


async def start_server(state: ServerState, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start listening; returns the runner (to clean up) and the port actually bound."""
    runner = web.AppRunner(create_web_app(state), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = port
    for address in runner.addresses:
        if isinstance(address, tuple):
            bound = int(address[1])
            break
    return runner, bound


def socket_handler(app: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """The Socket Mode connection; its client asks `apps.connections.open` on the app's client."""
    return AsyncSocketModeHandler(app, app_token)


async def wait_for_stop() -> None:
    """Sleep until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
    try:
        await stop.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
