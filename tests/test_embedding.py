"""Tests for index/model/encoders.py and onnx_export.py: choosing the backend, and the int8 ONNX
export of the real model against sentence-transformers running the same model with torch."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.errors import SettingError
from index.model import onnx_export
from index.model.encoders import (
    Encoder,
    OnnxEncoder,
    SentenceTransformerEncoder,
    make_encoder,
    token_batches,
)
from index.model.onnx_export import ensure_onnx_int8, onnx_folder, st_spec
from index.settings import DEFAULT_BACKEND, ONNX_INT8, load_index_settings


def encoder_from_env(name: str) -> Encoder:
    """The encoder the index commands make: the settings read once, their values passed down."""
    s = load_index_settings()
    return make_encoder(name, s.embedding_backend, s.embedding_threads)


def threads_from_env() -> int:
    return load_index_settings().embedding_threads


def st_folder(root: Path, modules: list[str], pooling: str = "mean") -> Path:
    """A sentence-transformers folder's configuration files (no weights)."""
    folder = root / "model"
    folder.mkdir(parents=True)
    entries = [{"idx": i, "name": str(i), "path": "" if kind == "Transformer" else f"{i}_{kind}",
                "type": f"sentence_transformers.models.{kind}"} for i, kind in enumerate(modules)]
    (folder / "modules.json").write_text(json.dumps(entries))
    for entry, kind in zip(entries, modules):
        if kind == "Pooling":
            (folder / entry["path"]).mkdir()
            (folder / entry["path"] / "config.json").write_text(json.dumps(
                {"word_embedding_dimension": 8, f"pooling_mode_{pooling}_tokens": True}))
    (folder / "config.json").write_text(json.dumps(
        {"hidden_size": 8, "num_attention_heads": 2, "model_type": "bert", "pad_token_id": 0}))
    (folder / "config_sentence_transformers.json").write_text(json.dumps(
        {"prompts": {"query": "query: ", "passage": "passage: "}}))
    return folder


def test_spec_of_a_supported_folder(tmp_path: Path) -> None:
    spec = st_spec(st_folder(tmp_path, ["Transformer", "Pooling", "Normalize"]))
    assert (spec["pooling"], spec["normalize"], spec["dim"], spec["heads"]) == ("mean", True, 8, 2)
    assert spec["prompts"] == {"query": "query: ", "passage": "passage: "}


@pytest.mark.parametrize("modules,pooling,needle", [
    (["Transformer", "Pooling", "Dense", "Normalize"], "mean", "modules"),
    (["Transformer"], "mean", "modules"),
    (["Transformer", "Pooling"], "max", "pooling"),
])
def test_spec_rejects_what_the_export_cannot_reproduce(tmp_path: Path, modules: list[str],
                                                       pooling: str, needle: str) -> None:
    with pytest.raises(ValueError, match=f"{needle} .* not supported by the onnx-int8 backend"):
        st_spec(st_folder(tmp_path, modules, pooling))


def test_backend_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMBEDDING_BACKEND", raising=False)
    assert DEFAULT_BACKEND == ONNX_INT8
    default = encoder_from_env("some-model")
    assert isinstance(default, OnnxEncoder) and not default.strict   # may fall back to torch
    assert isinstance(make_encoder("some-model", "torch"), SentenceTransformerEncoder)
    monkeypatch.setenv("EMBEDDING_BACKEND", "torch")
    assert isinstance(encoder_from_env("some-model"), SentenceTransformerEncoder)
    monkeypatch.setenv("EMBEDDING_BACKEND", "onnx-int8")
    assert encoder_from_env("some-model").strict     # asked for: no silent fallback
    monkeypatch.setenv("EMBEDDING_BACKEND", "cuda")
    with pytest.raises(ValueError, match="EMBEDDING_BACKEND='cuda': choose one of torch, onnx-int8"):
        encoder_from_env("some-model")


def test_embedding_threads_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMBEDDING_BACKEND", raising=False)
    monkeypatch.setenv("EMBEDDING_THREADS", "3")
    assert OnnxEncoder("some-model", threads=threads_from_env()).threads == 3
    monkeypatch.setenv("EMBEDDING_THREADS", " ")          # blank counts as unset
    assert OnnxEncoder("some-model", threads=threads_from_env()).threads == max(
        1, min(os.cpu_count() or 1, 4))
    assert OnnxEncoder("some-model", threads=1).threads == 1
    monkeypatch.setenv("EMBEDDING_THREADS", "four")
    with pytest.raises(SettingError, match="EMBEDDING_THREADS='four': use a whole number"):
        encoder_from_env("some-model")
    monkeypatch.setenv("EMBEDDING_THREADS", "")
    monkeypatch.setenv("EMBEDDING_BACKEND", "  ")         # blank: the default backend
    default = encoder_from_env("some-model")
    assert isinstance(default, OnnxEncoder) and not default.strict


def test_default_backend_falls_back_to_torch_for_other_models(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.delenv("EMBEDDING_BACKEND", raising=False)
    folder = st_folder(tmp_path, ["Transformer", "Pooling", "Dense", "Normalize"])
    enc = make_encoder(str(folder))
    with caplog.at_level(logging.WARNING, logger="index.model.encoders"):
        assert enc.vectors_id == str(folder)          # torch's vectors: cached as torch's
    assert "cannot run" in caplog.text and "using torch" in caplog.text
    assert not onnx_folder(folder).exists()
    with pytest.raises(ValueError, match="not supported"):
        _ = OnnxEncoder(str(folder), strict=True).vectors_id


def test_interrupted_export_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = st_folder(tmp_path, ["Transformer", "Pooling", "Normalize"])

    def die_half_way(folder: Path, spec: Any, out: Path) -> None:
        (out / "fused.onnx").write_bytes(b"half a model")
        raise KeyboardInterrupt

    monkeypatch.setattr(onnx_export, "_export_int8", die_half_way)
    with pytest.raises(KeyboardInterrupt):
        ensure_onnx_int8(folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_token_batches_by_hand() -> None:
    assert token_batches([10, 600, 300, 20, 5], budget=1024, most=64) == [[1], [2, 3, 0], [4]]
    assert token_batches([10] * 5, budget=1024, most=2) == [[0, 1], [2, 3], [4]]
    assert token_batches([2000, 1], budget=1024, most=64) == [[0], [1]]   # too long: alone
    assert token_batches([], budget=1024, most=64) == []


@given(st.lists(st.integers(1, 512), max_size=200), st.integers(1, 4096), st.integers(1, 64))
def test_token_batches_cover_every_text_once_within_bounds(lengths: list[int], budget: int,
                                                           most: int) -> None:
    batches = token_batches(lengths, budget, most)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(lengths, reverse=True)                  # longest first
    for b in batches:
        assert 1 <= len(b) <= most
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= budget


def test_export_noise_stays_out_of_the_users_terminal(caplog: pytest.LogCaptureFixture) -> None:
    import warnings
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with onnx_export._quiet_third_parties():
            logging.warning("Please consider to run pre-processing")
            warnings.warn("TracerWarning", UserWarning)
        assert seen == [] and caplog.records == []
        assert root.handlers == handlers and root.level == level
        logging.warning("after")                     # logging and warnings work again
        warnings.warn("after", UserWarning)
    assert [r.getMessage() for r in caplog.records] == ["after"] and len(seen) == 1


# --------------------------------------------------------------------------- the real model

TEXTS = [
    "Netflix runs Spinnaker for continuous delivery across thousands of deployments a day.",
    "The dockershim deprecation forced clusters to move to containerd or CRI-O.",
    "Foredraget handlede om at skære omkostningerne ned på klyngerne med 40 %.",
    "Hvordan håndterer man hemmeligheder i Kubernetes?",
    "L'oratrice a présenté leur maillage de services et les leçons apprises en production.",
    "Prometheus scrapes metrics; Thanos keeps them for a year in object storage.",
    "kubectl rollout status deploy/api --timeout=120s && helm upgrade --install api ./chart",
    " ".join(["Operators reconcile the desired state of a custom resource in a loop."] * 60),
]
QUERIES = ["what did Netflix say about Spinnaker", "hvordan sparer man penge på klyngerne",
           "stockage à long terme des métriques"]


@pytest.fixture(scope="module")
def export_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The converted default model, linked into a fresh folder and exported there afresh, so the
    test runs the export code as it is now, not an export left in the user's cache; with what
    the export wrote to stderr."""
    from index.model.cache import resolve_model
    from index.settings import DEFAULT_MODEL
    root = tmp_path_factory.mktemp("onnx")
    link = root / "multilingual-e5-small"
    cache = load_index_settings().model_cache       # KUBECON_MODEL_CACHE, if set
    link.symlink_to(resolve_model(DEFAULT_MODEL, cache), target_is_directory=True)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        ensure_onnx_int8(link)
    return link, err.getvalue()


@pytest.fixture(scope="module")
def exported(export_run: tuple[Path, str]) -> Path:
    return export_run[0]


@pytest.mark.slow
def test_the_export_shows_no_progress_bars(export_run: tuple[Path, str]) -> None:
    from transformers.utils import logging as hf_logging
    assert "Loading weights" not in export_run[1] and "%|" not in export_run[1]
    assert hf_logging.is_progress_bar_enabled()      # given back as it was


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.slow
def test_export_writes_one_quantised_model(exported: Path) -> None:
    out = onnx_folder(exported)
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "model.onnx", "model.onnx.data"]
    size = (out / "model.onnx.data").stat().st_size
    assert 60e6 < size < 200e6       # int8 weights: about a quarter of the 470 MB fp32 model
    assert (out / "model.onnx").stat().st_size < 2e6     # the graph, its weights beside it
    assert [p.name for p in exported.parent.iterdir() if p.name.startswith(".")] == []
    assert ensure_onnx_int8(exported) == out / "model.onnx"      # exported once, then reused


@pytest.mark.slow
def test_onnx_vectors_agree_with_sentence_transformers(exported: Path) -> None:
    onnx, torch = OnnxEncoder(str(exported), strict=True), SentenceTransformerEncoder(str(exported))
    assert onnx.dim == torch.dim == 384
    assert onnx.vectors_id != torch.vectors_id == str(exported)
    docs_o, docs_t = onnx.embed_documents(TEXTS), torch.embed_documents(TEXTS)
    q_o = np.array([onnx.embed_query(q) for q in QUERIES])
    q_t = np.array([torch.embed_query(q) for q in QUERIES])
    doc_cos, q_cos = _cos(docs_o, docs_t), _cos(q_o, q_t)
    print(f"\ndocuments: min cosine {doc_cos.min():.4f}; queries: min cosine {q_cos.min():.4f}")
    assert doc_cos.min() >= 0.98 and q_cos.min() >= 0.98
    assert np.allclose(np.linalg.norm(docs_o, axis=1), 1, atol=1e-3)
    # The query prompt is applied: a query's vector is not its passage vector.
    as_passages = torch.embed_documents(QUERIES)
    assert (_cos(q_o, as_passages) < q_cos - 0.01).all()
    # Same nearest document for every query.
    assert ((q_o @ docs_o.T).argmax(1) == (q_t @ docs_t.T).argmax(1)).all()


@pytest.mark.slow
def test_questions_run_on_a_one_thread_session_of_their_own() -> None:
    """The bot opens only the question session; documents get one with EMBEDDING_THREADS,
    and the two give the same vectors."""
    from index.model.encoders import QUERY_THREADS
    from index.settings import DEFAULT_MODEL, load_index_settings
    encoder = OnnxEncoder(DEFAULT_MODEL, threads=2, cache_dir=load_index_settings().model_cache)
    question = "what did Netflix say about Spinnaker"
    vector = encoder.embed_query(question)
    assert list(encoder._sessions) == [QUERY_THREADS] and QUERY_THREADS == 1
    assert np.allclose(encoder.prepared_query(question)(), vector, atol=1e-6)
    texts = ["Spinnaker deploys to Kubernetes.", "Netflix runs containers with Titus."]
    docs = encoder.embed_documents(texts)
    assert sorted(encoder._sessions) == [1, 2]
    tokens = [encoder._tokenizer.encode(encoder._prompts[1] + t) for t in texts]
    one_thread = encoder._run(encoder._load(1), tokens)
    assert np.allclose(one_thread, docs, atol=1e-5)
