"""The retriever as the bot sees it: loaded once at start-up, searched off the event loop."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

from bot.content import PAGE_SIZE
from index.models import Answer, IndexInfo

if TYPE_CHECKING:
    from bot.settings import Settings


class Retriever(Protocol):
    """What `index.search.retriever.load_retriever` returns, as far as the bot is concerned."""

    @property
    def info(self) -> IndexInfo: ...

    def search(self, query: str, k: int = 3, offset: int = 0) -> Answer: ...


def load_retriever(settings: Settings) -> Retriever:
    """Load the model and index (slow; raises the index errors, whose messages say what to run)."""
    from index.search.retriever import load_retriever as load

    retriever: Retriever = load(settings.index_dir, settings.embedding_model,
                                catalog_results=settings.catalog_results,
                                backend=settings.embedding_backend)
    warm = getattr(retriever, "warm_up", None)
    if warm is not None:
        warm()          # load the model now, so /readyz means the first answer is fast
    return retriever


class Searcher:
    """Runs the synchronous, CPU-bound search in a worker thread, one search at a time."""

    def __init__(self, retriever: Retriever, page_size: int = PAGE_SIZE, timeout: float = 60.0) -> None:
        self.retriever = retriever
        self.page_size = page_size
        self.timeout = timeout
        self._lock = asyncio.Lock()

    @property
    def info(self) -> IndexInfo:
        return self.retriever.info

    async def search(self, question: str, offset: int = 0) -> Answer:
        """The answer for one page of results; raises what the retriever raises."""
        async with self._lock:
            return await asyncio.wait_for(
                asyncio.to_thread(self.retriever.search, question, k=self.page_size, offset=offset),
                self.timeout)
