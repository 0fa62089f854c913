"""The answer use case: a question (or a request for help) in, one message sent, one log line.

Every listener that answers (the command, mentions, DMs, "Share", "More results") calls
`Answerer.reply` with a `Send` that says where the message goes; nothing here knows Slack's
transport."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot import blocks
from bot.blocks import View
from bot.buttons import ValueStore
from bot.content import is_help
from bot.logs import hash_user, log_answer, new_error_id
from bot.metrics import Metrics
from bot.search import Searcher
from bot.shutdown import Inflight, Send
from index.errors import QueryError
from index.models import Answer

# The logger name from before the listeners were split up: operators' log searches use it.
logger = logging.getLogger("bot.listeners")

Tag = Callable[[Answer], dict[str, Any]]     # message metadata for an answer (threads)


async def apologise(send: Send, where: str) -> str:
    """Log the current exception under a new error id and tell the user that id."""
    error_id = new_error_id()
    logger.exception("error_id=%s: failed while handling %s", error_id, where,
                     extra={"error_id": error_id})
    try:
        await send(blocks.apology_message(error_id))
    except Exception:
        logger.exception("error_id=%s: could not send the apology either", error_id,
                         extra={"error_id": error_id})
    return error_id


@dataclass
class Answerer:
    """What answering needs; built once by create_app.

    `command` is the slash command the messages suggest, `values` packs (and, for the button
    listeners, unpacks) button values, `salt` keys the hashed user ids in the logs, `inflight` holds the questions
    being answered (what a shutdown waits for), `metrics` counts the answers and failed posts."""

    command: str
    searcher: Searcher
    values: ValueStore
    salt: str = ""
    inflight: Inflight = field(default_factory=Inflight)
    metrics: Metrics = field(default_factory=Metrics)

    def user_hash(self, user: str) -> str:
        return hash_user(user, self.salt)

    async def reply(self, *, question: str, offset: int, user: str, surface: str, view: View,
                    send: Send, send_error: Send | None = None, tag: Tag | None = None) -> bool:
        """Answer one question (or show help) and log one line; True when the answer was sent.
        `tag` gives the answer's message metadata (what a thread remembers of it). Until it
        returns the question is owed an answer: a shutdown waits for it, or apologises."""
        with self.inflight.track(send_error or send):
            def deliver(to: Send) -> Send:
                return self._counted(self.inflight.delivering(to))
            return await self._reply(question, offset, user, surface, view, deliver(send),
                                     deliver(send_error) if send_error else None, tag)

    def _counted(self, send: Send) -> Send:
        """`send`, counting the posts that fail (errors_total{where="post"})."""
        async def counted(message: blocks.Message) -> Any:
            try:
                return await send(message)
            except Exception:
                self.metrics.error("post")
                raise
        return counted

    async def _reply(self, question: str, offset: int, user: str, surface: str, view: View,
                     send: Send, send_error: Send | None, tag: Tag | None) -> bool:
        start = time.perf_counter()

        def done(outcome: str, talks: Sequence[str] = ()) -> None:
            """One log line and the metrics for the question (help is not logged)."""
            seconds = time.perf_counter() - start
            self.metrics.answer(surface, outcome, seconds)
            if outcome != "help":
                log_answer(user=self.user_hash(user), surface=surface,
                           latency_ms=round(seconds * 1000), talks=talks, offset=offset,
                           outcome=outcome)

        try:
            if is_help(question):
                await send(blocks.help_message(self.command))
                done("help")
                return True
            try:
                answer = await self.searcher.search(question, offset)
            except QueryError as exc:
                await (send_error or send)(blocks.problem_message(str(exc), self.command))
                done("rejected")
                return False
            message = blocks.answer_message(answer, view, self.values.pack)
            await send(message | {"metadata": tag(answer)} if tag is not None else message)
            done("answered" if answer.results else "nothing_found",
                 [r.talk.id for r in answer.results])
            return True
        except Exception:
            await apologise(send_error or send, surface)
            self.metrics.error("answer")
            done("error")
            return False
