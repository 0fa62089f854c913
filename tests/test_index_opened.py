"""An index opened, not loaded (issue 17): rows read by number, vectors read by row, columns
written at build time, and the numpy ranking equal to the Python one it replaced."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.models import Filters, Talk
from index.search.columns import build_columns, read_columns, write_columns
from index.search.dense import SCAN_LIMIT, DenseIndex
from index.search.filters import FilterMask, talk_matches
from index.search.fusion import Ranked, rank_talks
from index.search.npyrows import NpyRows
from index.search.rowfile import RowFile, write_rows
from index.search.vocabulary import Vocabulary
from tests.test_dense import clustered_vectors, exact_top, unit_vectors


def test_rows_are_read_by_number_and_a_cut_file_is_refused(tmp_path: Path) -> None:
    records = [{"i": i, "text": "é" * (i % 7) + f"row {i}"} for i in range(500)]
    assert write_rows(tmp_path / "r.jsonl", tmp_path / "r.npy", records) == 500
    rows = RowFile(tmp_path / "r.jsonl", tmp_path / "r.npy", lambda rec: rec["text"])
    assert len(rows) == 500
    assert [rows[i] for i in (0, 499, 250, -1)] == [records[i]["text"] for i in (0, 499, 250, -1)]
    assert rows[3:6] == [r["text"] for r in records[3:6]]
    assert list(rows) == [r["text"] for r in records]
    with pytest.raises(IndexError):
        rows[500]
    (tmp_path / "r.jsonl").write_bytes((tmp_path / "r.jsonl").read_bytes()[:-3])
    with pytest.raises(ValueError, match="does not match"):
        RowFile(tmp_path / "r.jsonl", tmp_path / "r.npy", lambda rec: rec)


def test_vector_rows_read_from_disk_equal_the_array(tmp_path: Path) -> None:
    vectors = unit_vectors(3_000)
    np.save(tmp_path / "v.npy", vectors)
    rows = NpyRows(tmp_path / "v.npy")
    assert rows.shape == vectors.shape and len(rows) == 3_000
    for ids in ([7, 3, 3, 4, 2_999, 0], np.arange(100, 900, 3), np.arange(10, 20), []):
        np.testing.assert_array_equal(rows[np.asarray(ids, dtype=np.int64)],
                                      vectors[np.asarray(ids, dtype=np.int64)])
    np.testing.assert_array_equal(np.asarray(rows), vectors)
    with pytest.raises(IndexError):
        rows[np.array([3_000])]


def test_a_quantised_index_reads_vectors_by_row_and_searches_a_narrow_filter(tmp_path: Path
                                                                            ) -> None:
    vectors = clustered_vectors(30_000)
    DenseIndex.build(vectors).save(tmp_path / "v.npy", tmp_path / "v.faiss")
    loaded = DenseIndex.load(tmp_path / "v.npy", tmp_path / "v.faiss", required=True)
    assert isinstance(loaded.vectors, NpyRows) and not loaded.exact
    allowed = np.sort(np.random.default_rng(3).choice(30_000, 3_000, replace=False))
    assert len(allowed) <= SCAN_LIMIT
    found = 0
    for seed in range(5):
        q = vectors[seed * 11]
        ids, sims = loaded.search(q, 10, allowed)
        assert np.isin(ids, allowed).all() and len(ids) == 10
        np.testing.assert_allclose(sims, vectors[ids] @ q, rtol=1e-5)     # re-scored exactly
        found += len(set(ids) & set(exact_top(vectors, q, 10, allowed)))
    assert found >= 48                   # recall@10 >= 0.96 among the allowed rows


def talk(i: int, event: str, year: int, speakers: tuple[str, ...], companies: tuple[str, ...],
         title: str, has_notes: bool = True) -> Talk:
    return Talk(id=f"t{i}", title=title, speakers=speakers, companies=companies, kind="talk",
                event=event, conference=event.replace("-", " "), year=year, has_notes=has_notes)


TALKS = [talk(0, "kubecon-eu-2019", 2019, ("Ada Lovelace",), ("Spotify",), "Backstage at Spotify"),
         talk(1, "kubecon-na-2017", 2017, ("Kelsey Hightower",), ("Google",), "Keynote"),
         talk(2, "kubecon-eu-2019", 2019, ("Kelsey Hightower", "Ada Lovelace"), (), "Demo day"),
         talk(3, "kubecon-na-2017", 2017, (), ("Netflix",), "Spinnaker", has_notes=False)]


def test_columns_written_at_build_time_answer_as_the_talks_did(tmp_path: Path) -> None:
    from index.models import Chunk
    chunks = [Chunk(i, f"t{i % 4}", "h", "x") for i in range(9)]
    write_columns(tmp_path / "columns", build_columns(TALKS, chunks))
    cols = read_columns(tmp_path / "columns")
    assert cols.chunk_talk.tolist() == [i % 4 for i in range(9)]
    assert cols.groups.tolist() == ["notes", "notes", "notes", "catalog"]
    masks = FilterMask(cols.facets, len(TALKS))
    for filters in (Filters(year=2019), Filters(event="eu"), Filters(speaker="hightower"),
                    Filters(company="netflix", year=2017), Filters(speaker="nobody")):
        assert masks(filters).tolist() == [talk_matches(t, filters) for t in TALKS]
        assert masks(filters).tolist() == FilterMask.of_talks(TALKS)(filters).tolist()
    vocab = Vocabulary.from_dict(cols.vocabulary)
    assert vocab == Vocabulary.build(TALKS)


def python_ranking(rows: np.ndarray, fused: np.ndarray, chunk_talk: np.ndarray, bonus: object,
                   weights: np.ndarray) -> list[Ranked]:
    """The loops the numpy ranking replaced (group_by_talk + rank_talks before issue 17)."""
    by_talk: dict[int, list[tuple[float, int]]] = {}
    for row, score in zip(rows.tolist(), fused.tolist()):
        by_talk.setdefault(int(chunk_talk[row]), []).append((score, row))
    ranked = []
    for t, items in by_talk.items():
        items.sort(reverse=True)
        score = items[0][0] + (float(bonus[t]) if bonus is not None else 0.0)  # type: ignore
        if weights[t] != 1.0:
            score *= float(weights[t])
        ranked.append(Ranked(t, score, tuple(row for _, row in items)))
    ranked.sort(key=lambda r: (-r.score, r.talk))
    return ranked


def random_candidates(rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(chunk_talk, candidate rows, fused scores, talk weights) of 40 talks and 500 chunks;
    coarse scores, so that ties (broken by the higher row) and equal talk scores occur."""
    chunk_talk = rng.integers(0, 40, 500)
    rows = np.unique(rng.integers(0, 500, 150))
    fused = (rng.integers(0, 8, len(rows)) / 8).astype(np.float32)
    return chunk_talk, rows, fused, rng.choice([1.0, 0.6, 0.9], 40)


@pytest.mark.parametrize("seed", range(20))
def test_the_numpy_ranking_equals_the_loops_it_replaced(seed: int) -> None:
    rng = np.random.default_rng(seed)
    chunk_talk, rows, fused, weights = random_candidates(rng)
    bonus: object = None if seed % 3 == 0 else (rng.random(40).astype(np.float32)
                                               if seed % 3 == 1 else
                                               {t: float(rng.random()) for t in range(40)})
    assert rank_talks(rows, fused, chunk_talk, bonus, weights) == \
        python_ranking(rows, fused, chunk_talk, bonus, weights)


def test_an_overview_from_columns_equals_the_one_from_talks(tmp_path: Path) -> None:
    from dataclasses import replace

    from index.models import Chunk, NoteMeta
    from index.search import overview
    note = NoteMeta("n.md", "Notes", "Ada", "", "KubeCon", "kubecon-eu-2019", "", 2019, "", "en")
    rng = np.random.default_rng(0)
    talks = [replace(TALKS[i % 4], id=f"x{i}", title=f"Talk {i}",
                     track=["", "Security", "Ops", "AI", "Storage", "Net", "Obs", "CI", "Data",
                            "UX"][int(rng.integers(0, 10))],
                     kind=["talk", "keynote", "note_text"][int(rng.integers(0, 3))],
                     note=note if TALKS[i % 4].has_notes else None) for i in range(300)]
    cols = build_columns(talks, [Chunk(0, "x0", "h", "t")])
    has_notes = np.array([t.has_notes for t in talks])
    is_talk = np.array([t.is_talk for t in talks])
    for seed in range(5):
        ids = np.random.default_rng(seed).permutation(300)[:200 - 30 * seed]
        assert overview.overview_of_rows(
            ids, has_notes & is_talk, ~has_notes & is_talk, cols.facets,
            lambda row: talks[row].title) == overview.build_overview([talks[i] for i in ids])
    old = overview.MAX_TITLES
    try:       # a group larger than the titles kept still counts all its talks
        overview.MAX_TITLES = 3
        got = overview.overview_of_rows(np.arange(300), has_notes & is_talk,
                                        ~has_notes & is_talk, cols.facets,
                                        lambda row: talks[row].title)
    finally:
        overview.MAX_TITLES = old
    want = overview.build_overview(talks)
    assert [(g.name, g.size) for g in got.groups] == [(g.name, len(g.titles)) for g in want.groups]
    assert all(len(g.titles) <= 3 for g in got.groups)


def test_a_filter_allowing_nothing_or_few_far_rows_on_a_quantised_index(tmp_path: Path) -> None:
    vectors = clustered_vectors(30_000)
    dense = DenseIndex.build(vectors)
    q = vectors[0]
    ids, sims = dense.search(q, 10, np.zeros(0, dtype=np.int64))
    assert len(ids) == 0 and len(sims) == 0
    # Many allowed rows, none near the question: FAISS's nearest hold none of them, so the
    # allowed rows are searched alone rather than answering nothing.
    far = np.argsort(vectors @ q)[:SCAN_LIMIT + 500]
    ids, _ = dense.search(q, 10, np.sort(far))
    assert len(ids) == 10 and np.isin(ids, far).all()
