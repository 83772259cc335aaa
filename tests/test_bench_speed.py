"""bench.speed --quick runs end to end and reports every runtime row (numbers checked, timings not)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

IN_PROCESS = {("baseline", 1), ("baseline", 8), ("baseline-end", 1), ("ctranslate2-int8", 1), ("ctranslate2-int8", 8),
              ("torch-qint8", 1), ("torch-qint8", 8)}
HTTP = {(f"http-{backend}", clients) for backend in ("ctranslate2", "transformers-int8", "transformers")
        for clients in (1, 4, 8, 16)}
POSITIVE = ("requests", "tokens", "seconds", "tokens_per_s", "requests_per_s", "x_throughput", "p50_ms", "p95_ms",
            "x_p50", "peak_rss_mb", "x_rss")


def test_quick_speed_report_has_every_row(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.speed", "--quick", "--out", str(tmp_path)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=280,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    report = json.loads((tmp_path / "speed.json").read_text(encoding="utf-8"))
    rows = report["rows"]
    assert {(r["runtime"], r["batch"]) for r in rows if r["mode"] == "in-process"} == IN_PROCESS
    assert {(r["runtime"], r["clients"]) for r in rows if r["mode"] == "http"} == HTTP
    assert len(rows) == len(IN_PROCESS) + len(HTTP)
    for row in rows:
        assert row["model"] == "marian"
        for key in POSITIVE:
            assert row[key] > 0, (row["runtime"], row["batch"], row["clients"], key)
        assert row["p95_ms"] >= row["p50_ms"]
        if row["mode"] == "in-process":  # every runtime decoded exactly the forced number of tokens
            assert row["tokens_exact"], row
    # every derived figure recomputed here from the row's own measurements: rates from counts and
    # seconds, ratios against the mean of the first and last baseline (RSS: the larger of the two)
    first, last = (next(r for r in rows if r["runtime"] == name) for name in ("baseline", "baseline-end"))
    base_tps = (first["tokens_per_s"] + last["tokens_per_s"]) / 2
    base_p50 = (first["p50_ms"] + last["p50_ms"]) / 2
    base_rss = max(first["peak_rss_mb"], last["peak_rss_mb"])
    for row in rows:
        name = (row["runtime"], row["batch"], row["clients"])
        # seconds are reported to the microsecond (to the millisecond, a --quick row of 13 ms
        # was 2.5 % off): 2 %
        assert row["tokens_per_s"] == pytest.approx(row["tokens"] / row["seconds"], rel=0.02), name
        assert row["requests_per_s"] == pytest.approx(row["requests"] / row["seconds"], rel=0.02), name
        assert row["x_throughput"] == pytest.approx(row["tokens_per_s"] / base_tps, rel=1e-9), name
        assert row["x_p50"] == pytest.approx(row["p50_ms"] / base_p50, rel=1e-9), name
        assert row["x_rss"] == pytest.approx(row["peak_rss_mb"] / base_rss, rel=1e-9), name
    assert first["baseline_drift"] == round(last["tokens_per_s"] / first["tokens_per_s"], 3)
    for target in report["targets"]:  # each verdict agrees with its (rounded) figure and its goal
        op, threshold = target["goal"].split()
        if abs(target["value"] - float(threshold)) > 0.01:
            expected = target["value"] >= float(threshold) if op == ">=" else target["value"] <= float(threshold)
            assert target["met"] == expected, target
    extractive = report["extractive"]
    for key in ("requests", "articles_per_s", "p50_ms", "p95_ms", "peak_rss_mb"):
        assert extractive[key] > 0, key
    assert {t["runtime"] for t in report["targets"]} == {"http-ctranslate2", "http-transformers-int8",
                                                         "http-transformers", "http"}
    names = {(t["runtime"], t["target"]) for t in report["targets"]}
    for backend in ("ctranslate2", "transformers-int8", "transformers"):  # the serving overhead, per runtime
        assert (f"http-{backend}", "8 clients vs the same runtime in-process at batch 8") in names
    for backend in ("ctranslate2", "transformers-int8"):
        assert (f"http-{backend}", "8 clients vs the fastest in-process int8 at batch 8") in names
    assert "| marian | baseline |" in proc.stdout  # the table was printed


# ----------------------------------------------------------------------------------------------
# the -real models: random weights at the real config.json, with the real tokenizer files

REAL_FIXTURES = ("bart-large-cnn", "kobart", "opus-mt-ko-en")
SHAPE_KEYS = ("d_model", "encoder_layers", "decoder_layers", "encoder_attention_heads", "encoder_ffn_dim",
              "vocab_size", "max_position_embeddings", "pad_token_id", "eos_token_id", "decoder_start_token_id")


@pytest.mark.parametrize("fixture", REAL_FIXTURES)
def test_real_builder_gives_the_fixtures_full_shape(fixture: str, tmp_path: Path) -> None:
    """What bench.speed builds at full size: the fixture's config, read back by AutoConfig, gives a model of
    the real width, depth and vocabulary (built on the meta device: shapes only, no memory)."""
    import torch
    from transformers import AutoConfig, AutoModelForSeq2SeqLM

    from tests.real_models import FIXTURES, real_config, write_real_folder

    real = real_config(fixture)
    written = write_real_folder(fixture, tmp_path)
    assert written == real
    assert (tmp_path / "config.json").read_text(encoding="utf-8") == json.dumps(real, indent=2)
    for f in (FIXTURES / fixture).iterdir():  # the real tokenizer files, byte for byte
        if f.name != "config.json":
            assert (tmp_path / f.name).read_bytes() == f.read_bytes(), f.name
    config = AutoConfig.from_pretrained(tmp_path)
    for key in SHAPE_KEYS:
        assert getattr(config, key) == real[key], key
    with torch.device("meta"):
        model = AutoModelForSeq2SeqLM.from_config(config)
    assert len(model.model.encoder.layers) == real["encoder_layers"]
    assert len(model.model.decoder.layers) == real["decoder_layers"]
    assert tuple(model.get_input_embeddings().weight.shape) == (real["vocab_size"], real["d_model"])
    assert tuple(model.lm_head.weight.shape) == (real["vocab_size"], real["d_model"])


@pytest.mark.parametrize("fixture", REAL_FIXTURES)
def test_real_builder_model_loads_through_the_service(fixture: str, tmp_path: Path) -> None:
    """The builder's weights, at a reduced width and depth (the test only; the bench builds full size): the
    folder loads with transformers and through the service's own loading (KoBART framed <s> ... </s> by the
    service), vocabulary and special ids are the fixture's, and </s> and <pad> are suppressed, so a
    forced length is decoded in full."""
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    from bench.speed import SUPPRESS, build_real
    from models.inference.registry import spec_for
    from models.inference.seq2seq import GenerationSettings, Seq2SeqModel
    from tests.real_models import REDUCED, real_config

    real = real_config(fixture)
    path = build_real(fixture, tmp_path / fixture, overrides=REDUCED)
    model = AutoModelForSeq2SeqLM.from_pretrained(path).eval()
    for key in ("vocab_size", "max_position_embeddings", "pad_token_id", "eos_token_id", "decoder_start_token_id"):
        assert getattr(model.config, key) == real[key], key
    assert model.config.d_model == REDUCED["d_model"]
    assert model.get_input_embeddings().weight.shape[0] == real["vocab_size"]
    for token in (real["eos_token_id"], real["pad_token_id"]):
        assert model.final_logits_bias[0, token].item() == SUPPRESS
    assert len(AutoTokenizer.from_pretrained(path)) >= 30000  # the real (or padded) vocabulary, not a tiny one
    lang = "en" if fixture == "bart-large-cnn" else "ko"
    text = "The council approved the budget on Monday." if lang == "en" else "정부는 5일 새 정책을 발표했다."
    pair = ("translate", "en-ko" if lang == "en" else "ko-en")
    served = Seq2SeqModel(path, spec_for(str(path), pair, path))
    assert served.frame == (([0], [1]) if fixture == "kobart" else ([], []))
    assert served.max_input_tokens == min(real["max_position_embeddings"], served.tokenizer.model_max_length)
    settings = GenerationSettings(num_beams=1, max_new_tokens=8, min_new_tokens=8, no_repeat_ngram_size=0)
    with torch.inference_mode():
        out = served._forward(served._encode([text]), settings)
    assert out.shape[1] == 1 + 8  # the decoder start and 8 new tokens: nothing stopped early


def test_real_inputs_are_one_sentence_within_the_limit() -> None:
    """The -real inputs: Korean for KoBART, English for bart-large-cnn, each one sentence to the service and
    within its 600-character sentence limit, so a request is one model input."""
    from transformers import AutoTokenizer

    from bench.speed import make_inputs
    from models.text.sentences import MAX_SENTENCE, SentenceSplitter
    from tests.real_models import FIXTURES

    splitter = SentenceSplitter()
    for fixture, lang in (("kobart", "ko"), ("bart-large-cnn", "en")):
        tok = AutoTokenizer.from_pretrained(FIXTURES / fixture)
        texts = make_inputs(tok, 400, 3, lang, max_chars=MAX_SENTENCE)
        assert len(set(texts)) == 3
        for text in texts:
            assert len(text) <= MAX_SENTENCE
            assert len(splitter.split(text, lang)) == 1
            n = len(tok(text)["input_ids"])
            assert (150 if lang == "ko" else 60) <= n <= 400, (fixture, n)
            assert text.isascii() == (lang == "en")
