"""The SentencePiece tokenizer gives the same ids as tokenizer.json, in a fraction of the memory.

The slow tests use the real converted multilingual-e5-small folder (converted once into the model
cache): every text the index build embeds, every evaluation question and awkward inputs, then
the encoder's vectors with either tokenizer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from index.model.e5file import Vocab
from index.model.encoders import padded
from index.model.spm import (
    SPM_FILE,
    HfTokenizer,
    SpmTokenizer,
    ensure_spm_model,
    load_tokenizer,
    write_spm_model,
)
from index.model.tokenizer import build_tokenizer

ROOT = Path(__file__).resolve().parents[1]
MAX = 512

EDGE_CASES = [
    "", " ", "   ", "\t\n", "hello", "hello ", " hello", "  hello  world  ", "a\u00a0 b",
    "a\u2009b\u3000c\u202fd\u200be", "\u2581a\u2581\u2581b", "tab\there\nnew\r\nline\x0bx\x0cy",
    "😀", "😀😀 x 😀🙂", "🏳️‍🌈 pride 👩🏽‍💻", "日本語のテキストと漢字", "한국어 텍스트", "中文，标点。",
    "Æblegrød på dansk, Øresund og Åbenrå", "très élégant, garçon, cœur, Noël",
    "e\u0301te\u0301 (combining)", "Ｇ\u0301 Ａ\u0308", "ﬁ ① ㎞ Ⅻ ½", "\x00a\x01b\x7f",
    "!!!???... ---- ==== ****", "https://example.org/a_b/c-d?e=f&g=h#i", "a <s> b</s>c<mask>",
    "<unk><pad>", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝐛𝐨𝐥𝐝", "ᚠᛇᚻ ⠓⠑⠇⠇⠕ 𓀀", "x" * 3000, "word " * 700,
    "Kubernetes " * 200 + "😀" * 50, "\u0300 leading combining", "Ⓚⓤⓑⓔ", "İstanbul ß ẞ ſ",
]


def _tiny_folder(folder: Path) -> Path:
    """A tokenizer.json from a nine-piece vocabulary, built as the converter builds the real one."""
    pieces = ("<s>", "<pad>", "</s>", "<unk>", "\u2581", "a", "b", "\u2581ab", "c")
    vocab = Vocab(pieces, (0.0, 0.0, 0.0, 0.0, -2.0, -3.0, -3.0, -1.0, -4.0),
                  bos_id=0, eos_id=2, pad_id=1, unk_id=3)
    norm = {ord("A"): "a", 0xA0: " ", 0x2581: " ", 0x01: "", ord("\t"): " "}
    folder.mkdir(exist_ok=True)
    build_tokenizer(vocab, norm).save(str(folder / "tokenizer.json"))
    return folder


def test_a_tiny_vocabulary_gives_the_same_ids_and_unknowns_stay_one_per_character(tmp_path):
    folder = _tiny_folder(tmp_path / "tiny")
    spm = SpmTokenizer(write_spm_model(folder), 6)
    hf = HfTokenizer(folder / "tokenizer.json", 6)
    for text in ["ab", "AB c", "a\u00a0\u00a0b", "zz", "ab zz c", "\tab", "", " ", "abababab"]:
        assert spm.encode(text) == hf.encode(text), text
    assert spm.encode("zz") == [0, 4, 3, 3, 2]          # ▁ then one <unk> per unknown character
    assert spm.encode("abababab") == [0, 7, 5, 6, 5, 2]  # truncated to 6, <s> and </s> kept


def test_a_folder_without_the_model_gets_it_written_and_a_failure_falls_back(tmp_path, caplog):
    folder = _tiny_folder(tmp_path / "tiny")
    assert isinstance(load_tokenizer(folder, 8), SpmTokenizer)      # written lazily
    assert (folder / SPM_FILE).is_file()
    other = _tiny_folder(tmp_path / "unwritable")
    (other / f".{SPM_FILE}.{os.getpid()}.tmp").mkdir()      # writing it fails
    tok = load_tokenizer(other, 8)
    assert isinstance(tok, HfTokenizer) and tok.encode("ab") == [0, 7, 2]
    assert "tokenising with tokenizers" in caplog.text and not (other / SPM_FILE).exists()
    (folder / SPM_FILE).write_bytes(b"not a model")                     # a damaged file
    assert isinstance(load_tokenizer(folder, 8), HfTokenizer)
    assert ensure_spm_model(tmp_path / "empty") is None                 # no tokenizer.json


# --------------------------------------------------------------------------- the real model


@pytest.fixture(scope="module")
def model_folder() -> Path:
    from index.model.cache import resolve_model
    from index.settings import DEFAULT_MODEL, load_index_settings
    return Path(resolve_model(DEFAULT_MODEL, load_index_settings().model_cache))


@pytest.fixture(scope="module")
def both(model_folder: Path, tmp_path_factory) -> tuple[SpmTokenizer, HfTokenizer]:
    """SentencePiece from a .model written now (not one left in the cache), and tokenizers."""
    fresh = tmp_path_factory.mktemp("spm")
    (fresh / "tokenizer.json").symlink_to(model_folder / "tokenizer.json")
    return (SpmTokenizer(write_spm_model(fresh), MAX),
            HfTokenizer(model_folder / "tokenizer.json", MAX))


def build_texts() -> list[str]:
    """What the index build embeds: every chunk and talk header, the catalog's included."""
    from index.catalog.attach import attach_catalog
    from index.catalog.entries import load_catalog
    from index.notes.chunking import chunk_talks, talk_header
    from index.notes.corpus import read_corpus
    corpus = read_corpus(ROOT / "corpus")
    talks, _ = attach_catalog([t for n in corpus.notes for t in n.talks],
                              load_catalog(ROOT / "corpus" / "catalog"))
    talks += [t for n in corpus.notes for t in n.texts]
    return [c.full_text for c in chunk_talks(talks)] + [talk_header(t) for t in talks]


def eval_questions() -> list[str]:
    found = []
    for path in sorted((ROOT / "eval").glob("*.yaml")):
        for item in yaml.safe_load(path.read_text("utf-8")):
            found += [item[k] for k in ("q", "first", "followup") if isinstance(item.get(k), str)]
    return found


def _same(spm: SpmTokenizer, hf: HfTokenizer, texts: list[str]) -> None:
    a, b = spm.encode_batch(texts), hf.encode_batch(texts)
    wrong = [t[:60] for t, x, y in zip(texts, a, b) if x != y]
    assert not wrong, f"{len(wrong)} texts tokenised differently, e.g. {wrong[:5]}"
    for i in range(0, len(texts), 16):          # padded batches as the encoder builds them
        for x, y in zip(padded(a[i:i + 16], 1), padded(b[i:i + 16], 1)):
            assert np.array_equal(x, y)


@pytest.mark.slow
def test_every_build_text_tokenises_the_same(both) -> None:
    texts = build_texts()
    assert len(texts) > 3000                    # the corpus and the catalog, not a stub
    _same(*both, ["passage: " + t for t in texts])


@pytest.mark.slow
def test_every_eval_question_and_edge_case_tokenises_the_same(both) -> None:
    questions = eval_questions()
    assert len(questions) > 300
    _same(*both, ["query: " + q for q in questions])
    _same(*both, EDGE_CASES + ["query: " + t for t in EDGE_CASES] +
          ["passage: " + t for t in EDGE_CASES])
    spm = both[0]
    assert len(spm.encode("word " * 700)) == MAX and spm.encode("") == [0, 2]


@pytest.mark.slow
def test_the_encoder_gives_the_same_vectors_with_either_tokenizer(model_folder) -> None:
    from index.model.encoders import OnnxEncoder
    from index.settings import DEFAULT_MODEL, load_index_settings
    encoder = OnnxEncoder(DEFAULT_MODEL, cache_dir=load_index_settings().model_cache)
    encoder._load()
    assert isinstance(encoder._tokenizer, SpmTokenizer)
    texts = build_texts()[::150][:30] + EDGE_CASES[:10]
    questions = eval_questions()[::40][:12]
    docs, queries = encoder.embed_documents(texts), [encoder.embed_query(q) for q in questions]
    encoder._tokenizer = HfTokenizer(model_folder / "tokenizer.json", MAX)
    docs_hf = encoder.embed_documents(texts)
    queries_hf = [encoder.embed_query(q) for q in questions]
    cos = np.sum(docs * docs_hf, axis=1)
    assert cos.min() >= 0.9999, cos.min()
    assert min(float(a @ b) for a, b in zip(queries, queries_hf)) >= 0.9999


@pytest.mark.slow
def test_the_sentencepiece_tokenizer_takes_a_fraction_of_the_memory(model_folder) -> None:
    """In fresh processes: RSS added by loading each tokenizer (tokenizers: ~280 MB)."""
    assert ensure_spm_model(model_folder) == model_folder / SPM_FILE
    script = ("import sys, pathlib, index.model.spm as m\n"
              "def rss(): return int([l for l in open('/proc/self/status')"
              " if l.startswith('VmRSS')][0].split()[1]) // 1024\n"
              "import sentencepiece, tokenizers\n"
              "before = rss(); f = pathlib.Path(sys.argv[2])\n"
              "tok = m.SpmTokenizer(f / m.SPM_FILE, 512) if sys.argv[1] == 'spm' else "
              "m.HfTokenizer(f / 'tokenizer.json', 512)\n"
              "print(rss() - before)\n")
    added = {kind: int(subprocess.run(
        [sys.executable, "-c", script, kind, str(model_folder)], cwd=ROOT, check=True,
        capture_output=True, text=True).stdout) for kind in ("spm", "hf")}
    assert added["spm"] < 100 and added["hf"] > 2 * added["spm"], added
    print(json.dumps(added))


def test_what_the_tokenizer_reads_off_its_model_is_kept_beside_it(model_folder,
                                                                   tmp_path: Path) -> None:
    """Kept with the model's hash: a changed model or a damaged file is read again, and a
    read-only folder still loads (without keeping it)."""
    from index.model.spm import FACTS_FILE
    model = ensure_spm_model(model_folder)
    assert model is not None
    text = "Hvordan bruger Spotify Backstage? <s> 東京 ☃ 𝔘 naïve </s>"
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / SPM_FILE).write_bytes(model.read_bytes())
    first = SpmTokenizer(folder / SPM_FILE, MAX)
    kept = json.loads((folder / FACTS_FILE).read_text("utf-8"))
    assert kept["specials"]["<s>"] == first.bos_id and kept["unknown"].startswith("[^")
    assert SpmTokenizer(folder / SPM_FILE, MAX).encode(text) == first.encode(text)
    (folder / FACTS_FILE).write_text(json.dumps({**kept, "model_sha256": "0" * 64,
                                                 "unknown": "[^\\s\\S]"}), "utf-8")
    assert SpmTokenizer(folder / SPM_FILE, MAX).encode(text) == first.encode(text)
    assert json.loads((folder / FACTS_FILE).read_text("utf-8")) == kept     # read again
    (folder / FACTS_FILE).write_text("{not json", "utf-8")
    assert SpmTokenizer(folder / SPM_FILE, MAX).encode(text) == first.encode(text)
    (folder / FACTS_FILE).unlink()
    folder.chmod(0o555)
    try:
        assert SpmTokenizer(folder / SPM_FILE, MAX).encode(text) == first.encode(text)
        assert not (folder / FACTS_FILE).exists() or os.geteuid() == 0
    finally:
        folder.chmod(0o755)
