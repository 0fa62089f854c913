"""Bad notes files get one clear problem each, naming file and line; index.check reports them all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from index.check import main as check_main
from index.notes.parsing import parse_file

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


def line_of(text: str, line: str) -> int:
    """The 1-based number of `line` in the text written to a file."""
    return text.split("\n").index(line) + 1


def only_problem(path: Path):
    note, problems = parse_file(path)
    assert note is None
    assert len(problems) == 1
    return problems[0]


def test_broken_front_matter_names_line(tmp_path):
    text = "---\ntitle: ok\nauthor: [unclosed\nyear: 2019\n---\n" + BODY
    path = write(tmp_path, "a.md", text)
    p = only_problem(path)
    # PyYAML stops at the ':' of the next line, still inside the unclosed [ list.
    assert str(p) == (f"{path}:{line_of(text, 'year: 2019')}: error: front matter is not valid "
                      "YAML (expected ',' or ']', but got ':'); write one 'key: value' per line "
                      "and quote values that contain ': '")


def test_unclosed_front_matter(tmp_path):
    path = write(tmp_path, "a.md", "---\ntitle: x\n" + BODY)
    p = only_problem(path)
    assert str(p) == (f"{path}:1: error: front matter starts with '---' but has no closing '---' "
                      "line; add one after the last field")


def test_wrong_type_year(tmp_path):
    text = GOOD_FM.replace("year: 2019", "year: twenty") + BODY
    path = write(tmp_path, "a.md", text)
    p = only_problem(path)
    assert str(p) == (f"{path}:{line_of(text, 'year: twenty')}: error: field 'year' must be a "
                      "whole number like 2019, got 'twenty'")


def test_a_blogs_own_front_matter_keys_are_left_alone(tmp_path):
    """Notes go in as their authors wrote them: Hugo's or Jekyll's keys (tags, layout, draft)
    stay and are not errors; a misspelt key of ours still shows, as the key it leaves out."""
    text = GOOD_FM.replace("language: en", "language: en\nvenue: Fira\ntags: [k8s]\nlayout: post") \
        + BODY
    note, problems = parse_file(write(tmp_path, "a.md", text))
    assert problems == [] and note is not None and note.meta.language == "en"
    typo = GOOD_FM.replace("event: kubecon-eu-2019", "evnet: kubecon-eu-2019") + BODY
    p = only_problem(write(tmp_path, "b.md", typo))
    assert p.message == "front matter is missing event; add 'event: ...'"


def test_not_utf8(tmp_path):
    before = GOOD_FM + "\n## Day 1\n\n### Caf"          # all ASCII: one byte per character
    bad_line = "### Caf\xe9 talk"
    text = before + "\xe9 talk\n"
    path = write(tmp_path, "a.md", text.encode("latin-1"))
    p = only_problem(path)
    assert str(p) == (f"{path}:{line_of(text, bad_line)}: error: not UTF-8: byte 0xe9 "
                      f"at offset {len(before)} cannot be decoded; save the file as UTF-8")


@pytest.mark.parametrize("content", ["", "   \n\n"])
def test_empty_file(tmp_path, content):
    path = write(tmp_path, "a.md", content)
    p = only_problem(path)
    assert str(p) == (f"{path}:1: error: empty file: add YAML front matter (title, author, url, "
                      "conference, event, year, language) and one heading per talk, or delete "
                      "the file")


def test_missing_required_field(tmp_path):
    path = write(tmp_path, "a.md", GOOD_FM.replace("event: kubecon-eu-2019\n", "") + BODY)
    p = only_problem(path)
    # Reported on the first front matter line, the one after the opening '---'.
    assert str(p) == f"{path}:2: error: front matter is missing event; add 'event: ...'"


def test_no_front_matter_is_a_warning_with_derived_defaults(tmp_path):
    path = write(tmp_path, "kubecon-2019-notes.md", "# KubeCon Barcelona 2019\n" + BODY)
    note, problems = parse_file(path)
    assert note is not None and len(problems) == 1
    assert str(problems[0]) == (f"{path}:1: warning: no front matter: indexed with defaults "
                                "derived from the file name and first heading; add a '---' "
                                "block with title, author, url, conference, event, year, "
                                "language")
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
                                              "companies": ["Google"], "kind": "talk",
                                              "line": line_of(GOOD_FM + BODY, BODY.split("\n")[3])}
    # every non-blank body line is in the talk, or is the day heading the talk carries
    assert report["notes"][0]["lines"] == {"content": 3, "in_talks": 2, "outside_talks": 1,
                                           "dropped": 0}
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def _bad_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    write(corpus, "good.md", GOOD_FM + BODY)
    write(corpus, "empty.md", "")
    return corpus


@pytest.mark.parametrize("corpus_dir", ["set", ""])
def test_check_reads_corpus_dir_like_build_when_no_corpus_is_given(tmp_path, monkeypatch, capsys,
                                                                    corpus_dir):
    """$CORPUS_DIR is the default (an empty value counts as unset: ./corpus)."""
    corpus = _bad_corpus(tmp_path / "elsewhere" if corpus_dir else tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CORPUS_DIR", str(corpus) if corpus_dir else "")
    assert check_main(["--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [Path(p["path"]).name for p in report["problems"]] == ["empty.md"]
    assert [Path(n["path"]).name for n in report["notes"]] == ["good.md"]


def test_check_corpus_argument_wins_over_corpus_dir(tmp_path, monkeypatch, capsys):
    corpus = _bad_corpus(tmp_path / "elsewhere")
    monkeypatch.setenv("CORPUS_DIR", str(tmp_path / "missing"))
    assert check_main(["--corpus", str(corpus)]) == 1
    assert capsys.readouterr().out.startswith(f"{corpus}: 1 notes, 1 talks, 1 problems")


def test_check_on_the_real_corpus_exits_zero():
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-m", "index.check"], cwd=root, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("corpus: 5 notes, 107 talks, 0 problems")
