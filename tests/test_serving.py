"""Serving without torch (issue 17): the bot answers with onnxruntime from a model folder that has
its ONNX export but not its float weights, never imports torch, and says what to install when
something needs torch after all."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import index.model.cache as cache
from index.errors import ModelUnavailableError
from index.model.encoders import SentenceTransformerEncoder
from index.model.onnx_export import ensure_onnx_int8, has_onnx_int8, onnx_folder

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "transformers", "sentence_transformers")   # bm25s takes scipy when present


def never_convert(*_: object, **__: object) -> None:
    raise AssertionError("the model was converted again")


def weightless_copy(folder: Path, cache_dir: Path) -> Path:
    """The model folder as the image ships it: small files and the export, no weights."""
    copy = cache_dir / folder.name
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(cache.WEIGHTS))
    onnx_folder(copy).symlink_to(onnx_folder(folder), target_is_directory=True)
    return copy


def test_a_folder_without_weights_serves_when_its_export_is_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    final = tmp_path / cache.model_folder_name(cache.bundled_model_path())
    final.mkdir()
    for name in cache._REQUIRED_FILES:
        if name != cache.WEIGHTS:
            (final / name).write_text("{}")
    monkeypatch.setattr(cache, "convert_bin", never_convert)
    with pytest.raises(AssertionError, match="converted again"):     # no export yet
        cache.ensure_default_model(tmp_path, servable=has_onnx_int8)
    onnx_folder(final).mkdir()
    (onnx_folder(final) / "model.onnx").write_bytes(b"onnx")
    assert cache.ensure_default_model(tmp_path, servable=has_onnx_int8) == final
    with pytest.raises(AssertionError, match="converted again"):     # the torch backend
        cache.ensure_default_model(tmp_path)


@pytest.fixture
def forget_new_modules():
    """Modules first imported while torch was hidden (transformers decides once, at import,
    whether torch is there) are removed afterwards, so later tests import them afresh."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]


def test_without_torch_the_export_and_the_torch_backend_say_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forget_new_modules: None) -> None:
    for module in ("torch", "sentence_transformers"):
        monkeypatch.setitem(sys.modules, module, None)      # `import torch` fails, as if absent
    with pytest.raises(ModelUnavailableError, match=r"torch.*pip install 'kubecon-bot\[build\]'"):
        ensure_onnx_int8(tmp_path / "model", spec={"pooling": "mean"})
    assert not onnx_folder(tmp_path / "model").exists()
    with pytest.raises(ModelUnavailableError, match=r"EMBEDDING_BACKEND=onnx-int8.*\[build\]"):
        SentenceTransformerEncoder("any-model").embed_query("hello")


SERVE = """
import json, sys
from bot.cli import main
code = main(["ask", "--index", sys.argv[1], "what did Netflix say about Spinnaker"])
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[2].split(",")))
print(json.dumps({"code": code, "heavy": heavy}))
"""


@pytest.mark.slow
def test_the_bot_answers_from_the_onnx_export_without_weights_or_torch(
        real_index_dir: Path, tmp_path: Path) -> None:
    from index.settings import load_index_settings
    models = tmp_path / "models"
    models.mkdir()
    weightless_copy(cache.ensure_default_model(load_index_settings().model_cache), models)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMBEDDING_", "INDEX_"))}
    env |= {"PYTHONPATH": str(ROOT), "KUBECON_MODEL_CACHE": str(models), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", SERVE, str(real_index_dir), ",".join(HEAVY)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    *answer, last = done.stdout.strip().splitlines()
    assert json.loads(last) == {"code": 0, "heavy": []}, done.stdout + done.stderr
    assert "Cloud Native CD: Spinnaker" in "\n".join(answer)
    assert sorted(p.name for p in models.iterdir()) == sorted(   # nothing converted or exported
        [p.name for p in models.iterdir() if p.name.startswith("multilingual-e5-small")])
    assert not any((models / p.name / cache.WEIGHTS).exists() for p in models.iterdir())


SMAPS = """\
7f0000000000-7f0000100000 r-xp 00000000 08:01 42   /venv/lib/python3.11/site-packages/onnxruntime/capi/lib.so
Size:               1024 kB
Rss:                 300 kB
7f0000100000-7f0000200000 rw-p 00000000 00:00 0
Rss:                 500 kB
7f0000200000-7f0000300000 r--p 00000000 08:01 43   /venv/lib/python3.11/site-packages/onnxruntime/capi/lib.so
Rss:                  20 kB
55d000000000-55d000100000 rw-p 00000000 00:00 0    [heap]
Rss:                  64 kB
"""


def test_memory_report_sums_resident_memory_by_mapping() -> None:
    import importlib.util
    spec = importlib.util.spec_from_file_location("memory_report",
                                                  ROOT / "scripts" / "memory_report.py")
    assert spec and spec.loader
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    lib = "/venv/lib/python3.11/site-packages/onnxruntime/capi/lib.so"
    assert report.rss_by_mapping(SMAPS) == {lib: 320, "[anon]": 500, "[heap]": 64}
    assert report.group(lib) == "site-packages/onnxruntime"
