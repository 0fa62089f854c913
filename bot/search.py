"""The retriever as the bot sees it: loaded at start-up (and again when a new index is built,
see `reload.py`), asked for one page at a time, searched off the event loop."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Protocol

from index.models import Answer, IndexInfo

if TYPE_CHECKING:
    from bot.settings import Settings

PAGE_SIZE = 3   # talks in one answer
logger = logging.getLogger("bot.reload")


class Retriever(Protocol):
    """What `index.search.retriever.load_retriever` returns, as far as the bot is concerned."""

    @property
    def info(self) -> IndexInfo: ...

    def search(self, query: str, k: int = 3, offset: int = 0) -> Answer: ...


def load_retriever(settings: Settings) -> Retriever:
    """Load the model and index (slow; raises the index errors, whose messages say what to run)."""
    from index.search.retriever import retriever_for

    return _warmed(retriever_for(settings))


def _warmed(retriever: Retriever) -> Retriever:
    """Load the model now, so that /readyz (or a swap) means the first answer is fast."""
    warm = getattr(retriever, "warm_up", None)
    if warm is not None:
        warm()
    return retriever


def reload_retriever(settings: Settings, old: Retriever) -> Retriever:
    """Load the index now in INDEX_DIR beside `old` (slow; raises what loading raises).

    The model is the slow part: when the new index was built with the model `old` runs, its
    encoder (and fusion parameters) are reused; otherwise the new index's model is loaded."""
    from index.model.encoders import encoder_for
    from index.search.retriever import load_retriever as load_index
    from index.search.store import read_manifest

    model = read_manifest(settings.index_dir)["model"]["name"]
    encoder = getattr(old, "encoder", None)
    if encoder is None or model != old.info.model:
        if model != settings.embedding_model:
            logger.warning("the new index at %s was built with the model %r, not EMBEDDING_MODEL "
                           "(%r): loading it; set EMBEDDING_MODEL=%s, or a restart will refuse "
                           "this index", settings.index_dir, model, settings.embedding_model, model)
        encoder = encoder_for(settings, model)
    return _warmed(load_index(settings.index_dir, model, catalog_results=settings.catalog_results,
                              encoder=encoder, params=getattr(old, "params", None)))


class CurrentRetriever:
    """The retriever questions are answered from, replaced whole when a new index is loaded.

    Whoever answers takes it once (`get`) at the start of a question and keeps that one to the
    end, so a question in flight during a swap finishes on the index it started with."""

    def __init__(self, retriever: Retriever) -> None:
        self._retriever = retriever

    def get(self) -> Retriever:
        return self._retriever

    def swap(self, new: Retriever) -> Retriever:
        """Serve `new` from now on; returns the one it replaces."""
        old, self._retriever = self._retriever, new
        return old

    @property
    def info(self) -> IndexInfo:
        return self._retriever.info


def current(retriever: Retriever | CurrentRetriever) -> CurrentRetriever:
    """`retriever` as a CurrentRetriever (a fixed retriever is one that is never swapped)."""
    return retriever if isinstance(retriever, CurrentRetriever) else CurrentRetriever(retriever)


def search_page(retriever: Retriever, question: str, offset: int = 0) -> Answer:
    """One page of talks after `offset`: the page size is decided here, for Slack and the
    terminal alike; the renderers show the results they are given."""
    return retriever.search(question, k=PAGE_SIZE, offset=offset)


class Searcher:
    """Runs the synchronous, CPU-bound search in a worker thread, one search at a time, on
    the retriever that is current when the question arrives."""

    def __init__(self, retriever: Retriever | CurrentRetriever, timeout: float = 60.0) -> None:
        self.current = current(retriever)
        self.timeout = timeout
        self._lock = asyncio.Lock()

    @property
    def retriever(self) -> Retriever:
        return self.current.get()

    @property
    def info(self) -> IndexInfo:
        return self.current.info

    async def search(self, question: str, offset: int = 0) -> Answer:
        """The answer for one page of results; raises what the retriever raises."""
        retriever = self.current.get()      # taken once: a swap meanwhile does not change it
        async with self._lock:
            return await asyncio.wait_for(
                asyncio.to_thread(search_page, retriever, question, offset), self.timeout)
