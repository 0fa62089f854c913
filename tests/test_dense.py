"""DenseIndex on random normalised vectors (no model): exact, quantised (IVF) and scan paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.search.dense import EXACT_LIMIT, SCAN_LIMIT, DenseIndex

DIM = 48


def unit_vectors(n: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def clustered_vectors(n: int, clusters: int = 200, seed: int = 0) -> np.ndarray:
    """Rows around a few hundred centres, as embeddings of passages on related topics are
    (isotropic random vectors have no structure for an inverted-list index to use)."""
    rng = np.random.default_rng(seed)
    centres = unit_vectors(clusters, seed=seed + 1)
    vectors = centres[rng.integers(0, clusters, n)] + 0.35 * unit_vectors(n, seed=seed + 2)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def exact_top(vectors: np.ndarray, q: np.ndarray, k: int,
              rows: np.ndarray | None = None) -> np.ndarray:
    rows = np.arange(len(vectors)) if rows is None else rows
    sims = vectors[rows] @ q
    return rows[np.argsort(-sims, kind="stable")[:k]]


def test_a_flat_index_finds_the_exact_nearest_rows() -> None:
    vectors = unit_vectors(2_000)
    dense = DenseIndex.build(vectors)
    assert dense.index is not None and dense.exact
    for seed in range(5):
        q = unit_vectors(1, seed=100 + seed)[0]
        ids, scores = dense.search(q, 10)
        assert ids.tolist() == exact_top(vectors, q, 10).tolist()
        np.testing.assert_allclose(scores, vectors[ids] @ q, rtol=1e-5, atol=1e-6)
        assert np.all(np.diff(scores) <= 1e-7)            # best first


def test_a_filter_only_returns_allowed_rows_on_both_paths() -> None:
    vectors = unit_vectors(3_000)
    dense = DenseIndex.build(vectors)
    q = unit_vectors(1, seed=7)[0]
    narrow = np.arange(0, 3_000, 7)                       # scanned exactly
    ids, _ = dense.search(q, 10, narrow)
    assert set(ids.tolist()) <= set(narrow.tolist())
    assert ids.tolist() == exact_top(vectors, q, 10, narrow).tolist()
    wide = np.arange(SCAN_LIMIT + 5)                      # more than SCAN_LIMIT: through FAISS
    big = DenseIndex.build(unit_vectors(SCAN_LIMIT + 10, seed=1))
    ids, _ = big.search(q, 10, wide)
    assert set(ids.tolist()) <= set(wide.tolist()) and len(ids) == 10


def test_without_a_faiss_index_the_rows_are_scanned() -> None:
    vectors = unit_vectors(500)
    dense = DenseIndex.build(vectors, scan_limit=EXACT_LIMIT)
    assert dense.index is None and dense.exact
    q = unit_vectors(1, seed=3)[0]
    ids, scores = dense.search(q, 5)
    assert ids.tolist() == exact_top(vectors, q, 5).tolist()
    np.testing.assert_allclose(dense.scores(q), vectors @ q, rtol=1e-6)


def test_the_quantised_ivf_index_recalls_the_exact_neighbours_and_rescores_them() -> None:
    vectors = clustered_vectors(EXACT_LIMIT + 5_000, seed=11)
    dense = DenseIndex.build(vectors)
    assert not dense.exact                                # IVF-SQ8 beyond EXACT_LIMIT
    recalls = []
    for seed in range(20):
        # queries near real rows, as questions are near their passages
        q = vectors[seed * 997] + 0.2 * unit_vectors(1, seed=500 + seed)[0]
        q /= np.linalg.norm(q)
        ids, scores = dense.search(q, 10)
        truth = exact_top(vectors, q, 10)
        recalls.append(len(set(ids.tolist()) & set(truth.tolist())) / 10)
        # scores are exact cosines, not the quantised ones, and sorted
        np.testing.assert_allclose(scores, vectors[ids] @ q, rtol=1e-5, atol=1e-6)
        assert np.all(np.diff(scores) <= 1e-7)
    assert np.mean(recalls) >= 0.95, recalls


def test_save_and_load_give_the_same_answers(tmp_path: Path) -> None:
    vectors = unit_vectors(1_000)
    dense = DenseIndex.build(vectors)
    dense.save(tmp_path / "v.npy", tmp_path / "v.faiss")
    loaded = DenseIndex.load(tmp_path / "v.npy", tmp_path / "v.faiss")
    q = unit_vectors(1, seed=5)[0]
    for got, want in zip(loaded.search(q, 10), dense.search(q, 10)):
        np.testing.assert_array_equal(got, want)
    scan = DenseIndex.build(vectors, scan_limit=EXACT_LIMIT)
    scan.save(tmp_path / "s.npy", tmp_path / "s.faiss")
    assert not (tmp_path / "s.faiss").exists()
    assert DenseIndex.load(tmp_path / "s.npy", tmp_path / "s.faiss").index is None
    with pytest.raises(RuntimeError):
        DenseIndex.load(tmp_path / "s.npy", tmp_path / "s.faiss", required=True)
