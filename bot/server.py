"""HTTP mode: an aiohttp server with Slack's endpoint, the health and readiness probes and the
Prometheus metrics (in Socket Mode the same server without Slack's endpoint, on METRICS_PORT)."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from dataclasses import dataclass, field

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.gate import admit
from bot.metrics import CONTENT_TYPE, OUTCOME_KEY, UNKNOWN, Metrics, edge_outcome, request_kind
from bot.search import CurrentRetriever
from index.models import IndexInfo

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
    metrics: Metrics = field(init=False, repr=False)    # reads `info` at each scrape

    def __post_init__(self) -> None:
        self.metrics = Metrics(lambda: self.info)

    @property
    def info(self) -> IndexInfo | None:
        """The index being served (None before one is loaded)."""
        return None if self.current is None else self.current.info

    def serve(self, current: CurrentRetriever) -> CurrentRetriever:
        """Serve (and describe in /readyz and /metrics) this retriever's index, counted as a
        load; the reload watcher swaps indexes inside it later."""
        self.current = current
        self.metrics.index_reloaded()
        return current


async def dispatch(state: ServerState, request: web.Request) -> tuple[str, str, web.StreamResponse]:
    """A request to Slack's endpoint: its kind, its outcome and the response."""
    if state.app is None:
        return UNKNOWN, "starting", web.json_response({"error": "starting up"}, status=503)
    if state.stopping:
        return UNKNOWN, "shutting_down", web.json_response({"error": "shutting down"}, status=503)
    admitted = await admit(request, state.signing_secret)
    if isinstance(admitted, web.StreamResponse):
        return UNKNOWN, edge_outcome(admitted.status), admitted
    answered = await state.app.async_dispatch(admitted)
    body = admitted.body if isinstance(admitted.body, dict) else {}
    return (request_kind(body), edge_outcome(answered.status, admitted.context.get(OUTCOME_KEY)),
            await to_aiohttp_response(answered))


def create_web_app(state: ServerState, slack: bool = True) -> web.Application:
    """`POST /slack/events` (commands, events, interactivity; left out when `slack` is False),
    `GET /healthz`, `GET /readyz`, `GET /metrics`."""

    async def slack_events(request: web.Request) -> web.StreamResponse:
        arrived = time.perf_counter()
        kind, outcome, response = await dispatch(state, request)
        state.metrics.request(kind, outcome, time.perf_counter() - arrived)
        return response

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

    async def metrics(_: web.Request) -> web.StreamResponse:
        return web.Response(body=state.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    web_app = web.Application()
    web_app.add_routes([web.get("/healthz", healthz), web.get("/readyz", readyz),
                        web.get("/metrics", metrics)])
    if slack:
        web_app.add_routes([web.post(SLACK_PATH, slack_events)])
    return web_app


async def start_server(state: ServerState, host: str, port: int,
                       slack: bool = True) -> tuple[web.AppRunner, int]:
    """Start listening; returns the runner (to clean up) and the port actually bound."""
    runner = web.AppRunner(create_web_app(state, slack), access_log=None)
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
