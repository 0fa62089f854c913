"""Graceful shutdown: the answers still owed when the bot is told to stop.

Every question is tracked while it is answered (`Inflight.track`, entered by
`Answerer.reply` right after the ack), together with where its answer goes. On SIGTERM the
server stops taking requests and `Inflight.drain` waits for those answers until a deadline
(SHUTDOWN_GRACE seconds); each one still unanswered then is cancelled and gets a short apology
where its answer would have gone (its response_url, or its thread). Slack never retries an
acked request, so nothing acked is dropped silently."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("bot.shutdown")

from bot.blocks import Message

Send = Callable[[Message], Awaitable[Any]]   # sends one message to where an answer goes

APOLOGY_TIMEOUT = 5.0    # seconds for each apology, all sent at once
CANCEL_TIMEOUT = 2.0     # seconds for the cancelled answers to unwind


@dataclass(frozen=True)
class Drained:
    """What a drain did: answers that finished during it, apologies sent and failed."""

    answered: int
    apologised: int
    failed: int


class Inflight:
    """The answers being worked on, each with the `send` that reaches its asker."""

    def __init__(self) -> None:
        self._owed: dict[asyncio.Task[Any], Send] = {}
        self._taken = 0          # questions ever tracked
        self._sending: set[asyncio.Future[Any]] = set()
        self._cancelled: set[asyncio.Task[Any]] = set()   # cut off, unless they still reply

    def __len__(self) -> int:
        return len(self._owed)

    @contextmanager
    def track(self, send: Send) -> Iterator[None]:
        """Count the current task as owing an answer (through `send`) until the block ends."""
        task = asyncio.current_task()
        if task is None:
            yield
            return
        self._owed[task] = send
        self._taken += 1
        try:
            yield
        finally:
            self._owed.pop(task, None)

    def delivering(self, send: Send) -> Send:
        """`send` for the reply itself: once it starts, the question is no longer owed an
        apology, and a shutdown lets the message arrive instead of cutting it off."""
        async def deliver(message: Message) -> Any:
            task = asyncio.current_task()
            if task is not None:
                self._owed.pop(task, None)
                self._cancelled.discard(task)   # a cancel that came too late: no apology
            sending = asyncio.ensure_future(send(message))
            self._sending.add(sending)
            sending.add_done_callback(self._sending.discard)
            return await asyncio.shield(sending)
        return deliver

    async def wait(self, deadline: float) -> None:
        """Until nothing is owed or the loop's clock reaches `deadline` (answers taken on
        meanwhile are waited for too)."""
        loop = asyncio.get_running_loop()
        while self._owed and (left := deadline - loop.time()) > 0:
            await asyncio.wait(set(self._owed), timeout=left)

    async def drain(self, deadline: float, apology: Message,
                    between: Callable[[], Awaitable[None]] | None = None) -> Drained:
        """Wait for the owed answers until `deadline`; cancel the rest and send each asker
        `apology`. `between` runs after the first wait (closing the server lets the requests
        it was still acking start their answers, which are then waited for in turn). Logs one
        line; returns the counts."""
        owed_before, taken_before = len(self._owed), self._taken
        await self.wait(deadline)
        if between is not None:
            await between()
            await self.wait(deadline)
        late = dict(self._owed)
        self._cancelled = set(late)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(set(late), timeout=CANCEL_TIMEOUT)
        late = {task: send for task, send in late.items() if task in self._cancelled}
        sent = await asyncio.gather(*(_apologise(send, apology) for send in late.values()))
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=APOLOGY_TIMEOUT)
        owed = owed_before + self._taken - taken_before
        drained = Drained(answered=owed - len(late),
                          apologised=sum(sent), failed=len(sent) - sum(sent))
        log = logger.warning if late else logger.info
        log("shutdown: %d answers finished, %d unanswered got an apology, %d apologies failed",
            drained.answered, drained.apologised, drained.failed)
        return drained


async def _apologise(send: Send, apology: Message) -> bool:
    try:
        await asyncio.wait_for(send(apology), APOLOGY_TIMEOUT)
        return True
    except Exception:
        logger.warning("shutdown: could not send an apology for an unanswered question",
                       exc_info=True)
        return False
