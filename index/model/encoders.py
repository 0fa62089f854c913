"""The encoder boundary: embed_documents / embed_query, with sentence-transformers behind it.

Two backends run the same model: ``torch`` (sentence-transformers) and ``onnx-int8``
(the model's transformer exported once to ONNX, fused by onnxruntime's BERT optimiser and
dynamically quantised to int8, cached next to the model; run with onnxruntime, without
importing torch). ``EMBEDDING_BACKEND`` chooses (onnx-int8 by default: 1.9-3.6x faster
documents and 3.4-5.8x faster queries at the same dev-set recall; bench/README.md). Both give the
same model name, so an index built with one can be queried with the other (vectors agree at
cosine >= 0.994), but their vectors are cached apart (``vectors_id``)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

import numpy as np

from ..settings import setting
from ..errors import SettingError


class Encoder(Protocol):
    name: str

    @property
    def vectors_id(self) -> str:
        """What produced the vectors (model and backend): part of the embedding cache key."""
        ...

    @property
    def dim(self) -> int: ...

    def embed_documents(self, texts: list[str], progress: Callable[[int], None] | None = None
                        ) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class SentenceTransformerEncoder:
    """Any sentence-transformers model; loaded lazily, on the CPU, offline-friendly."""

    def __init__(self, name: str, batch_size: int = 32) -> None:
        self.name = name
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()
        self._prompts: tuple[str | None, str | None] = (None, None)

    def _load(self):  # -> SentenceTransformer
        with self._lock:
            if self._model is None:
                from .e5model import resolve_model
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                from sentence_transformers import SentenceTransformer
                path = resolve_model(self.name)
                model = SentenceTransformer(path, device="cpu")
                prompts = getattr(model, "prompts", {}) or {}
                self._prompts = ("query" if "query" in prompts else None,
                                 "passage" if "passage" in prompts else
                                 "document" if "document" in prompts else None)
                self._model = model
        return self._model

    @property
    def vectors_id(self) -> str:
        return self.name

    @property
    def dim(self) -> int:
        model = self._load()
        get = getattr(model, "get_embedding_dimension", None) or \
            model.get_sentence_embedding_dimension
        return int(get())

    def embed_documents(self, texts: list[str], progress: Callable[[int], None] | None = None
                        ) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Batches of similar length (longest first), as SentenceTransformer.encode does over
        # one call: batching in corpus order pads short chunks to long ones.
        order = _length_order(texts)
        out = np.zeros((len(texts), 0), dtype=np.float32)
        for i in range(0, len(texts), self.batch_size):
            rows = order[i:i + self.batch_size]
            vecs = model.encode([texts[j] for j in rows], prompt_name=self._prompts[1],
                                batch_size=self.batch_size, normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=False)
            vecs = np.asarray(vecs, dtype=np.float32)
            if out.shape[1] == 0:
                out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
            out[rows] = vecs
            if progress:
                progress(len(rows))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        model = self._load()
        vec = model.encode([text], prompt_name=self._prompts[0], normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vec[0], dtype=np.float32)


def _length_order(texts: list[str]) -> np.ndarray:
    return np.argsort([-len(t) for t in texts], kind="stable")


logger = logging.getLogger(__name__)

BACKEND_ENV = "EMBEDDING_BACKEND"
TORCH = "torch"
ONNX_INT8 = "onnx-int8"
BACKENDS = (TORCH, ONNX_INT8)
DEFAULT_BACKEND = ONNX_INT8   # measurements and the decision: bench/README.md
ONNX_EXPORT_VERSION = 1       # bump when the exported graph changes


class OnnxEncoder:
    """The same sentence-transformers model run by onnxruntime, int8-quantised.

    Supports the usual embedding models: a BERT-style transformer, mean or CLS pooling and an
    optional L2 normalisation (others raise ValueError). The first use exports and quantises
    the model into ``<model folder>.onnx-int8-v<N>/`` (needs torch, onnx and onnxruntime, about
    a minute); later uses need only onnxruntime and tokenizers."""

    def __init__(self, name: str, batch_size: int = 64, threads: int | None = None,
                 strict: bool = True, token_budget: int = 1024) -> None:
        self.name = name
        self.batch_size = batch_size         # at most this many texts in one run ...
        self.token_budget = token_budget     # ... and about this many tokens, padding included
        self.strict = strict     # False: fall back to torch when ONNX cannot run this model
        self._fallback: SentenceTransformerEncoder | None = None
        self.threads = threads or configured_threads() or max(1, min(os.cpu_count() or 1, 4))
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._prompts: tuple[str, str] = ("", "")
        self._dim = 0
        self._pad_id = 0

    def _load(self) -> Any:
        with self._lock:
            if self._session is None and self._fallback is None:
                try:
                    self._open()
                except Exception as exc:   # no onnxruntime, unsupported model, export failed
                    if self.strict:
                        raise
                    logger.warning("the onnx-int8 backend cannot run %s (%s); using torch",
                                   self.name, exc)
                    self._fallback = SentenceTransformerEncoder(self.name, self.batch_size)
        return self._session

    def _open(self) -> None:
        from .e5model import resolve_model
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import onnxruntime as ort
        from tokenizers import Tokenizer
        folder = Path(resolve_model(self.name))
        if not folder.is_dir():
            raise ValueError(f"the onnx-int8 backend needs a local model folder, "
                             f"not {self.name!r}; use EMBEDDING_BACKEND=torch")
        spec = _st_spec(folder)
        path = ensure_onnx_int8(folder, spec)
        # The tokenizer (a 17 MB JSON for multilingual-e5) loads in a thread while the session
        # opens: onnxruntime releases the GIL for most of its load (the tokenizer holds it).
        with ThreadPoolExecutor(1, thread_name_prefix="load-tokenizer") as pool:
            tokenizer = pool.submit(Tokenizer.from_file, str(folder / "tokenizer.json"))
            session = self._session_for(ort, path)
            tok = tokenizer.result()
        tok.enable_truncation(spec["max_seq_length"])
        tok.no_padding()               # batches are padded here, to their own longest text
        self._pad_id = spec["pad_id"]
        self._tokenizer = tok
        self._prompts = (spec["prompts"].get("query", ""),
                         spec["prompts"].get("passage",
                                             spec["prompts"].get("document", "")))
        self._dim = spec["dim"]
        self._session = session

    def _session_for(self, ort: Any, path: Path) -> Any:
        ort.disable_telemetry_events()      # an offline bot sends nothing anywhere
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        # Busy-waiting worker threads cost more than they save on a shared small box.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])

    @property
    def vectors_id(self) -> str:
        self._load()
        if self._fallback:
            return self._fallback.vectors_id
        return f"{self.name} ({ONNX_INT8} v{ONNX_EXPORT_VERSION})"

    @property
    def dim(self) -> int:
        self._load()
        return self._fallback.dim if self._fallback else self._dim

    def _run(self, token_ids: list[list[int]]) -> np.ndarray:
        width = max(len(t) for t in token_ids)
        ids = np.full((len(token_ids), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(token_ids), width), dtype=np.int64)
        for row, t in enumerate(token_ids):
            ids[row, :len(t)] = t
            mask[row, :len(t)] = 1
        out = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return np.asarray(out, dtype=np.float32)

    def embed_documents(self, texts: list[str], progress: Callable[[int], None] | None = None
                        ) -> np.ndarray:
        self._load()
        if self._fallback:
            return self._fallback.embed_documents(texts, progress)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        tokens = [e.ids for e in self._tokenizer.encode_batch(
            [self._prompts[1] + t for t in texts])]
        for rows in token_batches([len(t) for t in tokens], self.token_budget, self.batch_size):
            out[rows] = self._run([tokens[j] for j in rows])
            if progress:
                progress(len(rows))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        self._load()
        if self._fallback:
            return self._fallback.embed_query(text)
        return self._run([self._tokenizer.encode(self._prompts[0] + text).ids])[0]


def token_batches(lengths: list[int], budget: int, most: int) -> list[list[int]]:
    """Indexes of texts in batches, longest first: each batch has at most `most` texts and,
    padded to its longest, at most `budget` tokens (a longer text goes alone). Small batches of
    similar lengths waste little on padding; on 2 cores, 1,024 tokens ran 1.3x faster than
    batches of 32 texts (bench/README.md)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches, i = [], 0
    while i < len(order):
        n = max(1, min(most, budget // max(1, lengths[order[i]])))
        batches.append(order[i:i + n])
        i += n
    return batches


def _st_spec(folder: Path) -> dict[str, Any]:
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
    return folder.parent / f"{folder.name}.onnx-int8-v{ONNX_EXPORT_VERSION}"


def ensure_onnx_int8(folder: Path, spec: dict[str, Any] | None = None) -> Path:
    """Path of the int8 ONNX model for a sentence-transformers folder, exporting it once
    (written into a temporary sibling and renamed into place, like the model conversion)."""
    final = onnx_folder(folder)
    model = final / "model.onnx"
    if model.is_file():
        return model
    spec = spec or _st_spec(folder)
    tmp = final.parent / f".{final.name}.tmp-{os.getpid()}-{int(time.time() * 1000)}"
    tmp.mkdir(parents=True)
    try:
        logger.warning("exporting %s to int8 ONNX (once, about a minute)", folder.name)
        with _quiet_third_parties():
            _export_int8(folder, spec, tmp)
        try:
            os.rename(tmp, final)
        except OSError:           # another process finished first: use its export
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return model


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
    (out / "README.md").write_text(
        f"int8 ONNX export of {folder.name} by kubecon-bot index/embedding.py "
        f"(export v{ONNX_EXPORT_VERSION}): {spec['pooling']} pooling"
        f"{', L2-normalised' if spec['normalize'] else ''}; inputs input_ids, attention_mask; "
        f"output embedding.\n", encoding="utf-8")


def configured_threads() -> int:
    """$EMBEDDING_THREADS, 0 when unset or blank (then the encoder picks)."""
    value = setting("EMBEDDING_THREADS", "0").strip() or "0"
    if not value.isdigit():
        raise SettingError(f"EMBEDDING_THREADS={value!r}: use a whole number of threads, "
                           f"or leave it unset")
    return int(value)


def default_backend() -> str:
    backend = (setting(BACKEND_ENV, DEFAULT_BACKEND).strip() or DEFAULT_BACKEND).lower()
    if backend not in BACKENDS:
        raise SettingError(f"{BACKEND_ENV}={backend!r}: choose one of {', '.join(BACKENDS)}")
    return backend


def make_encoder(name: str, backend: str | None = None) -> Encoder:
    """The encoder for a model name; `backend` (or $EMBEDDING_BACKEND) picks torch or onnx-int8.
    When onnx-int8 is only the default (not asked for) and onnxruntime is missing or the model
    is not one it supports, the torch backend is used, with a warning."""
    explicit = bool(backend or setting(BACKEND_ENV, "").strip())
    backend = backend or default_backend()
    if backend == ONNX_INT8:
        return OnnxEncoder(name, strict=explicit)
    return SentenceTransformerEncoder(name)
