"""Tier 3, real configurations: the preset checkpoints' real config and tokenizer files
(``tests/fixtures/real_models/``), random weights, through the service's own loading path.

What is real here: the tokenizers (bart-large-cnn's byte-level BPE, KoBART's 30,000-piece
``tokenizer.json``; opus-mt-ko-en's SentencePiece files are not public, so a stand-in padded to its real
vocabulary), the vocabulary sizes, special token ids, position limits (1024, 1026, 512) and generation
settings. What is not: depth and width are reduced (2+2 layers of width 32, ``tests/real_models.py``)
because no test here is about shapes or speed; full-size conversion memory and speed are measured by
``bench.speed`` (docs/speed.md). Models load as configured in production: by hub id from a Hugging
Face cache layout under ``SUMMARIZER_MODELS_DIR`` with the hub offline, and from a plain folder.
"""
from __future__ import annotations

import io
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from models.inference.registry import load_model, resolve, spec_for
from models.inference.seq2seq import Seq2SeqModel, chunk_sentences, with_generation
from tests.real_models import EOS_BIAS, FIXTURES, HUB_IDS, build_real, hub_cache

ROOT = Path(__file__).resolve().parent.parent
SLOTS = {"bart-large-cnn": ("summarize", "en"), "kobart": ("summarize", "ko"),
         "opus-mt-ko-en": ("translate", "ko-en")}
BACKENDS = ["transformers", "ctranslate2"]
EN = "The city council approved the new transit plan on Tuesday, and construction starts next year."
KO = "정부는 5일 새 정책을 발표했다. 시행은 내년부터다."


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> dict[str, Path]:
    """The three models, built once: plain folders, and the same files in a hub cache layout."""
    root = tmp_path_factory.mktemp("real-configs")
    # BART models end as soon as their minimum length allows (see EOS_BIAS); Marian has no minimum
    built = {name: build_real(name, root / "plain" / name, eos_bias=0.0 if name == "opus-mt-ko-en" else EOS_BIAS,
                              plain_words=True)
             for name in SLOTS}
    for name, path in built.items():
        hub_cache(root / "models", name, path)
    return {**built, "models_dir": root / "models"}


@pytest.fixture(scope="module")
def offline():
    mp = pytest.MonkeyPatch()
    mp.setenv("HF_HUB_OFFLINE", "1")
    yield
    mp.undo()


_LOADED: dict[tuple[str, str], Seq2SeqModel] = {}


def _model(real: dict[str, Path], name: str, backend: str) -> Seq2SeqModel:
    """``name`` loaded by hub id from the cache layout (offline), once per backend."""
    key = (name, backend)
    if key not in _LOADED:
        ref = HUB_IDS[name]
        path = resolve(ref, str(real["models_dir"]))
        _LOADED[key] = load_model(path, spec_for(ref, SLOTS[name], path), backend, str(real["models_dir"]))
    return _LOADED[key]


def _reference_ids(real: dict[str, Path], name: str, text: str) -> list[int]:
    """The ids the model card feeds the model, from the tokenizer files with ``tokenizers`` alone."""
    if name == "opus-mt-ko-en":  # MarianTokenizer: pieces, then </s>
        from transformers import MarianTokenizer

        tok = MarianTokenizer.from_pretrained(real[name])
        return tok.convert_tokens_to_ids(tok.tokenize(text)) + [0]
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(FIXTURES / name / "tokenizer.json"))
    body = tok.encode(text, add_special_tokens=False).ids
    if name == "kobart":  # the card: [bos] + tokenizer.encode(text) + [eos]; <s> 0, </s> 1
        return [0] + body + [1]
    return [0] + body + [2]  # bart-large-cnn: <s> 0 ... </s> 2, as its post-processor adds them


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(SLOTS))
def test_special_tokens_as_the_model_card_frames_them(real, offline, name: str, backend: str) -> None:
    """Id by id: KoBART's bare tokenizer adds no <s>/</s>, so the service frames its input as the card does."""
    model = _model(real, name, backend)
    for text in (EN, KO):
        expected = _reference_ids(real, name, text)
        assert model.count_tokens([text]) == [len(expected)]  # what chunking counts
        assert model.input_ids([text]) == [expected], text
        assert model.input_ids([text], truncate=True) == [expected], text


def test_kobart_input_is_framed_for_the_model(real, offline) -> None:
    """What reaches KoBART's encoder under transformers starts with <s> (0) and ends with </s> (1)."""
    model = _model(real, "kobart", "transformers")
    batch = model._encode([KO, "짧다."])
    rows = batch["input_ids"].tolist()
    masks = batch["attention_mask"].tolist()
    for row, mask in zip(rows, masks):
        ids = [i for i, m in zip(row, mask) if m]
        assert ids[0] == 0 and ids[-1] == 1
        assert all(i == 3 for i, m in zip(row, mask) if not m)  # KoBART's pad id, from its config


def test_settings_come_from_the_checkpoint_and_the_card(real) -> None:
    """The checkpoint's generation settings are kept; the registry names only what the card adds."""
    cnn = spec_for(HUB_IDS["bart-large-cnn"], ("summarize", "en"), FIXTURES / "bart-large-cnn").generation
    assert (cnn.num_beams, cnn.max_new_tokens, cnn.min_new_tokens, cnn.no_repeat_ngram_size, cnn.length_penalty) \
        == (4, 141, 55, 3, 2.0)  # generation_config.json: max_length 142, min_length 56 (decoder start counted)
    sources = dict(spec_for(HUB_IDS["bart-large-cnn"], ("summarize", "en"), FIXTURES / "bart-large-cnn")
                   .generation_sources)
    assert sources["min_new_tokens"] == sources["num_beams"] == "generation_config.json"
    kobart = spec_for(HUB_IDS["kobart"], ("summarize", "ko"), FIXTURES / "kobart").generation
    assert (kobart.num_beams, kobart.max_new_tokens, kobart.min_new_tokens) == (4, 128, 20)
    marian = spec_for(HUB_IDS["opus-mt-ko-en"], ("translate", "ko-en"), FIXTURES / "opus-mt-ko-en").generation
    # the 2020 config.json's legacy num_beams 6; 256 new tokens named by the registry
    assert (marian.num_beams, marian.max_new_tokens, marian.no_repeat_ngram_size) == (6, 256, 0)


@pytest.mark.parametrize("name", list(SLOTS))
def test_a_local_folder_finds_its_settings(real, name: str, tmp_path: Path) -> None:
    """The same checkpoint configured as a folder gets the settings its hub id gets."""
    by_id = spec_for(HUB_IDS[name], SLOTS[name], FIXTURES / name)
    folder = tmp_path / "my-model"
    shutil.copytree(FIXTURES / name, folder)
    by_folder = spec_for(str(folder), SLOTS[name], folder)
    assert by_folder.generation == by_id.generation
    assert by_folder.identified_by.startswith(HUB_IDS[name])


def test_a_hub_cache_folder_finds_its_settings(tmp_path: Path) -> None:
    """mT5 XLSum given as its snapshot folder (its config.json names no hub id): 84/10 new tokens, not 142/20."""
    snapshot = tmp_path / "models--csebuetnlp--mT5_multilingual_XLSum" / "snapshots" / ("a" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text(json.dumps({"model_type": "mt5", "vocab_size": 250112}), encoding="utf-8")
    spec = spec_for(str(snapshot), ("summarize", "ko"), snapshot)
    assert (spec.generation.max_new_tokens, spec.generation.min_new_tokens) == (84, 10)
    assert spec.noncommercial


def _new_tokens(model: Seq2SeqModel, texts: list[str], settings) -> list[list[int]]:
    """The tokens each backend generates with ``settings`` through the service's own arguments, the
    forced <s> included, the decoder start and the end token left out."""
    if model.backend == "ctranslate2":
        results = model.model.translate_batch(model.source_tokens(texts, truncate=True),
                                              target_prefix=model._target_prefix(len(texts)),
                                              **model.generate_kwargs(settings))
        return [model._tok.target_ids(r.hypotheses[0]) for r in results]
    out = model._forward(model._encode(texts), settings)
    eos = model.config.eos_token_id
    rows = []
    for row in out.tolist():
        row = row[1:]  # the decoder start token
        rows.append(row[: row.index(eos)] if eos in row else row)
    return rows


@pytest.fixture()
def transformers_log():
    """What transformers logs (its warnings go to its own logger)."""
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    logger = logging.getLogger("transformers")
    logger.addHandler(handler)
    yield buf
    logger.removeHandler(handler)


@pytest.mark.parametrize("backend", BACKENDS)
def test_generation_uses_the_checkpoint_lengths_without_warning(real, offline, transformers_log,
                                                                 backend: str) -> None:
    """bart-large-cnn with </s> favoured: every output is exactly its min_length (56 with the decoder
    start, so 55 new tokens); a length named on purpose wins, and transformers warns of neither."""
    model = _model(real, "bart-large-cnn", backend)
    settings = model.clamp(None)
    assert all(len(row) == 55 for row in _new_tokens(model, [EN, KO], settings))
    named = with_generation(model.spec, min_new_tokens=12).generation
    assert all(len(row) == 12 for row in _new_tokens(model, [EN], named))
    assert "take precedence" not in transformers_log.getvalue()
    # KoBART's lengths are the registry's (its checkpoint has none): 20 new tokens at least
    kobart = _model(real, "kobart", backend)
    assert all(len(row) == 20 for row in _new_tokens(kobart, [KO], kobart.clamp(None)))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name,lang", [("bart-large-cnn", "en"), ("kobart", "ko")])
def test_chunks_fit_the_real_position_limit(real, offline, backend: str, name: str, lang: str) -> None:
    model = _model(real, name, backend)
    assert model.max_input_tokens == json.loads((FIXTURES / name / "config.json").read_text())[
        "max_position_embeddings"]
    rows = [json.loads(line) for line in open(ROOT / "tests" / "data" / "ntrex_ko_en.jsonl", encoding="utf-8")]
    sentences = [r[lang] for r in rows][:120]
    chunks = chunk_sentences(sentences, model)
    counts = model.count_tokens(chunks)
    assert len(chunks) > 1 and max(counts) <= model.max_input_tokens
    assert max(counts) > model.max_input_tokens * 0.8  # the limit is the real one, and used
    # nothing is cut when the chunks are encoded: truncation only guards the model
    assert model.input_ids(chunks, truncate=True) == model.input_ids(chunks)
    assert " ".join(chunks).split() == " ".join(sentences).split()


def _settings(real: dict[str, Path], backend: str):
    from service import Settings

    return Settings(models_dir=str(real["models_dir"]), backend=backend, torch_threads=1,
                    max_body_bytes=256 * 1024, max_text_chars=50_000,
                    model_summarize_en=HUB_IDS["bart-large-cnn"], model_summarize_ko=HUB_IDS["kobart"],
                    model_translate_ko_en=HUB_IDS["opus-mt-ko-en"], max_chars_en=2000, max_chars_ko=2000)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_service_answers_in_process(real, offline, engine, backend: str, ko_article: str,
                                        en_article: str) -> None:
    from service import create_app
    from service.runtime import build_engine

    settings = _settings(real, backend)
    client = create_app(settings, engine=build_engine(settings, base=engine)).test_client()
    en = client.post("/v1/summarize", json={"text": en_article, "method": "abstractive"})
    assert en.status_code == 200, en.get_data(as_text=True)
    assert en.get_json()["models"]["summarize"] == HUB_IDS["bart-large-cnn"] and en.get_json()["bullets"]
    ko = client.post("/v1/summarize", json={"text": ko_article, "target_lang": "en", "method": "abstractive"})
    assert ko.status_code == 200, ko.get_data(as_text=True)
    assert ko.get_json()["models"] == {"summarize": HUB_IDS["kobart"], "translate": HUB_IDS["opus-mt-ko-en"]}
    models = {m["model_id"]: m for m in client.get("/v1/models").get_json()["models"] if m["kind"] == "seq2seq"}
    assert set(models) == {HUB_IDS["bart-large-cnn"], HUB_IDS["kobart"], HUB_IDS["opus-mt-ko-en"]}
    assert {m["backend"] for m in models.values()} == {backend}


def test_the_service_answers_over_http(real, offline, ko_article: str, en_article: str) -> None:
    """A real gunicorn server with CTranslate2 (the int8 runtime auto runs on Intel CPUs, and on AMD
    ones where memory is short: models/inference/auto.py), loading by hub id from SUMMARIZER_MODELS_DIR
    with the hub offline."""
    import requests

    from bench.server import start_server, stop_server

    settings = _settings(real, "ctranslate2")
    env = {"HF_HUB_OFFLINE": "1", "SUMMARIZER_MODELS_DIR": settings.models_dir, "SUMMARIZER_BACKEND": "ctranslate2",
           "SUMMARIZER_MODEL_SUMMARIZE_EN": settings.model_summarize_en,
           "SUMMARIZER_MODEL_SUMMARIZE_KO": settings.model_summarize_ko,
           "SUMMARIZER_MODEL_TRANSLATE_KO_EN": settings.model_translate_ko_en,
           "SUMMARIZER_MAX_CHARS_EN": "2000", "SUMMARIZER_MAX_CHARS_KO": "2000"}
    proc, base = start_server(env)
    try:
        en = requests.post(f"{base}/v1/summarize", json={"text": en_article, "method": "abstractive"}, timeout=120)
        assert en.status_code == 200, en.text
        ko = requests.post(f"{base}/v1/summarize", json={"text": ko_article, "target_lang": "en"}, timeout=120)
        assert ko.status_code == 200 and ko.json()["method"] == "abstractive", ko.text
        tr = requests.post(f"{base}/v1/translate", json={"text": KO, "target_lang": "en"}, timeout=120)
        assert tr.status_code == 200 and len(tr.json()["sentences"]) == 2, tr.text
        models = requests.get(f"{base}/v1/models", timeout=30).json()["models"]
        assert {m["backend"] for m in models if m["kind"] == "seq2seq"} == {"ctranslate2"}
    finally:
        stop_server(proc)


def test_models_check_reports_each_model(real) -> None:
    """`python -m service models check` loads the configured models offline and reports what they run with."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1",
           "SUMMARIZER_MODELS_DIR": str(real["models_dir"]), "SUMMARIZER_BACKEND": "ctranslate2",
           "SUMMARIZER_MODEL_SUMMARIZE_KO": HUB_IDS["kobart"],
           "SUMMARIZER_MODEL_SUMMARIZE_EN": str(real["bart-large-cnn"])}
    proc = subprocess.run([sys.executable, "-m", "service", "models", "check"], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-3000:]
    out = proc.stdout
    assert "gogamza/kobart-summarization" in out and "backend ctranslate2" in out
    assert "input frame: <s> (0) … </s> (1)" in out  # KoBART, framed by the service
    assert "max_new_tokens 141 (generation_config.json)" in out  # bart-large-cnn as a folder, identified
    assert "position limit 1026" in out and "position limit 1024" in out
    assert "s/request" in out and "MB" in out
    # a setting that is off is named
    env["SUMMARIZER_MODEL_SUMMARIZE_EN"] = "facebook/not-downloaded"
    proc = subprocess.run([sys.executable, "-m", "service", "models", "check", "facebook/not-downloaded"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert "facebook/not-downloaded" in proc.stdout + proc.stderr and "models download" in proc.stdout + proc.stderr


def test_the_tests_use_the_real_files() -> None:
    """The fixtures are the real files (a guard against a fixture edited by hand)."""
    cnn = json.loads((FIXTURES / "bart-large-cnn" / "config.json").read_text())
    assert (cnn["vocab_size"], cnn["max_position_embeddings"], cnn["decoder_start_token_id"],
            cnn["forced_bos_token_id"], cnn["d_model"], cnn["encoder_layers"]) == (50264, 1024, 2, 0, 1024, 12)
    kobart = json.loads((FIXTURES / "kobart" / "config.json").read_text())
    assert (kobart["vocab_size"], kobart["max_position_embeddings"], kobart["pad_token_id"]) == (30000, 1026, 3)
