"""Serving a new index without a restart: watch INDEX_DIR's manifest, load a new index beside the
one being served, swap it in.

`python -m index.build` installs an index by renaming a complete folder into place, the
manifest written last, so a manifest with another identity (inode, modification time, size)
means a complete new index. What to do about it is decided by a pure function (`next_step`);
the watcher does the I/O around it: a `stat` every INDEX_RELOAD_SECONDS, the load in a worker
thread, the swap. A new index that does not load is logged in one line and the old one keeps
serving; it is tried again only when the manifest changes again (a build that fails the same
way every poll would otherwise log every poll)."""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.search import CurrentRetriever, Retriever
from index.models import IndexInfo
from index.search.store import MANIFEST

logger = logging.getLogger("bot.reload")


@dataclass(frozen=True)
class Identity:
    """What tells one manifest file from another: a rename puts a new inode in place, an
    in-place rewrite changes the modification time (and most often the size)."""

    device: int
    inode: int
    mtime_ns: int
    size: int


class Step(enum.Enum):
    KEEP = "keep"           # nothing new
    LOAD = "load"           # another manifest: load the index
    GONE = "gone"           # the manifest went away: keep serving, say so once


def next_step(seen: Identity | None, now: Identity | None) -> Step:
    """What a poll does, given the manifest last acted on (`seen`, loaded or failed; None when
    there was none) and the one there `now` (None when there is none)."""
    if now == seen:
        return Step.KEEP
    return Step.GONE if now is None else Step.LOAD


def manifest_identity(index_dir: Path) -> Identity | None:
    """The identity of INDEX_DIR's manifest, or None when there is none (or it cannot be read)."""
    try:
        st = os.stat(Path(index_dir) / MANIFEST)
    except OSError:
        return None
    return Identity(st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


OnReload = Callable[[IndexInfo], None]
OnFailure = Callable[[BaseException], None]


class IndexWatcher:
    """Polls the manifest and swaps a new index into `current`.

    `load(old)` loads the index now in the folder (in a worker thread; `old` is the retriever
    being served, whose model it may reuse). `on_reload(info)` and `on_failure(error)` are
    called after a swap and after a failed load (for metrics); their own errors are logged and
    change nothing."""

    def __init__(self, current: CurrentRetriever, index_dir: Path,
                 load: Callable[[Retriever], Retriever], *, seen: Identity | None,
                 on_reload: OnReload | None = None, on_failure: OnFailure | None = None,
                 probe: Callable[[Path], Identity | None] = manifest_identity) -> None:
        self.current = current
        self.index_dir = Path(index_dir)
        self.load = load
        self.seen = seen
        self.on_reload = on_reload
        self.on_failure = on_failure
        self.probe = probe

    async def check(self) -> Step:
        """One poll: load and swap in a new index if there is one."""
        now = await asyncio.to_thread(self.probe, self.index_dir)
        step = next_step(self.seen, now)
        if step is Step.GONE:
            logger.warning("the index at %s has no %s any more; still serving the index built "
                           "at %s", self.index_dir, MANIFEST, self.current.info.built_at)
        if step is Step.LOAD:
            await self._load()
        self.seen = now
        return step

    async def _load(self) -> None:
        old = self.current.get()
        start = time.perf_counter()
        try:
            new = await asyncio.to_thread(self.load, old)
        except Exception as exc:       # whatever the new index is, the old one keeps serving
            logger.error("a new index at %s did not load, still serving the one built at %s: "
                         "%s", self.index_dir, old.info.built_at, _one_line(exc))
            self._call(self.on_failure, exc)
            return
        self.current.swap(new)
        info = new.info
        logger.info("reloaded the index at %s in %.1fs: built at %s, %d notes, %d talks (was "
                    "built at %s)", self.index_dir, time.perf_counter() - start, info.built_at,
                    info.notes, info.talks, old.info.built_at)
        self._call(self.on_reload, info)

    @staticmethod
    def _call(hook: Callable[[Any], None] | None, arg: object) -> None:
        if hook is None:
            return
        try:
            hook(arg)
        except Exception:
            logger.exception("an index reload hook failed")

    async def run(self, interval: float) -> None:
        """Poll every `interval` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.check()
            except Exception:          # a surprise in one poll must not end the watching
                logger.exception("checking the index at %s for a new build failed",
                                 self.index_dir)


def _one_line(exc: BaseException) -> str:
    """`IndexCorruptError: index at ... is corrupt (...); rebuild it with ...` on one line."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def start_watching(current: CurrentRetriever, index_dir: Path, interval: float,
                   load: Callable[[Retriever], Retriever], seen: Identity | None, *,
                   on_reload: OnReload | None = None, on_failure: OnFailure | None = None
                   ) -> asyncio.Task[None] | None:
    """The watcher as a task (cancel it to stop); None when `interval` is 0 (reloading off)."""
    if interval <= 0:
        logger.info("index reloading is off (INDEX_RELOAD_SECONDS=0)")
        return None
    watcher = IndexWatcher(current, index_dir, load, seen=seen, on_reload=on_reload,
                           on_failure=on_failure)
    return asyncio.create_task(watcher.run(interval), name="index-watcher")
