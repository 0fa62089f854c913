"""Hostile or broken input gets one clear line and never hangs, exhausts memory or leaks out of
the corpus (issue 16, findings 2, 5, 6, 7, 9 and 10)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.escape import link, mrkdwn
from encoders import FakeEncoder
from index.build import build_index
from index.errors import CorpusError
from index.notes.corpus import read_corpus
from index.notes.parsing import parse_file

ROOT = Path(__file__).resolve().parents[1]
FRONT = ("---\ntitle: t\nauthor: a\nurl: https://example.org/n/\nconference: C 2019\n"
         "event: c-2019\nyear: 2019\nlanguage: en\n---\n")
BODY = "\n## Day 1\n\n### Testing with kind - Jane Doe, Google\n\nkind runs clusters.\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def check(corpus: Path) -> tuple[int, dict, str]:
    """`python -m index.check --json` as a separate process (a hang fails by timeout)."""
    done = subprocess.run([sys.executable, "-m", "index.check", "--json", "--corpus", str(corpus)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    return done.returncode, json.loads(done.stdout or "{}"), done.stderr


def test_a_yaml_alias_bomb_is_one_short_line(tmp_path):
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]"
               for i in range(8)]
    bomb = "---\ntitle: t\n" + "\n".join(levels) + "\nyear: *i\n---\n" + BODY
    note, problems = parse_file(write(tmp_path / "bomb.md", bomb))
    assert note is None and len(problems) == 1
    assert "aliases (*name) are not allowed" in problems[0].message
    assert len(str(problems[0])) < 300 and problems[0].line == 4      # the first alias


def test_oversized_front_matter_and_huge_values_are_not_echoed(tmp_path):
    big = FRONT.replace("title: t", "title: " + "x" * 20_000)
    note, problems = parse_file(write(tmp_path / "big.md", big + BODY))
    assert note is None and "longer than 16,384 characters" in problems[0].message
    long_year = FRONT.replace("year: 2019", "year: " + "9x" * 3000)
    _, problems = parse_file(write(tmp_path / "year.md", long_year + BODY))
    assert len(problems) == 1 and len(problems[0].message) < 200
    assert "(6002 characters)" in problems[0].message          # the repr, quotes included


def test_an_empty_corpus_is_an_error_in_check_and_build(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    code, report, _ = check(corpus)
    assert code == 1 and report["notes"] == []
    assert report["problems"][0]["message"].startswith("no notes here")
    with pytest.raises(CorpusError, match="no notes here"):
        build_index(corpus, tmp_path / "index", FakeEncoder(), show_progress=False,
                    log=lambda m: None)
    assert not (tmp_path / "index").exists()


def test_links_folders_and_pipes_named_md_are_skipped_with_a_warning(tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus / "good.md", FRONT + BODY)
    secret = write(tmp_path / "outside" / "secret.md", FRONT + BODY.replace("kind", "SECRETWORD"))
    os.symlink(secret, corpus / "leak.md")                     # a link out of the corpus
    os.symlink(tmp_path / "missing.md", corpus / "dangling.md")
    (corpus / "folder.md").mkdir()
    os.mkfifo(corpus / "pipe.md")                              # reading it would block forever
    code, report, err = check(corpus)
    assert code == 0, err
    assert [Path(n["path"]).name for n in report["notes"]] == ["good.md"]
    why = {Path(w["path"]).name: w["message"] for w in report["warnings"]}
    assert why == {"dangling.md": "skipped: a link to nothing",
                   "folder.md": "skipped: a folder, not a file",
                   "leak.md": "skipped: a link out of the corpus (not followed)",
                   "pipe.md": "skipped: not a regular file (a pipe, socket or device)"}
    corpus_read = read_corpus(corpus)
    assert "SECRETWORD" not in json.dumps([t.body for n in corpus_read.notes for t in n.talks])


def test_a_dead_builds_temporary_folder_is_removed_by_the_next_build(tmp_path):
    write(tmp_path / "corpus" / "good.md", FRONT + BODY)
    out = tmp_path / "index"
    host = "".join(ch for ch in socket.gethostname() if ch.isalnum())[:32] or "host"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = tmp_path / f".index.tmp-{host}-{dead}-0123abcd"
        running = tmp_path / f".index.tmp-{host}-{alive.pid}-4567cdef"
        other_host = tmp_path / ".index.tmp-otherhost-1-89abcdef"
        for folder in (stale, running, other_host):
            (folder / "partial").mkdir(parents=True)
        build_index(tmp_path / "corpus", out, FakeEncoder(), catalog=False, show_progress=False,
                    log=lambda m: None)
        assert not stale.exists()
        assert running.exists() and other_host.exists()   # a live build, another pod's build
        assert (out / "manifest.json").is_file()
    finally:
        alive.kill()
        alive.wait()


def test_bidi_overrides_and_zero_width_characters_never_reach_slack():
    sneaky = "Kubernetes\u202e lanoitaN\u202c \u200bGoo\u200dgle\u2066x\u2069\ufeff"
    assert mrkdwn(sneaky) == "Kubernetes lanoitaN Googlex"
    assert "\u202e" not in link("https://example.org/", sneaky)
    assert link("https://example.org/\u200b", "t") == "t"      # never linked


def _broken_copy(src: Path, dst: Path, change) -> Path:
    import shutil
    shutil.copytree(src, dst)
    change(dst)
    return dst


def _edit_json(path: Path, edit) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize("case", ["model-not-text", "counts-not-numbers", "unknown-talk",
                                  "wrong-chunk-count", "talks-cut"])
def test_a_broken_manifest_or_metadata_is_one_clear_line(tmp_path, fake_index, case):
    """Finding 8: each used to crash with a traceback, or (a wildly wrong chunk count) to load
    and then answer every question with the apology."""
    from index.errors import IndexCorruptError
    from index.search.retriever import load_retriever

    def break_it(index: Path) -> None:
        manifest = index / "manifest.json"
        if case == "model-not-text":
            _edit_json(manifest, lambda m: m.__setitem__("model", 5))
        elif case == "counts-not-numbers":
            _edit_json(manifest, lambda m: m["counts"].__setitem__("chunks", "many"))
        elif case == "wrong-chunk-count":
            _edit_json(manifest, lambda m: m["counts"].__setitem__("notes_chunks", 10 ** 9))
        elif case == "talks-cut":        # talks.jsonl shorter than its offsets say
            talks = index / "talks.jsonl"
            talks.write_bytes(talks.read_bytes()[:-10])
        else:                            # a passage of a talk row the index does not have
            import numpy as np
            rows = np.load(index / "columns" / "chunk_talk.npy")
            rows[0] = 10 ** 6
            np.save(index / "columns" / "chunk_talk.npy", rows)

    broken = _broken_copy(fake_index, tmp_path / "index", break_it)
    with pytest.raises(IndexCorruptError) as err:
        load_retriever(broken, "fake-encoder", encoder=FakeEncoder())
    message = str(err.value)
    assert "\n" not in message and len(message) < 400
    assert "rebuild" in message and str(broken) in message
