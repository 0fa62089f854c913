"""Prometheus metrics at GET /metrics: the output parses with Prometheus' own text-format parser,
and its counters, histograms and gauges move with real signed traffic over HTTP (and over
Socket Mode, on METRICS_PORT)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable
from datetime import datetime
from types import SimpleNamespace
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.cli import _run_socket
from bot.metrics import Metrics, edge_outcome, index_age, request_kind
from bot.search import CurrentRetriever
from bot.slack_fakes import (CHANNEL, USER, MockSlack, buttons, command_body, command_payload,
                             home_opened, mention, signed)
from bot_fakes import INFO, QUESTION, FakeRetriever
from bot_harness import ended, make_settings, running_bot
from test_bot_server import free_port, poll
from test_bot_socket import APP_TOKEN

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
REQUESTS, ANSWERS, ERRORS = "kubecon_bot_requests_total", "kubecon_bot_answers_total", "kubecon_bot_errors_total"


def parse(text: str) -> Samples:
    """Every sample, by name and labels, as Prometheus' parser reads the exposition."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def scrape(session: aiohttp.ClientSession, url: str) -> tuple[str, Samples]:
    async with session.get(url + "/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        text = await resp.text()
    return text, parse(text)


async def scrape_until(session: aiohttp.ClientSession, url: str,
                       ready: Callable[[Samples], bool], timeout: float = 5.0) -> tuple[str, Samples]:
    """Scrape until `ready` holds (an answer is counted just after the mock Slack receives it)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        text, samples = await scrape(session, url)
        if ready(samples) or asyncio.get_running_loop().time() > deadline:
            return text, samples
        await asyncio.sleep(0.05)


def deltas(before: Samples, after: Samples) -> Callable[..., float]:
    return lambda name, **labels: value(after, name, **labels) - value(before, name, **labels)


async def test_metrics_parse_and_move_with_signed_traffic(tmp_path: Path) -> None:
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        _, before = await scrape(bot.session, bot.url)
        assert (await bot.command(QUESTION, response="answered"))[0] == 200
        [answer] = await bot.mock.wait_for(lambda m: m.responses("answered"))
        assert (await bot.command("nothing matches this", response="refused"))[0] == 200
        body = command_body(QUESTION, bot.mock.response_url("forged"))
        assert (await bot.post(body, signed(body, secret="not-the-signing-secret")))[0] == 401
        assert (await bot.click("kubecon_more", buttons(answer.body)["kubecon_more"]))[0] == 200
        text, after = await scrape_until(
            bot.session, bot.url, lambda s: value(s, ANSWERS, surface="more", outcome="answered"))
    delta = deltas(before, after)
    assert delta(REQUESTS, kind="command", outcome="acked") == 2
    assert delta(REQUESTS, kind="unknown", outcome="unauthorized") == 1
    assert delta(REQUESTS, kind="block_actions", outcome="acked") == 1
    assert delta("kubecon_bot_ack_seconds_count", kind="command") == 2
    assert delta("kubecon_bot_ack_seconds_count", kind="unknown") == 1
    assert delta("kubecon_bot_ack_seconds_count", kind="block_actions") == 1
    assert delta(ANSWERS, surface="command", outcome="answered") == 1
    assert delta(ANSWERS, surface="command", outcome="nothing_found") == 1     # the refusal
    assert delta(ANSWERS, surface="more", outcome="answered") == 1
    assert delta("kubecon_bot_answer_seconds_count", surface="command") == 2
    assert delta("kubecon_bot_answer_seconds_bucket", surface="command", le="+Inf") == 2
    assert not any(name == ERRORS for name, _ in after)
    assert (value(after, "kubecon_bot_index_notes"), value(after, "kubecon_bot_index_talks"),
            value(after, "kubecon_bot_index_chunks")) == (INFO.notes, INFO.talks, INFO.chunks)
    built = datetime.fromisoformat(INFO.built_at).timestamp()
    age = value(after, "kubecon_bot_index_age_seconds")
    assert 0 <= age and abs(age - (datetime.now().timestamp() - built)) < 60
    for private in (USER, CHANNEL, QUESTION, "nothing matches", "forged", bot.mock.base_url):
        assert private not in text            # bounded labels: no user, channel or question


async def test_errors_failed_posts_and_listener_failures_are_counted(tmp_path: Path) -> None:
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        _, before = await scrape(bot.session, bot.url)
        await bot.command("boom goes the index")
        bot.mock.fail["chat.postMessage"] = "channel_not_found"
        await bot.event(mention(f"<@UBOT0001> {QUESTION}"), event_id="EvPostFails")
        bot.mock.fail["views.publish"] = "invalid_arguments"
        await bot.event(home_opened(), event_id="EvHomeFails")
        _, after = await scrape_until(
            bot.session, bot.url, lambda s: value(s, ERRORS, where="listener")
            and value(s, ANSWERS, surface="mention", outcome="error")
            and value(s, ANSWERS, surface="command", outcome="error"))
    delta = deltas(before, after)
    assert delta(ANSWERS, surface="command", outcome="error") == 1
    assert delta(ANSWERS, surface="mention", outcome="error") == 1
    assert delta(ERRORS, where="answer") == 2              # the boom, the unpostable answer
    assert delta(ERRORS, where="post") == 2                # the answer, then its apology
    assert delta(ERRORS, where="listener") == 1            # views.publish raised in a listener
    assert delta(REQUESTS, kind="event_app_mention", outcome="acked") == 1
    assert delta(REQUESTS, kind="event_app_home_opened", outcome="acked") == 1


async def test_gate_refusals_dropped_retries_and_shutdown_are_counted(tmp_path: Path) -> None:
    async with running_bot(FakeRetriever(), tmp_path) as bot:
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        assert (await bot.event(mention("<@UBOT0001> hi"), "EvRetried", retry))[0] == 200
        assert (await bot.post("payload=%5B%5D", signed("payload=%5B%5D")))[0] == 400
        bot.state.stopping = True
        assert (await bot.command(QUESTION))[0] == 503
        _, after = await scrape(bot.session, bot.url)
    assert value(after, REQUESTS, kind="event_app_mention", outcome="dropped_retry") == 1
    assert value(after, REQUESTS, kind="event_app_mention", outcome="acked") == 0
    assert value(after, REQUESTS, kind="unknown", outcome="malformed") == 1
    assert value(after, REQUESTS, kind="unknown", outcome="shutting_down") == 1
    assert value(after, "kubecon_bot_ack_seconds_count", kind="unknown") == 2
    assert bot.mock.posts() == []


async def test_before_the_index_is_loaded_and_after_each_load(tmp_path: Path) -> None:
    async with running_bot(None, tmp_path) as bot:
        _, starting = await scrape(bot.session, bot.url)
        assert (await bot.command(QUESTION))[0] == 503
        bot.state.serve(CurrentRetriever(SimpleNamespace(info=INFO)))   # start-up's load
        bot.state.metrics.index_reload_failed()
        bot.state.metrics.index_reloaded()
        _, loaded = await scrape(bot.session, bot.url)
    assert not any(name.startswith("kubecon_bot_index_") and "reloads" not in name
                   for name, _ in starting)                     # no index yet: no gauges
    assert value(starting, "kubecon_bot_index_reloads_total", outcome="ok") == 0
    assert value(loaded, REQUESTS, kind="unknown", outcome="starting") == 1
    assert value(loaded, "kubecon_bot_index_reloads_total", outcome="ok") == 2
    assert value(loaded, "kubecon_bot_index_reloads_total", outcome="failed") == 1
    assert value(loaded, "kubecon_bot_index_talks") == INFO.talks


def test_each_server_counts_in_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.request("command", "acked", 0.01)
    assert value(parse(first.exposition().decode()), REQUESTS, kind="command", outcome="acked") == 1
    assert value(parse(second.exposition().decode()), REQUESTS, kind="command", outcome="acked") == 0


def test_index_age_is_read_at_scrape_time() -> None:
    now = [datetime.fromisoformat(INFO.built_at).timestamp() + 90]
    metrics = Metrics(lambda: INFO, clock=lambda: now[0])
    assert value(parse(metrics.exposition().decode()), "kubecon_bot_index_age_seconds") == 90
    now[0] += 3600
    assert value(parse(metrics.exposition().decode()), "kubecon_bot_index_age_seconds") == 3690
    assert index_age("2024-05-01T12:30:00+00:00", 0.0) == 0.0       # a clock behind: not negative
    assert index_age("yesterday", 1e9) is None
    assert index_age("2024-05-01T12:30:00", 1e9) is None            # no time zone: unknown


def test_request_kinds_and_outcomes_come_from_small_vocabularies() -> None:
    assert request_kind({"command": "/kubecon", "text": "x"}) == "command"
    assert request_kind({"type": "event_callback", "event": {"type": "app_mention"}}) == "event_app_mention"
    assert request_kind({"type": "event_callback", "event": {"type": "user-chosen"}}) == "event_other"
    assert request_kind({"type": "event_callback", "event": "junk"}) == "event_other"
    assert request_kind({"type": "block_actions"}) == "block_actions"
    assert request_kind({"type": "anything else"}) == "other"
    assert request_kind({"ssl_check": "1"}) == "ssl_check"
    assert [edge_outcome(s) for s in (200, 400, 401, 404, 418, 500)] == [
        "acked", "malformed", "unauthorized", "unhandled", "rejected", "error"]
    assert edge_outcome(200, "dropped_retry") == "dropped_retry"
    assert edge_outcome(500, "dropped_retry") == "error"


async def test_socket_mode_serves_probes_and_metrics_on_metrics_port(tmp_path: Path) -> None:
    mock = await MockSlack().start()
    port = free_port()
    settings = make_settings(mock, tmp_path, slack_app_token=APP_TOKEN, slack_signing_secret=None,
                             host="127.0.0.1", metrics_port=port, shutdown_grace=1.0)
    run = asyncio.create_task(_run_socket(settings, FakeRetriever()))
    url = f"http://127.0.0.1:{port}"
    try:
        async with ended(run), aiohttp.ClientSession() as session:
            await poll(session, url + "/readyz", 200)
            await mock.send_envelope("slash_commands",
                                     command_payload(QUESTION, mock.response_url("sock")), "env-1")
            await mock.wait_for(lambda m: m.responses("sock"))
            _, samples = await scrape_until(
                session, url, lambda s: value(s, ANSWERS, surface="command", outcome="answered"))
            async with session.post(url + "/slack/events", data="x") as resp:
                assert resp.status == 404          # Slack's endpoint is not served in Socket Mode
            os.kill(os.getpid(), signal.SIGTERM)
            assert await asyncio.wait_for(run, 10) == 0
    finally:
        await mock.close()
    assert value(samples, REQUESTS, kind="command", outcome="acked") == 1
    assert value(samples, ANSWERS, surface="command", outcome="answered") == 1
    assert value(samples, "kubecon_bot_index_reloads_total", outcome="ok") == 1
    assert value(samples, "kubecon_bot_index_notes") == INFO.notes
    assert value(samples, "kubecon_bot_ack_seconds_count", kind="command") == 0   # no HTTP door
