"""Prometheus metrics: what `GET /metrics` shows, counted at the edges (the HTTP door, the
answer use case, the listeners' error handler, the index loads).

Each server has its own `Metrics` with its own `CollectorRegistry`, never the library's global
one, so two apps (or two tests) in one process count separately. Labels take values from small
fixed vocabularies only (kinds, outcomes, surfaces): never a user, channel or question."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from index.models import IndexInfo

PREFIX = "kubecon_bot"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"   # Prometheus' text format
# Bolt's context key the middleware notes a dropped redelivery under (the door counts it).
OUTCOME_KEY = "kubecon_request_outcome"

UNKNOWN = "unknown"      # the kind of a request rejected before its body was trusted
EVENT_KINDS = frozenset({"app_mention", "message", "app_home_opened"})
INTERACTIONS = frozenset({"block_actions", "block_suggestion", "view_submission", "view_closed",
                          "shortcut", "message_action", "url_verification"})
STATUS_OUTCOMES = {400: "malformed", 401: "unauthorized", 404: "unhandled"}

# Slack wants its ack within 3 s; an answer may take a search and a post.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
ANSWER_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0)


def request_kind(body: Mapping[str, Any]) -> str:
    """What Slack sent, from a small fixed vocabulary: `command`, `event_<type>` for the
    events the bot listens to (`event_other` for the rest), the interaction's type, `ssl_check`,
    or `other`."""
    if "command" in body:
        return "command"
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event")
        event_type = event.get("type") if isinstance(event, dict) else None
        return f"event_{event_type}" if event_type in EVENT_KINDS else "event_other"
    if kind in INTERACTIONS:
        return str(kind)
    return "ssl_check" if "ssl_check" in body else "other"


def edge_outcome(status: int, noted: str | None = None) -> str:
    """A request's outcome at the door from its HTTP status (and what the middleware noted:
    a 200 for a dropped redelivery is not an ack)."""
    if 200 <= status < 300:
        return noted or "acked"
    if status >= 500:
        return "error"
    return STATUS_OUTCOMES.get(status, "rejected")


def index_age(built_at: str, now: float) -> float | None:
    """Seconds since the index was built (ISO 8601 `built_at`), never negative; None when the
    time cannot be read."""
    try:
        built = datetime.fromisoformat(built_at)
    except ValueError:
        return None
    if built.tzinfo is None:
        return None
    return max(0.0, now - built.timestamp())


class IndexCollector(Collector):
    """The index being served, read at scrape time (so a reload shows at the next scrape)."""

    def __init__(self, info: Callable[[], IndexInfo | None],
                 clock: Callable[[], float] = time.time) -> None:
        self._info, self._clock = info, clock

    def collect(self) -> Iterator[Metric]:
        info = self._info()
        if info is None:
            return           # not loaded yet: no index to describe
        age = index_age(info.built_at, self._clock())
        if age is not None:
            yield GaugeMetricFamily(f"{PREFIX}_index_age_seconds",
                                    "Seconds since the index being served was built", value=age)
        for name, value in (("notes", info.notes), ("talks", info.talks), ("chunks", info.chunks)):
            yield GaugeMetricFamily(f"{PREFIX}_index_{name}",
                                    f"{name.capitalize()} in the index being served", value=value)


class Metrics:
    """Every metric of one bot process, in its own registry; `info` says which index is
    served (the server's state), read at each scrape."""

    def __init__(self, info: Callable[[], IndexInfo | None] = lambda: None,
                 clock: Callable[[], float] = time.time) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.requests = Counter(f"{PREFIX}_requests", "Requests from Slack by kind and outcome",
                                ["kind", "outcome"], registry=registry)
        self.ack_seconds = Histogram(f"{PREFIX}_ack_seconds",
                                     "Seconds from a request's arrival to its HTTP response",
                                     ["kind"], buckets=ACK_BUCKETS, registry=registry)
        self.answers = Counter(f"{PREFIX}_answers", "Questions handled, by surface and outcome",
                               ["surface", "outcome"], registry=registry)
        self.answer_seconds = Histogram(f"{PREFIX}_answer_seconds",
                                        "Seconds from taking a question to its reply being sent",
                                        ["surface"], buckets=ANSWER_BUCKETS, registry=registry)
        self.errors = Counter(f"{PREFIX}_errors", "Errors by where they happened", ["where"],
                              registry=registry)
        self.reloads = Counter(f"{PREFIX}_index_reloads", "Index loads (start-up and reloads)",
                               ["outcome"], registry=registry)
        for outcome in ("ok", "failed"):
            self.reloads.labels(outcome)          # both series exist from the start, at 0
        registry.register(IndexCollector(info, clock))

    def request(self, kind: str, outcome: str, seconds: float | None = None) -> None:
        """One request from Slack; `seconds` to its HTTP response when there is one."""
        self.requests.labels(kind, outcome).inc()
        if seconds is not None:
            self.ack_seconds.labels(kind).observe(seconds)

    def answer(self, surface: str, outcome: str, seconds: float) -> None:
        """One question handled (the outcomes of `bot.logs.log_answer`, plus `help`)."""
        self.answers.labels(surface, outcome).inc()
        self.answer_seconds.labels(surface).observe(seconds)

    def error(self, where: str) -> None:
        self.errors.labels(where).inc()

    def index_reloaded(self) -> None:
        """An index was loaded and is now served (call from the reload watcher's `on_reload`,
        after the server state holds the new index)."""
        self.reloads.labels("ok").inc()

    def index_reload_failed(self) -> None:
        """A reload failed and the previous index is still served (the watcher's `on_failure`)."""
        self.reloads.labels("failed").inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


def note_request(request: Any, metrics: Metrics, outcome: str) -> None:
    """From Bolt's middleware: a request reached the app (`acked`) or was dropped as a
    redelivery. Over HTTP the door counts it once it has answered (this only notes the
    outcome); in Socket Mode there is no door, so it is counted here."""
    if getattr(request, "mode", "http") == "socket_mode":
        body = request.body if isinstance(request.body, dict) else {}
        metrics.request(request_kind(body), outcome)
    elif outcome != "acked":
        request.context[OUTCOME_KEY] = outcome
