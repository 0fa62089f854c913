"""Nothing a note says is lost: every non-blank line of its body is in exactly one talk or in
the note's own text (or is a day or track heading its talks carry), and every word of those
reaches the chunks that get indexed. Checked on every note in the repository and on generated
notes with nested headings, lists, code and setext headings."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from index.notes.chunking import chunk_talks, talk_text
from index.notes.corpus import read_corpus
from index.notes.frontmatter import read_document
from index.notes.markdown import parse_blocks
from index.notes.segments import segment_note

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from wild_corpus import make_corpus  # noqa: E402

WORD_RE = re.compile(r"[^\W_]{3,}", re.UNICODE)


def words(text: str) -> set[str]:
    return {w.lower() for w in WORD_RE.findall(text)}


def assert_nothing_lost(corpus) -> None:
    for note in corpus.notes:
        lines = note.lines
        assert lines["dropped"] == 0, (note.meta.path, lines)
        assert lines["content"] == lines["in_talks"] + lines["outside_talks"], note.meta.path
        records = list(note.talks) + list(note.texts)
        for record in records:
            chunked = " ".join(c.text for c in chunk_talks([record]))
            assert words(talk_text(record)) <= words(chunked), (note.meta.path, record.title)


def assert_segments_disjoint(path: Path, defaults: dict | None = None) -> None:
    doc = read_document(path, None, defaults)
    lines = doc.body.split("\n")
    segments = segment_note(parse_blocks(doc.body), lines, defaults is not None)
    taken = [i for s in segments for i in range(s.start, s.end)]
    assert len(taken) == len(set(taken)), path


def test_the_home_notes_lose_nothing():
    corpus = read_corpus(ROOT / "corpus")
    assert not corpus.errors
    assert_nothing_lost(corpus)
    for note in corpus.notes:
        assert_segments_disjoint(Path(note.meta.path))
    # the notes' own text is there: the 2017 Austin post's thanks and summary
    austin = next(n for n in corpus.notes if n.meta.path.endswith("galexrt.md"))
    assert {t.title.split(" — ")[-1] for t in austin.texts} >= {"Thanks!", "Summary"}


def test_the_wild_notes_in_the_repository_lose_nothing(tmp_path):
    make_corpus(ROOT / "tests" / "data" / "wild", tmp_path / "corpus")
    corpus = read_corpus(tmp_path / "corpus")
    assert not corpus.errors, corpus.errors
    assert len(corpus.notes) >= 30
    assert_nothing_lost(corpus)


HEADINGS = ["Day 1", "Keynotes", "Talks I saw", "Observability",
            "Scaling Prometheus - Jane Doe, Acme", "Keynote: The Future of Kubernetes",
            "Key Takeaways", "Demo", "Travel", "Lunch", "Summary", "Istio",
            "[Cilium Deep Dive](https://www.youtube.com/watch?v=abcdefghijk)",
            "Talk 3: Securing the supply chain", "Why GitOps Matters for Platform Teams"]


@st.composite
def notes(draw):
    """A note body: headings at random levels (ATX or setext), each followed by paragraphs,
    lists or fenced code, every one holding a unique marker word."""
    parts: list[str] = []
    n = draw(st.integers(min_value=1, max_value=12))
    marker = 0
    for _ in range(n):
        level = draw(st.integers(min_value=1, max_value=4))
        title = draw(st.sampled_from(HEADINGS))
        if level <= 2 and draw(st.booleans()) and not title.startswith("["):
            parts.append(f"{title}\n{'=' if level == 1 else '-' * 3 * len(title)}")
        else:
            parts.append(f"{'#' * level} {title}")
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            marker += 1
            kind = draw(st.sampled_from(["para", "list", "code", "quote"]))
            token = f"zq{marker}x"
            parts.append({"para": f"Some text {token} about it.",
                          "list": f"- item {token}\n  - nested detail",
                          "code": f"```yaml\n# comment {token}\nkey: value\n```",
                          "quote": f"> quoted {token}"}[kind])
    return "\n\n".join(parts) + "\n", marker


@settings(max_examples=150, deadline=None)
@given(notes())
def test_generated_notes_lose_nothing(tmp_path_factory, note):
    body, markers = note
    folder = tmp_path_factory.mktemp("gen")
    (folder / "n.md").write_text(
        "---\ntitle: Gen\nauthor: A\nurl: https://example.org/gen/\nconference: C 2024\n"
        "event: c-2024\nyear: 2024\nlanguage: en\n---\n" + body, encoding="utf-8")
    corpus = read_corpus(folder)
    assert not corpus.errors
    assert_nothing_lost(corpus)
    assert_segments_disjoint(folder / "n.md")
    chunks = [c.text for n in corpus.notes for c in chunk_talks(list(n.talks) + list(n.texts))]
    for i in range(1, markers + 1):
        found = [c for c in chunks if re.search(rf"\bzq{i}x\b", c)]
        assert len(found) == 1, (f"zq{i}x", body)
