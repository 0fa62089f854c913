"""The onnx-int8 backend's model: a sentence-transformers folder's transformer and pooling,
exported once to ONNX, fused by onnxruntime's BERT optimiser and dynamically quantised to int8.

The export is cached next to the model folder, in ``<model folder>.onnx-int8-v<N>/``, and
installed atomically (``index.atomic``): the folder exists only once complete, and when two
processes export at once the first complete folder wins. Exporting needs torch, onnx and
onnxruntime (about a minute); :func:`st_spec` says what the ONNX model must reproduce."""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..atomic import install_new, remove_stale_temps, staged_dir
from ..errors import ModelUnavailableError

logger = logging.getLogger(__name__)

ONNX_EXPORT_VERSION = 1       # bump when the exported graph changes


def st_spec(folder: Path) -> dict[str, Any]:
    """What the ONNX path needs from a sentence-transformers folder; ValueError if unsupported."""
    def read(rel: str, default: Any = None) -> Any:
        path = folder / rel
        return json.loads(path.read_text("utf-8")) if path.is_file() else default

    modules = read("modules.json", [])
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if not kinds or kinds[0] != "Transformer" or any(
            k not in ("Pooling", "Normalize") for k in kinds[1:]) or "Pooling" not in kinds:
        raise ValueError(f"{folder}: modules {kinds} are not supported by the onnx-int8 backend")
    pooling_cfg = read(f"{modules[kinds.index('Pooling')]['path']}/config.json", {})
    modes = [k.removeprefix("pooling_mode_").removesuffix("_tokens") for k, v in
             pooling_cfg.items() if k.startswith("pooling_mode_") and v]
    if modes not in (["mean"], ["cls"]) or not pooling_cfg.get("include_prompt", True):
        raise ValueError(f"{folder}: pooling {modes} is not supported by the onnx-int8 backend")
    config = read("config.json", {})
    st_cfg = read("sentence_bert_config.json", {})
    return {
        "pooling": modes[0], "normalize": "Normalize" in kinds,
        "dim": int(pooling_cfg.get("word_embedding_dimension") or config["hidden_size"]),
        "max_seq_length": int(st_cfg.get("max_seq_length") or
                              min(512, int(config.get("max_position_embeddings", 512)))),
        "pad_id": int(config.get("pad_token_id") or 0),
        "prompts": dict(read("config_sentence_transformers.json", {}).get("prompts") or {}),
        "heads": int(config.get("num_attention_heads", 12)),
        "hidden": int(config["hidden_size"]), "model_type": config.get("model_type", "bert"),
    }


def onnx_folder(folder: Path) -> Path:
    """Where the export of a model folder goes: beside it."""
    return folder.parent / f"{folder.name}.onnx-int8-v{ONNX_EXPORT_VERSION}"


def has_onnx_int8(folder: Path) -> bool:
    """Whether a model folder's int8 ONNX export is in place (nothing to export)."""
    return _has_model(onnx_folder(folder))


def ensure_onnx_int8(folder: Path, spec: dict[str, Any] | None = None) -> Path:
    """Path of the int8 ONNX model for a sentence-transformers folder, exporting it once
    (written into a temporary sibling and renamed into place, like the model conversion)."""
    final = onnx_folder(folder)
    model = final / "model.onnx"
    if model.is_file():
        _weights_beside(model)
        return model
    spec = spec or st_spec(folder)
    _check_exporter()
    remove_stale_temps(final.parent, final.name)
    with staged_dir(final) as tmp:
        logger.warning("exporting %s to int8 ONNX (once, about a minute)", folder.name)
        with _quiet_third_parties():
            _export_int8(folder, spec, tmp)
        install_new(tmp, final, _has_model)   # False: another process's export came first; use it
    return model


WEIGHTS = "model.onnx.data"


def _weights_beside(model: Path) -> None:
    """Store an export's weights in a file of their own (`model.onnx.data`) beside the graph.
    onnxruntime maps such a file instead of copying the weights out of the graph's protobuf:
    a session then costs 80 MB of resident memory instead of 181 (260 at its peak). Exports
    are written so; an older export is rewritten once, in place, where the `onnx` package and a
    writable folder allow it (the graph and its vectors are unchanged, so is the export's
    version). The graph is renamed over the old one last, after its weights are written."""
    if (model.parent / WEIGHTS).is_file():
        return
    try:
        import onnx
    except ImportError:
        return                                  # a serving install: the weights stay inside
    staged = model.parent / f".weights.tmp-{os.getpid()}"
    try:
        staged.mkdir(exist_ok=True)
        graph = onnx.load(str(model))
        onnx.save_model(graph, str(staged / model.name), save_as_external_data=True,
                        all_tensors_to_one_file=True, location=WEIGHTS, size_threshold=1024)
        (staged / WEIGHTS).chmod(0o644)
        os.replace(staged / WEIGHTS, model.parent / WEIGHTS)   # (the same bytes, if another
        os.replace(staged / model.name, model)                 #  process got here first)
    except OSError as exc:                      # read-only cache: keep the export as it is
        logger.warning("could not store %s's weights beside it (%s); it still works",
                       model.parent.name, exc)
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def _has_model(final: Path) -> bool:
    """Whether an export folder is usable: it has its model (as `ensure_onnx_int8` checks)."""
    return (final / "model.onnx").is_file()


def _check_exporter() -> None:
    """Exporting needs torch and transformers, which a serving install leaves out: say so."""
    missing = []
    for module in ("torch", "transformers", "onnx"):     # the export imports them next anyway
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise ModelUnavailableError(
            f"the int8 ONNX export of the model is missing and exporting it needs "
            f"{', '.join(missing)}: install the build extra (pip install 'kubecon-bot[build]', "
            f"CPU torch first, as ./run does) and run python -m index.build once")


@contextlib.contextmanager
def _quiet_third_parties() -> Iterator[None]:
    """The exporter's tracer warnings, transformers' progress bars and onnxruntime's advice
    (logged on the root logger, which also configures it) are not for our users; the root
    logger and the bars are left as they were."""
    from transformers.utils import logging as hf_logging
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    previous = logging.root.manager.disable
    bars = hf_logging.is_progress_bar_enabled()     # "Loading weights: 100%|███|"
    logging.disable(logging.WARNING)
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)
        root.handlers[:] = handlers
        root.setLevel(level)
        if bars:
            hf_logging.enable_progress_bar()


def _export_int8(folder: Path, spec: dict[str, Any], out: Path) -> None:
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import AutoModel

    # Eager attention exports the pattern onnxruntime's optimiser fuses into Attention ops.
    bert = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    pooling, normalize = spec["pooling"], spec["normalize"]

    class Embed(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask
                               ).last_hidden_state
            if pooling == "cls":
                vec = hidden[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                vec = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(vec, p=2, dim=1) if normalize else vec

    ids = torch.ones(2, 16, dtype=torch.long)
    fp32, fused = out / "fp32.onnx", out / "fused.onnx"
    axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
            "embedding": {0: "batch"}}
    with torch.no_grad():
        torch.onnx.export(Embed().eval(), (ids, torch.ones_like(ids)), str(fp32),
                          input_names=["input_ids", "attention_mask"],
                          output_names=["embedding"], dynamic_axes=axes, opset_version=17,
                          dynamo=False)
    optimized = optimize_model(str(fp32), model_type=spec["model_type"]
                               if spec["model_type"] in ("bert", "roberta") else "bert",
                               num_heads=spec["heads"], hidden_size=spec["hidden"], opt_level=1)
    optimized.save_model_to_file(str(fused))
    fp32.unlink()
    quantize_dynamic(str(fused), str(out / "model.onnx"), weight_type=QuantType.QInt8,
                     per_channel=True,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    fused.unlink()
    _weights_beside(out / "model.onnx")
    (out / "README.md").write_text(
        f"int8 ONNX export of {folder.name} by kubecon-bot index/embedding.py "
        f"(export v{ONNX_EXPORT_VERSION}): {spec['pooling']} pooling"
        f"{', L2-normalised' if spec['normalize'] else ''}; inputs input_ids, attention_mask; "
        f"output embedding.\n", encoding="utf-8")

