"""Bad notes files get one clear problem each, naming file and line; index.check reports them all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from index.check import main as check_main
from index.parsing import parse_file

GOOD_FM = """---
title: My notes
author: Ada
url: https://example.org/notes/
conference: KubeCon + CloudNativeCon Europe 2019
event: kubecon-eu-2019
year: 2019
language: en
---
"""
BODY = "\n## Day 1\n\n### Testing with kind - Jane Doe, Google\n\nkind runs clusters in Docker.\n"


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def only_problem(path: Path):
    note, problems = parse_file(path)
    assert note is None
    assert len(problems) == 1
    return problems[0]


def test_broken_front_matter_names_line(tmp_path):
    path = write(tmp_path, "a.md", "---\ntitle: ok\nauthor: [unclosed\nyear: 2019\n---\n" + BODY)
    p = only_problem(path)
    assert p.path == str(path) and p.line in (3, 4)
    assert p.message.startswith("front matter is not valid YAML (")
    assert "quote values" in p.message


def test_unclosed_front_matter(tmp_path):
    p = only_problem(write(tmp_path, "a.md", "---\ntitle: x\n" + BODY))
    assert (p.line, p.message) == (1, "front matter starts with '---' but has no closing '---' "
                                      "line; add one after the last field")


def test_wrong_type_year(tmp_path):
    path = write(tmp_path, "a.md", GOOD_FM.replace("year: 2019", "year: twenty") + BODY)
    p = only_problem(path)
    assert str(p) == f"{path}:7: error: field 'year' must be a whole number like 2019, got 'twenty'"


def test_unknown_field(tmp_path):
    path = write(tmp_path, "a.md", GOOD_FM.replace("language: en", "language: en\nvenue: Fira") + BODY)
    p = only_problem(path)
    assert p.line == 9
    assert p.message.startswith("unknown field 'venue' in front matter; allowed fields: title, author")


def test_not_utf8(tmp_path):
    data = (GOOD_FM + "\n## Day 1\n\n### Caf\xe9 talk\n").encode("latin-1")
    path = write(tmp_path, "a.md", data)
    p = only_problem(path)
    assert p.line == 13   # the "### Caf\xe9 talk" line
    assert p.message.startswith("not UTF-8: byte 0xe9 at offset ")
    assert p.message.endswith("save the file as UTF-8")


@pytest.mark.parametrize("content", ["", "   \n\n"])
def test_empty_file(tmp_path, content):
    p = only_problem(write(tmp_path, "a.md", content))
    assert p.line == 1 and p.message.startswith("empty file: add YAML front matter")


def test_missing_required_field(tmp_path):
    p = only_problem(write(tmp_path, "a.md", GOOD_FM.replace("event: kubecon-eu-2019\n", "") + BODY))
    assert p.message == "front matter is missing event; add 'event: ...'"


def test_no_front_matter_is_a_warning_with_derived_defaults(tmp_path):
    path = write(tmp_path, "kubecon-2019-notes.md", "# KubeCon Barcelona 2019\n" + BODY)
    note, problems = parse_file(path)
    assert note is not None and [p.severity for p in problems] == ["warning"]
    assert problems[0].message.startswith("no front matter:")
    assert note.meta.title == "KubeCon Barcelona 2019" and note.meta.year == 2019
    assert note.meta.event == "kubecon-2019-notes"
    assert [t.title for t in note.talks] == ["Testing with kind"]
    assert note.talks[0].speakers == ("Jane Doe",) and note.talks[0].companies == ("Google",)


def test_check_reports_every_problem_and_writes_nothing(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write(corpus, "good.md", GOOD_FM + BODY)
    write(corpus, "bad-year.md", GOOD_FM.replace("year: 2019", "year: twenty") + BODY)
    write(corpus, "empty.md", "")
    write(corpus, "latin.md", "caf\xe9".encode("latin-1"))
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert check_main(["--corpus", str(corpus), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert sorted(Path(p["path"]).name for p in report["problems"]) == ["bad-year.md", "empty.md", "latin.md"]
    assert [len(n["talks"]) for n in report["notes"]] == [1]
    assert report["notes"][0]["talks"][0] == {"title": "Testing with kind", "speakers": ["Jane Doe"],
                                              "companies": ["Google"], "kind": "talk"}
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_check_on_the_real_corpus_exits_zero():
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-m", "index.check"], cwd=root, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("corpus: 5 notes, 107 talks, 0 problems")
