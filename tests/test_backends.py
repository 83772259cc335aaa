"""Tier 3: the CTranslate2 backend decodes the same tokens as transformers on tiny models of each family."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from models import Engine
from models.inference.ct2 import CT2Model, convert
from models.inference.registry import load_configured_models, spec_for
from models.inference.seq2seq import Seq2SeqModel
from service import create_app

TEXTS = ["정부는 5일 새 정책을 발표했다.", "The plan starts next year and will change the city.", "좋다."]
N = 12


def _hf_forced(model: Seq2SeqModel, texts: list[str]) -> list[list[int]]:
    """transformers' greedy ids for exactly N new tokens (EOS held back until then), after the
    decoder start token."""
    enc = model._encode(texts)
    with torch.inference_mode():
        out = model.model.generate(**enc, num_beams=1, do_sample=False, max_new_tokens=N, min_new_tokens=N,
                                   no_repeat_ngram_size=0)
    return [row[1:] for row in out.tolist()]


def _ct2_forced(model: CT2Model, texts: list[str]) -> list[list[int]]:
    """CTranslate2's greedy ids for the same N tokens, with the forced first token transformers uses."""
    results = model.model.translate_batch(model.source_tokens(texts), target_prefix=model._target_prefix(len(texts)),
                                          beam_size=1, max_decoding_length=N, min_decoding_length=N,
                                          no_repeat_ngram_size=0)
    return [model.tokenizer.target_ids(r.hypotheses[0]) for r in results]


@pytest.mark.parametrize("family", ["marian_ko_en", "bart", "t5", "mt5_nc"])
def test_ctranslate2_decodes_the_same_tokens(tiny_models: dict[str, Path], tmp_path: Path, family: str) -> None:
    """Float32 greedy decoding of N forced tokens: every one of them is compared (the tiny models
    would otherwise stop at once: BART's first token is EOS, and a comparison over no tokens passes)."""
    path = tiny_models[family]
    spec = spec_for(str(path), ("summarize", "en"), path)
    hf = Seq2SeqModel(path, spec)
    ct2 = CT2Model(path, spec, tmp_path / "ct2", compute_type="float32")
    expected = _hf_forced(hf, TEXTS)
    got = _ct2_forced(ct2, TEXTS)
    for e, g in zip(expected, got):
        # the first N - 1 of them: at the length limit transformers forces EOS and CTranslate2 does not
        assert len(e) >= N - 1 and len(g) >= N - 1, (e, g)
        assert e[: N - 1] == g[: N - 1]


def test_conversion_is_cached(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    first = convert(tiny_models["marian_ko_en"], tmp_path)
    mtime = (first / "model.bin").stat().st_mtime
    second = convert(tiny_models["marian_ko_en"], tmp_path)
    assert first == second and (second / "model.bin").stat().st_mtime == mtime


def test_backend_switch_keeps_the_response_contract(model_settings, engine: Engine, tmp_path: Path,
                                                    ko_article: str, en_article: str) -> None:
    from dataclasses import replace

    from service.runtime import build_engine

    bodies = {}
    for backend in ("transformers", "transformers-int8", "ctranslate2"):
        settings = replace(model_settings, backend=backend, models_dir=str(tmp_path))
        e = build_engine(settings, base=engine)
        client = create_app(settings, engine=e).test_client()
        ko = client.post("/v1/summarize", json={"text": ko_article, "target_lang": "en"}).get_json()
        en = client.post("/v1/summarize", json={"text": en_article}).get_json()
        models = client.get("/v1/models").get_json()["models"]
        assert {m["backend"] for m in models if m["kind"] == "seq2seq"} == {backend}
        assert {m["backend_reason"] for m in models if m["kind"] == "seq2seq"} == {f"SUMMARIZER_BACKEND={backend}"}
        bodies[backend] = (ko, en)
    for a, b in [*zip(bodies["transformers"], bodies["ctranslate2"]),
                 *zip(bodies["transformers"], bodies["transformers-int8"])]:
        assert set(a) == set(b)
        assert a["method"] == b["method"] and a["models"] == b["models"]
        for body in (a, b):
            assert 1 <= len(body["bullets"]) <= 3
            assert all(bl["sources"] and set(bl) == {"text", "sources"} for bl in body["bullets"])


def test_auto_backend_uses_ctranslate2_where_it_converts_on_an_intel_cpu(
        tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from models.inference import auto

    monkeypatch.setattr(auto, "read_host", lambda workers: auto.Host("GenuineIntel", 2**34, workers))
    summarizers, translators = load_configured_models(
        {("translate", "ko-en"): str(tiny_models["marian_ko_en"])}, models_dir=str(tmp_path), backend="auto"
    )
    assert translators[("ko", "en")].backend == "ctranslate2"
    assert translators[("ko", "en")].backend_reason.startswith("auto: CTranslate2 int8")  # /v1/models says why


def test_concurrent_conversions_share_one_folder(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    """Workers starting together: one converts, the others wait for it, none fails on the rename."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    code = ("import sys; from models.inference.ct2 import convert; "
            "print(convert(sys.argv[1], sys.argv[2], 'int8'))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tiny_models["bart"]), str(tmp_path)], cwd=root,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err[-1500:] for _, err in outs]
    folders = {out.strip() for out, _ in outs}
    assert len(folders) == 1
    assert (Path(folders.pop()) / "model.bin").is_file()
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


@pytest.fixture(scope="module")
def marian_separate_vocabs(tmp_path_factory) -> Path:
    from tests.tiny_models import build_marian_separate_vocabs

    return build_marian_separate_vocabs(tmp_path_factory.mktemp("sepvoc") / "marian-sepvoc", seed=6)


def test_separate_target_vocabulary_on_both_backends(marian_separate_vocabs: Path, tmp_path: Path) -> None:
    """Marian with its own target vocabulary (two vocabulary files, unshared embeddings): CTranslate2
    decodes the same target ids as transformers, and both read them as the same Korean text."""
    path = marian_separate_vocabs
    spec = spec_for(str(path), ("translate", "en-ko"), path)
    hf = Seq2SeqModel(path, spec)
    assert hf.tokenizer.separate_vocabs and not hf.config.share_encoder_decoder_embeddings
    ct2 = CT2Model(path, spec, tmp_path / "ct2", compute_type="float32")
    texts = ["The plan starts next year and will change the city.", "Good."]
    expected, got = _hf_forced(hf, texts), _ct2_forced(ct2, texts)
    for e, g in zip(expected, got):
        assert len(e) >= N - 1 and e[: N - 1] == g[: N - 1], (e, g)
        text = hf.tokenizer.decode(e, skip_special_tokens=True)
        assert text.strip() and not text.isascii()  # Korean pieces: read with the target vocabulary
        assert " ".join(ct2.tokenizer.decode(ct2.tokenizer.target_tokens(e)).split()) == " ".join(text.split())
    assert hf.generate(texts) and ct2.generate(texts)
