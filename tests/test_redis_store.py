"""The shared store against a real redis-server: event ids with a TTL, duplicates seen across
clients, votes kept in order, Redis blinking without costing an answer, the export formats,
and the local stores when REDIS_URL is not set."""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path

import pytest
import redis

from bot.feedback import FeedbackLog
from bot.feedback_export import to_csv, to_jsonl
from bot.redis_store import (Outage, RedisEvents, RedisFeedback, check_redis, connect,
                             redacted)
from bot.retries import EVENT_TTL, SeenEvents, should_drop_shared
from bot.settings import Settings, SettingsError, load_settings
from bot.stores import stores_for
from index.models import Feedback
from redis_server import running_redis
from test_bot_server import free_port

VOTES = [Feedback(user_hash="u1hash", question="what about Spinnaker, \"CD\"?",
                  talk_ids=("a/one", "b/two"), helpful=True, extra={"offset": 0}),
         Feedback(user_hash="u2hash", question="service mesh\nlatency", talk_ids=(),
                  helpful=False, extra={"offset": 3})]


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, feedback_path=tmp_path / "feedback.jsonl", **values)  # type: ignore[call-arg]


async def test_an_event_id_is_set_once_with_a_ttl_and_seen_by_every_client(redis_url: str) -> None:
    first, second = connect(redis_url), connect(redis_url)
    try:
        a = RedisEvents(first, Outage("a"))
        b = RedisEvents(second, Outage("b"))
        assert await a.first_delivery("Ev1") is True
        assert await b.first_delivery("Ev1") is False          # another replica's client
        assert await a.first_delivery("Ev1") is False
        ttl = await first.ttl("kubecon-bot:event:Ev1")
        assert 0 < ttl <= EVENT_TTL and ttl > EVENT_TTL - 10
        assert await first.get("kubecon-bot:event:Ev1") == "1"
        assert await b.first_delivery("Ev2") is True
    finally:
        await first.aclose()
        await second.aclose()


async def test_the_verdict_is_the_same_as_in_the_process(redis_url: str) -> None:
    client = connect(redis_url)
    try:
        for store in (RedisEvents(client, Outage("r")), SeenEvents()):
            verdicts = [await should_drop_shared(store, *delivery) for delivery in (
                ("Ev1", "", ""), ("Ev1", "1", "http_timeout"), ("Ev2", "1", "http_timeout"),
                ("Ev3", "1", "connection_failed"), ("Ev3", "2", "connection_failed"),
                ("", "", ""), ("", "1", ""))]
            assert verdicts == [False, True, True, False, True, False, True], store
    finally:
        await client.aclose()


async def test_votes_go_to_one_list_in_order_and_read_back(redis_url: str, tmp_path: Path) -> None:
    client = connect(redis_url)
    try:
        store = RedisFeedback(client, Outage("r"), FeedbackLog(tmp_path / "local.jsonl"))
        for vote in VOTES:
            await store.record(vote)
        records = await store.records()
        raw = await client.lrange("kubecon-bot:feedback", 0, -1)
    finally:
        await client.aclose()
    assert [r["user"] for r in records] == ["u1hash", "u2hash"]
    assert records[0]["talk_ids"] == ["a/one", "b/two"] and records[1]["helpful"] is False
    assert records[1]["offset"] == 3 and records[0]["time"].endswith("+00:00")
    assert [json.loads(line) for line in raw] == records
    assert not (tmp_path / "local.jsonl").exists()


async def test_redis_down_costs_no_answer_and_logs_once(tmp_path: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    outage = Outage("redis://127.0.0.1:1/0", retry_after=5, clock=lambda: now[0])
    client = connect(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)   # nobody listens
    local = FeedbackLog(tmp_path / "local.jsonl")
    events, votes = RedisEvents(client, outage), RedisFeedback(client, outage, local)
    with caplog.at_level(logging.WARNING, logger="bot.redis"):
        assert await events.first_delivery("Ev1") is True        # the local store answers
        assert await events.first_delivery("Ev1") is False
        await votes.record(VOTES[0])
        now[0] += 6                                              # asks Redis again: still down
        assert await events.first_delivery("Ev2") is True
    await client.aclose()
    unreachable = [r for r in caplog.records if "is unreachable (" in r.getMessage()]
    assert len(unreachable) == 1 and "asks again every 5s" in unreachable[0].getMessage()
    assert sum("a vote went to" in r.getMessage() for r in caplog.records) == 1
    assert [r["user"] for r in local.read()] == ["u1hash"]


async def test_redis_back_is_used_again_and_said_once(redis_url: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    outage = Outage("r", retry_after=0)
    outage.failed(ConnectionError("down"))
    client = connect(redis_url)
    with caplog.at_level(logging.WARNING, logger="bot.redis"):
        assert await RedisEvents(client, outage).first_delivery("Ev9") is True
        assert await RedisEvents(client, outage).first_delivery("Ev9") is False
    assert await client.exists("kubecon-bot:event:Ev9") == 1
    await client.aclose()
    assert sum("answers again" in r.getMessage() for r in caplog.records) == 1


def test_start_up_check_names_what_to_check(redis_url: str) -> None:
    check_redis(redis_url)                      # answers: nothing raised
    port = free_port()
    with pytest.raises(SettingsError) as caught:
        check_redis(f"redis://:s3cret@127.0.0.1:{port}/0", timeout=1)
    message = str(caught.value)
    assert message.startswith(f"REDIS_URL redis://:***@127.0.0.1:{port}/0 cannot be reached")
    assert "s3cret" not in message and "unset REDIS_URL" in message and "\n" not in message
    with pytest.raises(SettingsError, match="is not a Redis URL"):
        check_redis("redis://127.0.0.1:port/0")


def test_password_is_redacted() -> None:
    assert redacted("redis://user:pw@host:6379/1") == "redis://user:***@host:6379/1"
    assert redacted("redis://host:6379") == "redis://host:6379"


def test_redis_url_must_be_a_redis_url() -> None:
    with pytest.raises(SettingsError, match="REDIS_URL is invalid: .*redis://"):
        load_settings(_env_file=None, redis_url="http://redis:6379")
    assert load_settings(_env_file=None, redis_url="  ").redis_url is None


def test_without_redis_url_the_process_and_the_file_keep_everything(tmp_path: Path) -> None:
    stores = stores_for(settings(tmp_path))
    assert isinstance(stores.seen, SeenEvents) and stores.client is None
    assert isinstance(stores.feedback, FeedbackLog)
    assert stores.feedback.path == tmp_path / "feedback.jsonl"
    shared = stores_for(settings(tmp_path, redis_url="redis://127.0.0.1:1/0"))
    assert isinstance(shared.seen, RedisEvents) and isinstance(shared.feedback, RedisFeedback)


def test_export_formats_read_back(tmp_path: Path) -> None:
    log = FeedbackLog(tmp_path / "votes.jsonl")
    for vote in VOTES:
        log.write(vote)
    with (tmp_path / "votes.jsonl").open("a") as handle:
        handle.write('{"cut short\n')                       # a damaged line is skipped
    records = log.read()
    assert [json.loads(line) for line in to_jsonl(records).splitlines()] == records
    rows = list(csv.DictReader(io.StringIO(to_csv(records))))
    assert list(rows[0]) == ["time", "user", "helpful", "question", "talk_ids", "offset"]
    assert rows[0]["talk_ids"] == "a/one b/two" and rows[0]["helpful"] == "true"
    assert rows[0]["question"] == VOTES[0].question and rows[1]["question"] == VOTES[1].question
    assert (rows[1]["helpful"], rows[1]["talk_ids"], rows[1]["offset"]) == ("false", "", "3")


def test_the_fixture_server_is_real(redis_url: str) -> None:
    with redis.Redis.from_url(redis_url) as client:
        info = client.info("server")
    assert int(info["redis_version"].split(".")[0]) >= 6 and info["tcp_port"] > 0


def test_without_redis_server_the_fixture_fails_saying_how_to_install(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))                 # no redis-server on it
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install redis-server"):
        with running_redis(tmp_path):
            pass
