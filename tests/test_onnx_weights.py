"""The int8 export's weights live in a file beside the graph (onnxruntime maps it instead of
copying the weights out of the protobuf); an export written before is rewritten once."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from index.model.onnx_export import WEIGHTS, _weights_beside


def _tiny_model(path: Path) -> np.ndarray:
    """y = x @ W with a 64x64 weight (16 KB, stored inside the graph); returns W."""
    weight = np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"])], "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])],
        initializer=[numpy_helper.from_array(weight, "W")])
    onnx.save_model(helper.make_model(graph), str(path))
    return weight


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


def test_an_export_with_its_weights_inside_is_rewritten_with_them_beside(tmp_path: Path) -> None:
    model = tmp_path / "model.onnx"
    weight = _tiny_model(model)
    inside = model.stat().st_size
    x = np.ones((1, 64), dtype=np.float32)
    _weights_beside(model)
    assert (tmp_path / WEIGHTS).stat().st_size >= weight.nbytes
    assert model.stat().st_size < inside - weight.nbytes + 1024     # the graph lost its weights
    np.testing.assert_allclose(_run(model, x), x @ weight, rtol=1e-5, atol=1e-5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx", WEIGHTS]   # no temp left
    _weights_beside(model)                                          # done once: nothing changes
    np.testing.assert_allclose(_run(model, x), x @ weight, rtol=1e-5, atol=1e-5)


def test_a_read_only_export_is_left_as_it_is_and_still_works(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    model = folder / "model.onnx"
    weight = _tiny_model(model)
    before = model.read_bytes()

    def read_only(*_: object) -> None:              # (the tests run as root: chmod would not do)
        raise OSError(30, "Read-only file system")
    monkeypatch.setattr("index.model.onnx_export.os.replace", read_only)
    with caplog.at_level(logging.WARNING, logger="index.model.onnx_export"):
        _weights_beside(model)
    monkeypatch.undo()
    assert model.read_bytes() == before and not (folder / WEIGHTS).exists()
    assert sorted(p.name for p in folder.iterdir()) == ["model.onnx"]
    assert "still works" in caplog.text
    x = np.ones((1, 64), dtype=np.float32)
    np.testing.assert_allclose(_run(model, x), x @ weight, rtol=1e-5, atol=1e-5)
