"""A real redis-server on a free loopback port, for the tests of what replicas share."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from test_bot_server import free_port

INSTALL = ("redis-server is not installed: the tests of the shared store start a real one; "
           "install it with `apt-get install redis-server` (./run test does when run as root)")


def _wait_for_ping(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 10) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"redis-server exited ({proc.returncode}): {log.read_text()[-500:]}")
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"redis-server did not answer PING within {timeout}s")
            time.sleep(0.05)
    finally:
        client.close()


@contextmanager
def running_redis(workdir: Path) -> Iterator[str]:
    """Start redis-server (no persistence) in `workdir`; yields its URL; stops it after."""
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail(INSTALL)
    port = free_port()
    log = workdir / "redis.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no", "--dir", str(workdir)],
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_for_ping(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
