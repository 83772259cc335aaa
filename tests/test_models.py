"""Tier 3: tiny real seq2seq models (Marian, BART, T5/mT5) through the same from_pretrained path."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from models import Engine, ModelNotAllowed, ModelNotPresent, SummarizeRequest
from models.inference.registry import check_configured, load_configured_models
from models.inference.seq2seq import chunk_sentences
from service import Settings, create_app
from tests.conftest import TINY_MODEL_MAX_CHARS

ROOT = Path(__file__).resolve().parent.parent


def _valid_sources(text: str, body: dict) -> None:
    for bullet in body["bullets"]:
        assert bullet["text"].strip()
        assert bullet["sources"], bullet
        for src in bullet["sources"]:
            assert text[src["start"] : src["end"]] == src["sentence"]


def test_korean_article_as_english_bullets(model_client, ko_article: str) -> None:
    resp = model_client.post("/v1/summarize", json={"text": ko_article, "target_lang": "en", "method": "extractive"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["source_lang"] == "ko" and body["target_lang"] == "en"
    assert len(body["bullets"]) == 3
    assert body["models"]["translate"].endswith("marian-ko-en")
    assert body["method"] == "extractive" and "translate" in body["timings_ms"]
    _valid_sources(ko_article, body)


def test_english_article_as_korean_bullets_abstractive(model_client, en_article: str) -> None:
    resp = model_client.post("/v1/summarize", json={"text": en_article, "target_lang": "ko"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["method"] == "abstractive"  # auto picks the configured model
    assert body["models"]["summarize"].endswith("bart") and body["models"]["translate"].endswith("marian-en-ko")
    assert 1 <= len(body["bullets"]) <= 3 and body["chunks"] >= 1
    _valid_sources(en_article, body)


def test_abstractive_korean_keeps_provenance(model_client, ko_article: str) -> None:
    body = model_client.post("/v1/summarize", json={"text": ko_article, "max_bullets": 2}).get_json()
    assert body["method"] == "abstractive" and body["models"]["summarize"].endswith("t5")
    assert 1 <= len(body["bullets"]) <= 2
    assert all(len(b["text"]) <= TINY_MODEL_MAX_CHARS for b in body["bullets"])
    _valid_sources(ko_article, body)


def test_long_article_is_chunked_not_truncated(model_client, model_engine: Engine) -> None:
    import json

    rows = [json.loads(line) for line in open(ROOT / "tests" / "data" / "ntrex_ko_en.jsonl", encoding="utf-8")]
    text = "\n".join(r["en"] for r in rows)
    while len(text) < 20_000:
        text += "\n" + text
    text = text[:20_000].rsplit("\n", 1)[0]
    from models.text.chrome import strip_chrome

    # the pipeline's own steps: split, drop page chrome (the repeated lines go), pick candidates
    split = strip_chrome(text, model_engine.pipeline.splitter.split(text, "en"), "en").sentences
    sentences = model_engine.pipeline.candidates(split, "en")
    model = model_engine.summarizers["en"].model
    chunks = chunk_sentences([s.text for s in sentences], model)
    assert len(chunks) > 1
    assert all(n <= model.max_input_tokens for n in model.count_tokens(chunks))
    # every word of the article is in some chunk: nothing was dropped
    assert " ".join(chunks).split() == " ".join(s.text for s in sentences).split()
    resp = model_client.post("/v1/summarize", json={"text": text, "source_lang": "en"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["chunks"] == len(chunks)
    _valid_sources(text, body)


def test_translate_endpoint_keeps_paragraphs_and_alignment(model_client) -> None:
    text = "정부는 새 정책을 발표했다. 시행은 내년부터다.\n\n업계는 환영했다.\n시민단체는 반대했다."
    resp = model_client.post("/v1/translate", json={"text": text, "target_lang": "en"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["source_lang"] == "ko" and body["model"].endswith("marian-ko-en")
    assert len(body["sentences"]) == 4
    assert body["text"].count("\n\n") == 1 and body["text"].count("\n") == 3
    for pair in body["sentences"]:
        src = pair["source"]
        assert text[src["start"] : src["end"]] == src["sentence"]
    assert body["text"] == (
        body["sentences"][0]["translation"] + " " + body["sentences"][1]["translation"] + "\n\n"
        + body["sentences"][2]["translation"] + "\n" + body["sentences"][3]["translation"]
    )


def test_batched_translation_keeps_order(model_engine: Engine) -> None:
    translator = model_engine.translators[("ko", "en")]
    texts = ["정부는 새 정책을 발표했다.", "업계는 환영했다.", "시민단체는 내년부터 시행되는 정책에 반대했다.", "좋다."]
    batched = translator.translate(texts)
    one_by_one = [translator.translate([t])[0] for t in texts]
    assert batched == one_by_one


def test_translate_same_language_is_422(model_client) -> None:
    resp = model_client.post("/v1/translate", json={"text": "The plan starts.", "target_lang": "en"})
    assert resp.status_code == 422


def test_models_endpoint_lists_licences(model_client) -> None:
    models = model_client.get("/v1/models").get_json()["models"]
    seq = {(m["task"], tuple(m["languages"])): m for m in models if m["kind"] == "seq2seq"}
    assert set(seq) == {("summarize", ("en",)), ("summarize", ("ko",)), ("translate", ("ko", "en")),
                        ("translate", ("en", "ko"))}
    assert seq[("summarize", ("en",))]["licence"] == "mit"
    assert seq[("translate", ("ko", "en"))]["licence"] == "apache-2.0"
    assert {m["device"] for m in seq.values()} == {"cpu"}  # no GPU on the test machines


def test_missing_model_stops_start_up() -> None:
    settings = Settings(model_translate_ko_en="example-org/not-downloaded@v1", models_dir="/nonexistent")
    with pytest.raises(ModelNotPresent) as err:
        create_app(settings)
    assert "example-org/not-downloaded@v1" in err.value.message
    assert "python -m service models download example-org/not-downloaded@v1" in err.value.message


def test_serve_command_reports_missing_model() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SUMMARIZER_MODEL_SUMMARIZE_EN": "example-org/missing-model",
           "SUMMARIZER_MODELS_DIR": "/nonexistent", "SUMMARIZER_PORT": "1"}
    proc = subprocess.run([sys.executable, "-m", "service", "serve"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert "example-org/missing-model" in proc.stderr and "models download" in proc.stderr


def test_noncommercial_model_needs_opt_in(tiny_models: dict[str, Path]) -> None:
    configured = {("summarize", "ko"): str(tiny_models["mt5_nc"])}
    with pytest.raises(ModelNotAllowed):
        check_configured(configured)
    summarizers, _ = load_configured_models(configured, allow_noncommercial=True)
    assert summarizers["ko"].spec.licence == "cc-by-nc-sa-4.0"


def test_one_model_for_two_languages_loads_once(tiny_models: dict[str, Path]) -> None:
    path = str(tiny_models["mt5_nc"])
    summarizers, _ = load_configured_models({("summarize", "ko"): path, ("summarize", "en"): path},
                                            allow_noncommercial=True)
    assert summarizers["ko"].model.model is summarizers["en"].model.model


def test_abstractive_without_model_for_language(engine: Engine, tiny_models: dict[str, Path]) -> None:
    summarizers, _ = load_configured_models({("summarize", "en"): str(tiny_models["bart"])})
    e = Engine(splitter=engine.splitter, detector=engine.detector, summarizers=summarizers)
    res = e.summarize(SummarizeRequest(text="정부는 새 정책을 발표했다. 시행은 내년부터다.", method="auto"))
    assert res.method == "extractive"  # auto falls back where no model serves the language


def test_real_server_with_tiny_models(tiny_models: dict[str, Path], ko_article: str, en_article: str) -> None:
    import requests

    from bench.server import start_server, stop_server

    env = {
        "SUMMARIZER_MODEL_TRANSLATE_KO_EN": str(tiny_models["marian_ko_en"]),
        "SUMMARIZER_MODEL_TRANSLATE_EN_KO": str(tiny_models["marian_en_ko"]),
        "SUMMARIZER_MODEL_SUMMARIZE_EN": str(tiny_models["bart"]),
        # token soup from random weights cannot be compressed: see TINY_MODEL_MAX_CHARS
        "SUMMARIZER_MAX_CHARS_EN": str(TINY_MODEL_MAX_CHARS),
        "SUMMARIZER_MAX_CHARS_KO": str(TINY_MODEL_MAX_CHARS),
    }
    proc, base = start_server(env)
    try:
        ko = requests.post(f"{base}/v1/summarize", json={"text": ko_article, "target_lang": "en"}, timeout=60)
        assert ko.status_code == 200, ko.text
        assert ko.json()["target_lang"] == "en" and len(ko.json()["bullets"]) == 3
        _valid_sources(ko_article, ko.json())
        en = requests.post(f"{base}/v1/summarize", json={"text": en_article, "target_lang": "ko"}, timeout=60)
        assert en.status_code == 200, en.text
        assert en.json()["method"] == "abstractive"
        tr = requests.post(f"{base}/v1/translate", json={"text": ko_article, "target_lang": "en"}, timeout=60)
        assert tr.status_code == 200 and tr.json()["sentences"]
    finally:
        stop_server(proc)


def test_preset_fills_unset_slots_only() -> None:
    from service.runtime import configured_models

    slots = configured_models(Settings(preset="translate", model_translate_ko_en="/my/own/model"))
    assert slots[("translate", "ko-en")] == "/my/own/model"
    assert slots[("translate", "en-ko")] == "Helsinki-NLP/opus-mt-tc-big-en-ko"
    assert slots[("summarize", "en")] == ""
    with pytest.raises(ModelNotPresent, match="not a preset"):
        configured_models(Settings(preset="nope"))


def test_download_command_converts_for_ctranslate2(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    """`models download` with the auto backend leaves the CTranslate2 model where start-up looks for it."""
    from models.inference.registry import ct2_cache_dir

    env = {**os.environ, "PYTHONPATH": str(ROOT), "SUMMARIZER_MODELS_DIR": str(tmp_path),
           "SUMMARIZER_BACKEND": "auto"}
    proc = subprocess.run([sys.executable, "-m", "service", "models", "download", str(tiny_models["marian_ko_en"])],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    converted = [p for p in ct2_cache_dir(str(tmp_path)).iterdir() if (p / "model.bin").is_file()]
    assert len(converted) == 1
    assert str(converted[0]) in proc.stdout and "CTranslate2 int8" in proc.stdout
    # loading now finds the conversion instead of converting again
    mtime = (converted[0] / "model.bin").stat().st_mtime_ns
    summarizers, translators = load_configured_models({("translate", "ko-en"): str(tiny_models["marian_ko_en"])},
                                                      models_dir=str(tmp_path), backend="ctranslate2")
    assert translators[("ko", "en")].model.backend == "ctranslate2"
    assert (converted[0] / "model.bin").stat().st_mtime_ns == mtime

    proc = subprocess.run([sys.executable, "-m", "service", "models", "download", "--backend", "transformers",
                           str(tiny_models["bart"])], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "CTranslate2" not in proc.stdout


@pytest.mark.parametrize(("fixture", "target"), [("ko_article", "en"), ("en_article", "ko"), ("ko_article", None),
                                                 ("en_article", None)])
def test_model_output_is_never_refused_for_length(model_client, request, fixture: str, target: str | None) -> None:
    """At the default lengths (140 / 100) the tiny models' token soup has no shortening: an explicit
    abstractive request, translated or not, still answers 200 with the model's own bullets (it used to
    answer 422 'no translated bullet could be compressed', or quietly report extractive)."""
    text = request.getfixturevalue(fixture)
    body = {"text": text, "method": "abstractive", **({"target_lang": target} if target else {})}
    resp = model_client.post("/v1/summarize", json=body)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    out = resp.get_json()
    assert out["method"] == "abstractive" and "fallback" not in out
    lang = target or ("ko" if fixture == "ko_article" else "en")
    assert out["bullets"] and out["max_chars"] == {"en": 140, "ko": 100}[lang]
    _valid_sources(text, out)
