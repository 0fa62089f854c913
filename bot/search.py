"""The retriever as the bot sees it: loaded once at start-up, asked for one page at a time,
searched off the event loop."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

from index.models import Answer, IndexInfo

if TYPE_CHECKING:
    from bot.settings import Settings

PAGE_SIZE = 3   # talks in one answer


class Retriever(Protocol):
    """What `index.search.retriever.load_retriever` returns, as far as the bot is concerned."""

    @property
    def info(self) -> IndexInfo: ...

    def search(self, query: str, k: int = 3, offset: int = 0) -> Answer: ...


def load_retriever(settings: Settings) -> Retriever:
    """Load the model and index (slow; raises the index errors, whose messages say what to run)."""
    from index.search.retriever import retriever_for

    retriever: Retriever = retriever_for(settings)
    warm = getattr(retriever, "warm_up", None)
    if warm is not None:
        warm()          # load the model now, so /readyz means the first answer is fast
    return retriever


def search_page(retriever: Retriever, question: str, offset: int = 0) -> Answer:
    """One page of talks after `offset`: the page size is decided here, for Slack and the
    terminal alike; the renderers show the results they are given."""
    return retriever.search(question, k=PAGE_SIZE, offset=offset)


class Searcher:
    """Runs the synchronous, CPU-bound search in a worker thread, one search at a time."""

    def __init__(self, retriever: Retriever, timeout: float = 60.0) -> None:
        self.retriever = retriever
        self.timeout = timeout
        self._lock = asyncio.Lock()

    @property
    def info(self) -> IndexInfo:
        return self.retriever.info

    async def search(self, question: str, offset: int = 0) -> Answer:
        """The answer for one page of results; raises what the retriever raises."""
        async with self._lock:
            return await asyncio.wait_for(
                asyncio.to_thread(search_page, self.retriever, question, offset), self.timeout)
