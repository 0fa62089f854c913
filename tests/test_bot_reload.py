"""Index reloading, in pieces: the pure change decision, the manifest's identity on disk, the
watcher (swap, failure, hooks) with stand-in loads, and `reload_retriever` on a real index."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import shutil
import threading
from pathlib import Path

import pytest

from bot.reload import Identity, IndexWatcher, Step, manifest_identity, next_step
from bot.search import CurrentRetriever, Retriever, Searcher, reload_retriever
from bot_fakes import INFO, FakeRetriever
from index.atomic import replace_dir
from index.errors import IndexCorruptError
from index.models import IndexInfo
from index.settings import IndexSettings

A = Identity(device=1, inode=10, mtime_ns=1_000, size=500)
B = dataclasses.replace(A, inode=11)                 # a build renamed a new folder into place
A_TOUCHED = dataclasses.replace(A, mtime_ns=2_000)   # rewritten in place


@pytest.mark.parametrize("seen, now, step", [
    (A, A, Step.KEEP),
    (A, B, Step.LOAD),
    (A, A_TOUCHED, Step.LOAD),
    (A, dataclasses.replace(A, size=501), Step.LOAD),
    (None, A, Step.LOAD),           # an index appeared where there was none
    (A, None, Step.GONE),
    (None, None, Step.KEEP),        # said once: not again every poll
])
def test_next_step(seen: Identity | None, now: Identity | None, step: Step) -> None:
    assert next_step(seen, now) is step


def test_manifest_identity_changes_when_a_new_folder_is_renamed_into_place(
        fake_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    assert manifest_identity(index) is None
    shutil.copytree(fake_index, index)
    first = manifest_identity(index)
    assert first is not None and manifest_identity(index) == first    # stable while untouched
    new = tmp_path / "new"
    shutil.copytree(fake_index, new)            # same bytes, same size, another inode
    replace_dir(new, index)
    assert manifest_identity(index) not in (None, first)


def retriever(built_at: str) -> FakeRetriever:
    return FakeRetriever(info=dataclasses.replace(INFO, built_at=built_at))


class Folder:
    """A manifest identity the test moves on by hand, and loads that do what it is told."""

    def __init__(self) -> None:
        self.identity: Identity | None = A
        self.next: Retriever | Exception = retriever("new")
        self.loads: list[Retriever] = []

    def probe(self, _: Path) -> Identity | None:
        return self.identity

    def load(self, old: Retriever) -> Retriever:
        self.loads.append(old)
        if isinstance(self.next, Exception):
            raise self.next
        return self.next


def watcher(folder: Folder, live: CurrentRetriever, **hooks: object) -> IndexWatcher:
    return IndexWatcher(live, Path("idx"), folder.load, seen=A, probe=folder.probe,
                        **hooks)  # type: ignore[arg-type]


async def test_a_new_manifest_is_loaded_and_swapped_in_and_reported() -> None:
    folder, old = Folder(), retriever("old")
    live = CurrentRetriever(old)
    searcher = Searcher(live)
    reloaded: list[IndexInfo] = []
    watch = watcher(folder, live, on_reload=reloaded.append)
    assert await watch.check() is Step.KEEP and folder.loads == []
    folder.identity = B
    assert await watch.check() is Step.LOAD
    assert folder.loads == [old]                       # the model of the old one may be reused
    assert live.get() is folder.next and searcher.info.built_at == "new"
    assert reloaded == [folder.next.info]              # type: ignore[union-attr]
    assert (await searcher.search("spinnaker")).info.built_at == "new"
    assert await watch.check() is Step.KEEP and len(folder.loads) == 1


async def test_a_question_keeps_the_retriever_it_started_with() -> None:
    gate = threading.Event()
    old, new = FakeRetriever(gate=gate), retriever("new")
    live = CurrentRetriever(old)
    searcher = Searcher(live)
    first = asyncio.create_task(searcher.search("spinnaker"))
    assert await asyncio.to_thread(old.entered.wait, 5)
    queued = asyncio.create_task(searcher.search("mesh"))    # waits for the first one's turn
    await asyncio.sleep(0.05)
    live.swap(new)
    gate.set()
    assert (await first).info.built_at == INFO.built_at       # both finished on the old index
    assert (await queued).info.built_at == INFO.built_at
    assert (await searcher.search("spinnaker")).info.built_at == "new"
    assert len(old.calls) == 2 and len(new.calls) == 1


async def test_a_failed_load_is_one_log_line_keeps_the_old_index_and_waits_for_a_change(
        caplog: pytest.LogCaptureFixture) -> None:
    folder, old = Folder(), retriever("old")
    live = CurrentRetriever(old)
    failures: list[BaseException] = []
    broken = IndexCorruptError("index at idx is inconsistent (3 chunks, 2 vectors);\nrebuild it")
    folder.identity, folder.next = B, broken
    watch = watcher(folder, live, on_failure=failures.append)
    with caplog.at_level(logging.INFO, logger="bot.reload"):
        for _ in range(3):
            await watch.check()
    assert live.get() is old and failures == [broken] and len(folder.loads) == 1
    [line] = [r for r in caplog.records if r.name == "bot.reload"]
    assert line.levelno == logging.ERROR and line.exc_info is None
    message = line.getMessage()
    assert "\n" not in message and "still serving the one built at old" in message
    assert "IndexCorruptError: index at idx is inconsistent" in message
    folder.identity, folder.next = A_TOUCHED, retriever("fixed")     # built again: tried again
    assert await watch.check() is Step.LOAD and live.info.built_at == "fixed"


async def test_a_failing_hook_changes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    folder, live = Folder(), CurrentRetriever(retriever("old"))

    def hook(_: object) -> None:
        raise RuntimeError("metrics are down")
    watch = watcher(folder, live, on_reload=hook)
    folder.identity = B
    await watch.check()
    assert live.info.built_at == "new"
    assert any(r.name == "bot.reload" and "hook failed" in r.getMessage() for r in caplog.records)


async def test_the_manifest_gone_is_said_once_and_the_index_keeps_serving(
        caplog: pytest.LogCaptureFixture) -> None:
    folder, live = Folder(), CurrentRetriever(retriever("old"))
    watch = watcher(folder, live)
    folder.identity = None
    steps = [await watch.check() for _ in range(3)]
    assert steps == [Step.GONE, Step.KEEP, Step.KEEP] and folder.loads == []
    assert [r.levelno for r in caplog.records if r.name == "bot.reload"] == [logging.WARNING]
    folder.identity = B
    assert await watch.check() is Step.LOAD and live.info.built_at == "new"


def settings_for(index: Path, model: str = "fake-encoder") -> IndexSettings:
    from bot.settings import Settings
    return Settings(_env_file=None, index_dir=index, embedding_model=model)  # type: ignore[call-arg]


def test_reload_reuses_the_loaded_model_when_the_new_index_uses_it(
        fake_retriever: Retriever, fake_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(fake_index, index)
    new = reload_retriever(settings_for(index), fake_retriever)  # type: ignore[arg-type]
    assert new is not fake_retriever
    assert new.encoder is fake_retriever.encoder                   # type: ignore[attr-defined]
    assert new.params is fake_retriever.params                     # type: ignore[attr-defined]
    assert new.search("Spinnaker").results


def test_reload_loads_the_new_model_when_the_index_was_built_with_another(
        fake_retriever: Retriever, fake_index: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from encoders import FakeEncoder
    index = tmp_path / "index"
    shutil.copytree(fake_index, index)
    manifest = json.loads((index / "manifest.json").read_text())
    manifest["model"]["name"] = "other-model"
    (index / "manifest.json").write_text(json.dumps(manifest))
    made: list[str] = []

    def encoder_for(settings: IndexSettings, model: str | None = None) -> FakeEncoder:
        made.append(str(model))
        return FakeEncoder(str(model))
    monkeypatch.setattr("index.model.encoders.encoder_for", encoder_for)
    new = reload_retriever(settings_for(index), fake_retriever)  # type: ignore[arg-type]
    assert made == ["other-model"] and new.info.model == "other-model"
    assert new.encoder is not fake_retriever.encoder               # type: ignore[attr-defined]
    assert any("set EMBEDDING_MODEL=other-model" in r.getMessage() for r in caplog.records)


def test_reload_of_a_corrupt_index_raises_its_clear_error(
        fake_retriever: Retriever, fake_index: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(fake_index, index)
    os.remove(index / "talks.jsonl")                 # a half-written folder
    with pytest.raises(IndexCorruptError, match="rebuild it with"):
        reload_retriever(settings_for(index), fake_retriever)  # type: ignore[arg-type]
