"""Command line: Socket Mode, HTTP mode, the terminal prompt, and `ask` for one question."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.blocks import restart_message
from bot.feedback_export import add_arguments as add_feedback_arguments
from bot.feedback_export import run_export
from bot.logs import setup_logging
from bot.reload import Identity, manifest_identity, start_watching
from bot.search import CurrentRetriever, Retriever, load_retriever, reload_retriever
from bot.settings import (HTTP, SOCKET, TERMINAL, Settings, SettingsError, check_index,
                          check_slack, choose_mode, load_settings, terminal_help)
from bot.shutdown import Inflight
from bot.stores import check_stores
from index.errors import KubeconBotError

if TYPE_CHECKING:
    from bot.server import ServerState

logger = logging.getLogger("bot")

EXIT_CONFIG = 2


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="python -m bot",
        description="kubecon-bot: Socket Mode when SLACK_APP_TOKEN is set, HTTP mode with "
                    "--http, otherwise a terminal prompt.")
    top.add_argument("--http", action="store_true", help="serve Slack over HTTP on PORT")
    top.add_argument("--index", type=Path, help="index directory (default: INDEX_DIR)")
    commands = top.add_subparsers(dest="command")
    ask = commands.add_parser("ask", help="answer one question as plain text")
    ask.add_argument("--index", type=Path, dest="ask_index", help="index directory")
    ask.add_argument("question", nargs="*", help="the question (filters work too)")
    add_feedback_arguments(commands)
    return top


def _loaded(settings: Settings, err: TextIO) -> Retriever:
    check_index(settings.index_dir)
    print(f"Loading the index from {settings.index_dir} and the model…", file=err, flush=True)
    return load_retriever(settings)


def _terminal(settings: Settings, question: str, stdin: TextIO, out: TextIO, err: TextIO,
              load: Callable[[Settings], Retriever]) -> int:
    from bot.content import is_help
    from bot.terminal import ask, prompt_loop
    from bot.text import help_text

    if not question and not stdin.isatty():
        print("error: no question: run python -m bot ask \"your question\"", file=err)
        return EXIT_CONFIG
    if question and is_help(question):
        print(help_text(), file=out)
        return 0
    retriever = load(settings)
    color = out.isatty()
    if question:
        text, answer = ask(retriever, question, color=color)
        print(text, file=out)
        return 0 if answer is not None else 1
    return prompt_loop(retriever, read=_reader(stdin, out), color=color,
                       write=lambda s: print(s, file=out, flush=True))


def _reader(stdin: TextIO, out: TextIO) -> Callable[[str], str]:
    """`input` on the real terminal (line editing); otherwise read lines from the given stream."""
    if stdin is sys.stdin and out is sys.stdout:
        return input

    def read(prompt: str) -> str:
        out.write(prompt)
        out.flush()
        line = stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")
    return read


async def _run_http(settings: Settings, load: Callable[[Settings], Retriever], err: TextIO) -> int:
    from bot.app import create_app
    from bot.server import ServerState, start_server, wait_for_stop

    state, inflight = ServerState(), Inflight()
    runner, port = await start_server(state, settings.host, settings.port)
    logger.info("listening on %s:%d (ready once the index is loaded)", settings.host, port)
    watcher: asyncio.Task[None] | None = None
    try:
        seen = manifest_identity(settings.index_dir)     # before loading: a build meanwhile is seen
        try:
            retriever = await asyncio.to_thread(load, settings)
        except (KubeconBotError, SettingsError) as exc:
            print(f"error: {exc}", file=err)
            return EXIT_CONFIG
        state.serve(CurrentRetriever(retriever))
        state.app = create_app(settings, state.current, inflight=inflight, metrics=state.metrics)
        state.signing_secret = settings.secret("slack_signing_secret")
        logger.info("ready: %d notes, %d talks", retriever.info.notes, retriever.info.talks)
        watcher = _watch(settings, state, seen)
        await wait_for_stop()
        # /readyz says 503 and new requests get 503 while the answers owed are sent.
        state.stopping = True
        await inflight.drain(_deadline(settings, len(inflight)),
                             restart_message(settings.slack_command), between=runner.cleanup)
        return 0
    finally:
        _stop(watcher)
        await runner.cleanup()     # a second time is harmless


def _watch(settings: Settings, state: ServerState, seen: Identity | None
           ) -> asyncio.Task[None] | None:
    """Serve a new index from INDEX_DIR when one is built (every INDEX_RELOAD_SECONDS); the
    metrics count the reloads and the failed ones."""
    assert state.current is not None
    return start_watching(state.current, settings.index_dir, settings.index_reload_seconds,
                          lambda old: reload_retriever(settings, old), seen,
                          on_reload=lambda _info: state.metrics.index_reloaded(),
                          on_failure=lambda _error: state.metrics.index_reload_failed())


def _stop(watcher: asyncio.Task[None] | None) -> None:
    """Stop watching (a load in its worker thread finishes, unused, before the process ends)."""
    if watcher is not None:
        watcher.cancel()


def _deadline(settings: Settings, owed: int) -> float:
    """When a shutdown stops waiting for answers (the loop's clock); logs that it started."""
    logger.info("stopping: waiting up to %gs (SHUTDOWN_GRACE) for %d answers",
                settings.shutdown_grace, owed)
    return asyncio.get_running_loop().time() + settings.shutdown_grace


async def _run_socket(settings: Settings, retriever: Retriever, seen: Identity | None = None
                      ) -> int:
    """Socket Mode with `retriever`, loaded when the manifest was `seen` (None: as it is now)."""
    from bot.app import create_app
    from bot.server import ServerState, socket_handler, start_server, wait_for_stop

    seen = seen or manifest_identity(settings.index_dir)
    state, inflight = ServerState(), Inflight()
    live = state.serve(CurrentRetriever(retriever))
    app = create_app(settings, live, inflight=inflight, metrics=state.metrics)
    runner, watcher = None, None
    if settings.metrics_port is not None:    # the probes and /metrics; Slack's endpoint is not served
        runner, port = await start_server(state, settings.host, settings.metrics_port, slack=False)
        logger.info("metrics and probes on %s:%d", settings.host, port)
    try:
        handler = socket_handler(app, settings.secret("slack_app_token"))
        await handler.connect_async()  # type: ignore[no-untyped-call]
        state.app = app
        logger.info("connected in Socket Mode: %d notes, %d talks", retriever.info.notes,
                    retriever.info.talks)
        watcher = _watch(settings, state, seen)
        try:
            await wait_for_stop()
        finally:
            await handler.close_async()  # type: ignore[no-untyped-call]
        # Disconnected (no new events); the answers owed are still sent, or apologised for.
        state.stopping = True
        await inflight.drain(_deadline(settings, len(inflight)),
                             restart_message(settings.slack_command))
        return 0
    finally:
        _stop(watcher)
        if runner is not None:
            await runner.cleanup()


def main(argv: Sequence[str] | None = None, *, settings: Settings | None = None,
         stdin: TextIO | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None,
         load: Callable[[Settings], Retriever] | None = None) -> int:
    """Run the bot; returns the exit code (2 for a setting to fix or an index to build)."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    args = parser().parse_args(argv)
    loader = load or (lambda s: _loaded(s, stderr))
    try:
        settings = settings or load_settings()
        index = getattr(args, "ask_index", None) or args.index
        if index is not None:
            settings = settings.model_copy(update={"index_dir": index})
        if args.command == "ask":
            setup_logging("WARNING" if settings.log_level != "DEBUG" else "DEBUG", settings.log_format)
            return _terminal(settings, " ".join(args.question).strip(), stdin, stdout, stderr,
                             loader)
        if args.command == "feedback":
            return run_export(settings, args, stdout, stderr)
        mode = choose_mode(settings, args.http)
        if mode == TERMINAL:
            if not stdin.isatty():
                print(f"error: {terminal_help()}", file=stderr)
                return EXIT_CONFIG
            setup_logging("WARNING" if settings.log_level != "DEBUG" else "DEBUG", settings.log_format)
            return _terminal(settings, "", stdin, stdout, stderr, loader)
        check_slack(settings, mode)
        check_index(settings.index_dir)
        check_stores(settings)
        setup_logging(settings.log_level, settings.log_format)
        if mode == HTTP:
            return asyncio.run(_run_http(settings, loader, stderr))
        assert mode == SOCKET
        seen = manifest_identity(settings.index_dir)
        return asyncio.run(_run_socket(settings, loader(settings), seen))
    except (SettingsError, KubeconBotError) as exc:
        print(f"error: {exc}", file=stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
