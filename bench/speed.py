"""Inference speed: the service's runtimes beside the plain transformers baseline, in one run.

    python -m bench.speed                      # full: opus-mt-ko-en and bart-large-cnn sizes
    python -m bench.speed --model marian       # one family
    python -m bench.speed --model kobart-real  # random weights at a real checkpoint's config, real tokenizer
    python -m bench.speed --quick --out DIR    # tiny models, a few requests: a smoke test for CI

Models are random-weight Marian (opus-mt-ko-en shape) and BART (bart-large-cnn shape) built here,
with tokenizers trained on the test corpus and their vocabularies padded to the real sizes, so the
matrix shapes, and therefore the work, are those of the real checkpoints. Every runtime does the
same work: one Korean sentence of about 400 tokens in, greedy decoding (num_beams=1) of exactly 64
new tokens out (min=max=64; the end-of-sequence and pad logits carry a -1e4 bias in the saved
weights, so nothing stops early, and in-process runtimes count the tokens they produced).

The ``-real`` models (``bart-real``, ``kobart-real``, ``marian-real``) are random weights built from the
REAL ``config.json`` and tokenizer files in ``tests/fixtures/real_models/`` (opus-mt's SentencePiece files
are not public: the tests' stand-in, padded to the real vocabulary) (AutoConfig -> from_config,
seed 0, weights saved beside the real config and tokenizer files), at full size: the service loads the
folder as it would the downloaded checkpoint, KoBART's ``<s> ... </s>`` input framing included
(models.inference.seq2seq.input_frame; the baseline frames it as KoBART's model card does). Their
input is one sentence of news-corpus words: Korean for KoBART and opus-mt, English for bart-large-cnn,
as long as the service keeps it one sentence (600 characters, models.text.sentences.MAX_SENTENCE):
about 260 KoBART tokens, about 100 bart-large-cnn tokens. Same 64 forced new tokens, a smaller plan.

Rows:
  baseline           transformers AutoModelForSeq2SeqLM.generate(), fp32, one request at a time (batch 1),
                     and the stronger baseline: the same generate() on a batch of 8 ("x base b8")
  ctranslate2-int8   models.inference.ct2.CT2Model (int8), batch 1 and 8, in-process
  torch-qint8        torch dynamic int8 quantization of the Linear layers, batch 1 and 8, in-process
  http-ctranslate2 / http-transformers-int8 / http-transformers
                     this service (gunicorn, /v1/translate) at 1, 4, 8, 16 concurrent clients,
                     result cache off, dynamic batching on; each level is warmed by one untimed round
                     (every client one request), as each in-process row is by one untimed call
  extractive         /v1/summarize with no model configured, 8 clients, samples/ko.txt and en.txt
  baseline-end       the baseline again, after the others: ratios ("x base") are against the mean of
                     the two, and their ratio is reported as the machine's drift during the run

Each in-process row runs in a fresh subprocess; peak RSS is polled with psutil (every 50 ms) over
the processes doing the work: that subprocess, or the gunicorn master and its workers; peak PSS
(shared pages split between the processes sharing them) is polled the same way every 500 ms. Threads:
torch.set_num_threads / CTranslate2 intra_threads = cores available // worker processes (in-process
rows count as one worker), so the cores are never oversubscribed.

The service decides decoding settings in models/inference/registry.py (an unknown local model gets the
translation defaults: 4 beams, up to 256 tokens). So that the served model does the same work as
the other rows, the server is started with a ``sitecustomize`` (written into the work folder and
put first on PYTHONPATH) that adds the benchmark model to ``models.inference.registry.KNOWN_MODELS`` with the
benchmark's settings, the way a known checkpoint gets its own; no serving code is changed.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from bench.load import CpuWatch, MemoryMonitor, closed_loop, cores, percentile

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
SUPPRESS = -1e4  # logit bias on </s> and <pad>: every runtime decodes the full length


@dataclass(frozen=True)
class Size:
    family: str  # "marian" | "bart"
    d_model: int
    layers: int
    heads: int
    ffn: int
    vocab: int  # 0: the trained tokenizer's own size
    max_positions: int
    # Pieces the tokenizer is trained to, then padded to ``vocab``. Small, so Korean comes out at
    # about one token per character: a 400-token sentence stays under the sentence splitter's
    # 600-character window (models.text.sentences.MAX_SENTENCE) and reaches the model as one input.
    spm_vocab: int


FULL_SIZES = {
    # Helsinki-NLP/opus-mt-ko-en: d_model 512, 6+6 layers, 8 heads, ffn 2048, vocab 65001, 512 positions
    "marian": Size("marian", 512, 6, 8, 2048, 65001, 512, 1000),
    # facebook/bart-large-cnn: d_model 1024, 12+12 layers, 16 heads, ffn 4096, vocab 50264, 1024 positions
    "bart": Size("bart", 1024, 12, 16, 4096, 50264, 1024, 1000),
}
QUICK_SIZES = {
    "marian": Size("marian", 64, 2, 2, 128, 0, 512, 1000),
    "bart": Size("bart", 64, 2, 2, 128, 0, 512, 1000),
}


@dataclass(frozen=True)
class Plan:
    """How much work each row does for one model."""

    in_tokens: int
    out_tokens: int
    b1_calls: int  # in-process batch-1 requests (baseline and the others)
    b8_calls: int  # in-process batch-8 calls
    http_min: int  # HTTP requests at least, per level
    http_rounds: int  # requests per client, per level (at least)


FULL_PLANS = {
    "marian": Plan(400, 64, b1_calls=10, b8_calls=3, http_min=8, http_rounds=2),
    "bart": Plan(400, 64, b1_calls=3, b8_calls=2, http_min=4, http_rounds=2),
}
QUICK_PLAN = Plan(100, 16, b1_calls=3, b8_calls=1, http_min=2, http_rounds=1)


@dataclass(frozen=True)
class RealModel:
    """A ``--model`` choice built from a real checkpoint's files in tests/fixtures/real_models/."""

    fixture: str  # folder name there (tests.real_models.HUB_IDS)
    lang: str  # the input's language: "ko" or "en"


REAL_MODELS = {
    "marian-real": RealModel("opus-mt-ko-en", "ko"),
    "kobart-real": RealModel("kobart", "ko"),
    "bart-real": RealModel("bart-large-cnn", "en"),
}
# in_tokens is an upper bound here: the 600-character sentence limit binds first (see the module doc)
REAL_PLANS = {
    "marian-real": Plan(400, 64, b1_calls=10, b8_calls=3, http_min=8, http_rounds=1),
    "kobart-real": Plan(400, 64, b1_calls=5, b8_calls=2, http_min=4, http_rounds=1),
    "bart-real": Plan(400, 64, b1_calls=3, b8_calls=2, http_min=4, http_rounds=1),
}
LEVELS = (1, 4, 8, 16)
# the service's backends measured over HTTP, and the in-process row of the same runtime at batch 8
HTTP_BACKENDS = ("ctranslate2", "transformers-int8", "transformers")
SAME_RUNTIME = {"ctranslate2": "ctranslate2-int8", "transformers-int8": "torch-qint8", "transformers": "baseline"}
BATCH = 8

# ----------------------------------------------------------------------------------------------
# models and inputs


def _corpus() -> list[str]:
    from tests.tiny_models import corpus

    return corpus()


def _train_spm(path: Path, vocab_size: int) -> None:
    from tests.tiny_models import _train_spm as train  # the test models' recipe, at another size

    train(path, vocab_size, unk_id=1, bos_id=-1, eos_id=0, pad_id=-1)


def _dims(size: Size) -> dict[str, int]:
    """The config fields that give a Marian or BART model ``size``'s shape."""
    return {"d_model": size.d_model, "encoder_layers": size.layers, "decoder_layers": size.layers,
            "encoder_attention_heads": size.heads, "decoder_attention_heads": size.heads,
            "encoder_ffn_dim": size.ffn, "decoder_ffn_dim": size.ffn, "max_position_embeddings": size.max_positions}


def _pad_vocab(vocab: dict[str, int], size: int, marker: str) -> None:
    """Add made-up pieces (never produced by the tokenizer, but real rows of the matrices)."""
    i = 0
    while len(vocab) < size:
        piece = f"{marker}v{i}"
        i += 1
        if piece not in vocab:
            vocab[piece] = len(vocab)


def _suppress(model: Any, ids: list[int]) -> None:
    import torch

    with torch.no_grad():
        for i in ids:
            model.final_logits_bias[0, i] = SUPPRESS


def build_marian(out: Path, size: Size) -> Path:
    """Marian like opus-mt-ko-en: shared sentencepiece vocabulary, tied embeddings, swish."""
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    out.mkdir(parents=True, exist_ok=True)
    _train_spm(out / "source.spm", size.spm_vocab)
    (out / "target.spm").write_bytes((out / "source.spm").read_bytes())
    import sentencepiece as spm

    proc = spm.SentencePieceProcessor(model_file=str(out / "source.spm"))
    vocab = {"</s>": 0, "<unk>": 1}
    for i in range(proc.get_piece_size()):
        vocab.setdefault(proc.id_to_piece(i), len(vocab))
    if size.vocab:
        _pad_vocab(vocab, size.vocab - 1, "\u2581")
    vocab["<pad>"] = len(vocab)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tok = MarianTokenizer(str(out / "source.spm"), str(out / "target.spm"), str(out / "vocab.json"),
                          model_max_length=size.max_positions)
    tok.save_pretrained(out)
    torch.manual_seed(0)
    config = MarianConfig(
        vocab_size=len(vocab), **_dims(size), activation_function="swish", pad_token_id=vocab["<pad>"],
        eos_token_id=0, decoder_start_token_id=vocab["<pad>"],
        scale_embedding=True, share_encoder_decoder_embeddings=True,
    )
    model = MarianMTModel(config).eval()
    _suppress(model, [0, vocab["<pad>"]])
    model.save_pretrained(out)
    _card(out, "apache-2.0")
    return out


def build_bart(out: Path, size: Size) -> Path:
    """BART like bart-large-cnn: byte-level BPE, learned positions, <s> forced first."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizer

    out.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(_corpus(), vocab_size=size.spm_vocab, min_frequency=1,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    bpe.save_model(str(out))
    if size.vocab:
        vocab = json.loads((out / "vocab.json").read_text(encoding="utf-8"))
        _pad_vocab(vocab, size.vocab, "\u0120")
        (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    tok = BartTokenizer(vocab=str(out / "vocab.json"), merges=str(out / "merges.txt"),
                        model_max_length=size.max_positions)
    tok.save_pretrained(out)
    torch.manual_seed(0)
    config = BartConfig(
        vocab_size=len(tok), **_dims(size), pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, decoder_start_token_id=tok.eos_token_id,
        forced_bos_token_id=tok.bos_token_id,
    )
    model = BartForConditionalGeneration(config).eval()
    _suppress(model, [tok.eos_token_id, tok.pad_token_id])
    model.save_pretrained(out)
    _card(out, "mit")
    return out


def _card(out: Path, licence: str) -> None:
    (out / "README.md").write_text(f"---\nlicense: {licence}\n---\n# random-weight benchmark model\n",
                                   encoding="utf-8")


def build_real(fixture: str, out: Path, overrides: dict[str, int] | None = None, seed: int = 0) -> Path:
    """Random weights at the real config of ``fixture``, with its real tokenizer files: AutoConfig from
    the folder, AutoModelForSeq2SeqLM.from_config with a fixed seed, </s> and <pad> suppressed, the
    weights saved (save_pretrained) into the folder beside the real files."""
    import torch
    from transformers import AutoConfig, AutoModelForSeq2SeqLM

    from tests.real_models import HUB_IDS, LICENCES, save_weights, write_real_folder

    config = write_real_folder(fixture, out, overrides)
    torch.manual_seed(seed)
    model = AutoModelForSeq2SeqLM.from_config(AutoConfig.from_pretrained(out)).eval()
    _suppress(model, sorted({config["eos_token_id"], config["pad_token_id"]}))
    save_weights(model, out)
    (out / "README.md").write_text(f"---\nlicense: {LICENCES[fixture]}\n---\n# random weights at the real config "
                                   f"of {HUB_IDS[fixture]} (benchmark model)\n", encoding="utf-8")
    return out


def ensure_real(work: Path, name: str) -> Path:
    """The ``-real`` model ``name`` under ``work``, built once (keyed by the fixture's config file)."""
    import hashlib

    from tests.real_models import FIXTURES

    fixture = REAL_MODELS[name].fixture
    digest = hashlib.sha256((FIXTURES / fixture / "config.json").read_bytes()).hexdigest()[:12]
    out = work / "models" / f"real-{fixture}-{digest}"
    if (out / "built.json").is_file():
        return out
    t0 = time.perf_counter()
    build_real(fixture, out)
    (out / "built.json").write_text(json.dumps({"fixture": fixture, "seed": 0, "suppress": SUPPRESS}),
                                    encoding="utf-8")
    log(f"built {name} ({fixture}, real config, random weights) in {time.perf_counter() - t0:.0f} s")
    return out


def ensure_model(work: Path, size: Size) -> Path:
    """The model for ``size`` under ``work``, built once (a finished build leaves a stamp)."""
    key = "-".join(str(v) for v in asdict(size).values())
    out = work / "models" / key
    if (out / "built.json").is_file():
        return out
    t0 = time.perf_counter()
    (build_marian if size.family == "marian" else build_bart)(out, size)
    (out / "built.json").write_text(json.dumps(asdict(size)), encoding="utf-8")
    log(f"built {size.family} {key} in {time.perf_counter() - t0:.0f} s")
    return out


def korean_words() -> list[str]:
    """Hangul words from the corpus that do not end a sentence, so a list of them stays one sentence."""
    words: set[str] = set()
    for line in _corpus():
        for w in line.split():
            w = w.strip(".,!?\"'()[]\u201c\u201d\u2018\u2019\u00b7")
            if re.fullmatch(r"[\uac00-\ud7a3]{2,}", w) and not w.endswith(("다", "요", "까", "죠", "음", "함", "임")):
                words.add(w)
    return sorted(words)


def english_words() -> list[str]:
    """Lower-case English words from the corpus (its English lines: news sentences and the samples)."""
    words: set[str] = set()
    for line in _corpus():
        if line.isascii():
            words.update(w for w in line.split() if re.fullmatch(r"[a-z]{2,}", w))
    return sorted(words)


def make_inputs(tokenizer: Any, n_tokens: int, count: int, lang: str = "ko",
                max_chars: int | None = None) -> list[str]:
    """``count`` different texts in ``lang`` of about ``n_tokens`` tokens that the service reads as one
    sentence; with ``max_chars``, of at most that many characters too (whichever limit comes first)."""
    import random

    from models.text.sentences import SentenceSplitter

    splitter = SentenceSplitter()
    words = korean_words() if lang == "ko" else english_words()
    ending = " 등이 발표됐다." if lang == "ko" else " were announced."
    texts: list[str] = []
    for variant in range(100 * count):
        rng = random.Random(variant)
        parts: list[str] = []
        while True:
            word = rng.choice(words)
            candidate = parts + [word + ("," if len(parts) % 7 == 6 else "")]
            trial = " ".join(candidate) + ending
            if (max_chars and len(trial) > max_chars) or len(tokenizer(trial)["input_ids"]) > n_tokens:
                break
            parts = candidate
        text = " ".join(parts) + ending
        if lang == "en":
            text = text[0].upper() + text[1:]
        if len(splitter.split(text, lang)) == 1:  # one sentence: one generate call per request
            texts.append(text)
        if len(texts) == count:
            return texts
    raise RuntimeError(f"could not build {count} one-sentence inputs of {n_tokens} tokens")


def convert_ct2(path: Path, models_dir: Path) -> Path:
    """Convert once, where the service looks (``SUMMARIZER_MODELS_DIR/ctranslate2``)."""
    from models.inference.ct2 import convert
    from models.inference.registry import ct2_cache_dir

    t0 = time.perf_counter()
    out = convert(path, ct2_cache_dir(str(models_dir)), "int8")
    log(f"CTranslate2 int8 model ready in {time.perf_counter() - t0:.0f} s: {out.name}")
    return out


# ----------------------------------------------------------------------------------------------
# measurement helpers


def log(message: str) -> None:
    print(f"[speed {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def wait_quiet(max_wait: float, limit_pct: float = 10.0) -> None:
    """Wait, at most ``max_wait`` s, until other processes use under ``limit_pct`` % of the CPUs."""
    if max_wait <= 0:
        return
    deadline = time.monotonic() + max_wait
    while True:
        watch = CpuWatch()
        time.sleep(2)
        pct = watch.shares()[0]
        if pct < limit_pct:
            return
        if time.monotonic() >= deadline:
            log(f"other processes still use {pct:.0f}% of the CPUs: measuring anyway (see others_cpu_pct)")
            return
        log(f"other processes use {pct:.0f}% of the CPUs: waiting")


def quietly(measure: Callable[[], T], what: str, args: argparse.Namespace) -> tuple[T, float, float]:
    """``measure()``, with the share of the CPUs other processes took meanwhile (and the stolen share).

    The machine may be shared: when others took more than ``--max-others-pct``, measure again (up to
    ``--retries`` times) and keep the least disturbed attempt; every row reports its share.
    """
    best: tuple[T, float, float] | None = None
    for attempt in range(args.retries + 1):
        wait_quiet(args.max_wait_s)
        watch = CpuWatch()
        result = measure()
        others, steal = watch.shares()
        if best is None or others < best[1]:
            best = (result, others, steal)
        if others <= args.max_others_pct:
            break
        if attempt < args.retries:
            log(f"  {what}: other processes took {others:.0f}% of the CPUs meanwhile: measuring again")
    assert best is not None
    return best


# ----------------------------------------------------------------------------------------------
# in-process rows (each in its own subprocess: ``python -m bench.speed --worker JSON``)


def _hf_new_tokens(row: Any, eos: int, pad: int) -> int:
    n = 0
    for t in row[1:].tolist():  # [0] is the decoder start
        if t == pad:
            continue
        n += 1
        if t == eos:
            break
    return n


class _CountingTranslator:
    """Wraps a ctranslate2.Translator and counts the tokens its hypotheses hold."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.tokens = 0

    def translate_batch(self, source: Any, **kwargs: Any) -> Any:
        results = self.inner.translate_batch(source, **kwargs)
        self.tokens += sum(len(r.hypotheses[0]) for r in results)
        return results


def worker(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    """Load one runtime; per job, warm up and time ``calls`` calls of ``batch`` inputs; return the numbers."""
    t_load = time.perf_counter()
    import torch

    threads = cfg["threads"]
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    path, runtime, n_out = cfg["path"], cfg["runtime"], cfg["out_tokens"]
    texts: list[str] = cfg["texts"]

    if runtime in ("baseline", "torch-qint8"):
        # what a user would write: AutoModelForSeq2SeqLM.generate(), one call per request
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForSeq2SeqLM.from_pretrained(path).eval()
        if runtime == "torch-qint8":
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        eos, pad = model.config.eos_token_id, model.config.pad_token_id
        # BART reads <s> ... </s>: KoBART's tokenizer adds neither and has no pad token, so its model
        # card frames the ids by hand ([bos] + ids + [eos]); the other tokenizers frame and pad themselves
        probe = tok("a")["input_ids"]
        bart = model.config.model_type == "bart"
        head = [model.config.bos_token_id] if bart and probe[:1] != [model.config.bos_token_id] else []
        tail = [eos] if bart and probe[-1:] != [eos] else []

        def encode(batch_texts: list[str]) -> Any:
            if not head and not tail and tok.pad_token is not None:
                return tok(batch_texts, return_tensors="pt", padding=True)
            ids = [head + tok(t)["input_ids"] + tail for t in batch_texts]
            width = max(len(x) for x in ids)
            return {"input_ids": torch.tensor([x + [pad] * (width - len(x)) for x in ids]),
                    "attention_mask": torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in ids])}

        def call(batch_texts: list[str], n: int) -> tuple[int, list[str]]:
            with torch.inference_mode():
                enc = encode(batch_texts)
                # no_repeat_ngram_size 0 as in every row (bart-large-cnn's generation_config.json says 3)
                out = model.generate(**enc, num_beams=1, do_sample=False, min_new_tokens=n, max_new_tokens=n,
                                     no_repeat_ngram_size=0)
            return sum(_hf_new_tokens(r, eos, pad) for r in out), tok.batch_decode(out, skip_special_tokens=True)
    elif runtime == "ctranslate2-int8":
        # the service's CTranslate2 model class, with its tokenization and decoding around translate_batch
        from models.inference.ct2 import CT2Model
        from models.inference.registry import ct2_cache_dir, spec_for
        from models.inference.seq2seq import GenerationSettings

        spec = spec_for(path, ("translate", cfg.get("pair", "ko-en")), Path(path))
        m = CT2Model(path, spec, ct2_cache_dir(cfg["models_dir"]), threads=threads)
        counter = _CountingTranslator(m.model)
        m.model = counter

        def call(batch_texts: list[str], n: int) -> tuple[int, list[str]]:
            settings = GenerationSettings(num_beams=1, max_new_tokens=n, min_new_tokens=n, no_repeat_ngram_size=0,
                                          batch_size=len(batch_texts))
            before = counter.tokens
            outs = m.generate(batch_texts, settings)
            return counter.tokens - before, outs
    elif runtime in ("torch-qint8-service", "torch-qint8-service-split"):
        # the service's torch int8 model class. "-service": as the service runs it, loading and
        # generating on its one torch thread (models.inference.torch_thread); "-split": generate()
        # called on a thread of its own instead, the model loaded on the torch thread, so that two
        # threads start OpenMP work (the service before torch_thread)
        from concurrent.futures import ThreadPoolExecutor

        from models.inference.registry import spec_for
        from models.inference.seq2seq import GenerationSettings, QuantizedSeq2SeqModel

        qm = QuantizedSeq2SeqModel(path, spec_for(path, ("translate", cfg.get("pair", "ko-en")), Path(path)))
        q_eos, q_pad = qm.model.config.eos_token_id, qm.model.config.pad_token_id
        counted = [0]
        inner_generate = qm._generate

        def counting_generate(batch: dict[str, Any], settings: GenerationSettings) -> Any:
            out = inner_generate(batch, settings)
            counted[0] += sum(_hf_new_tokens(r, q_eos, q_pad) for r in out)
            return out

        if runtime.endswith("-split"):
            qm._forward = counting_generate  # type: ignore[method-assign]
        else:
            qm._generate = counting_generate  # type: ignore[method-assign]
        caller = ThreadPoolExecutor(max_workers=1)  # the batcher's thread, as in the service

        def call(batch_texts: list[str], n: int) -> tuple[int, list[str]]:
            settings = GenerationSettings(num_beams=1, max_new_tokens=n, min_new_tokens=n, no_repeat_ngram_size=0,
                                          batch_size=len(batch_texts))
            before = counted[0]
            outs = caller.submit(qm.generate, batch_texts, settings).result()
            return counted[0] - before, outs
    else:
        raise SystemExit(f"unknown runtime {runtime}")
    load_s = time.perf_counter() - t_load

    results = []
    for job in cfg["jobs"]:
        batch = job["batch"]
        call([texts[i % len(texts)] for i in range(batch)], min(8, n_out))  # warm-up, not timed
        latencies: list[float] = []
        tokens = 0
        switches = resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw  # context switches while timed
        t0 = time.perf_counter()
        for i in range(job["calls"]):
            batch_texts = [texts[(i * batch + j) % len(texts)] for j in range(batch)]
            s = time.perf_counter()
            k, outs = call(batch_texts, n_out)
            latencies.append(time.perf_counter() - s)
            tokens += k
            if len(outs) != len(batch_texts) or not all(outs):
                raise RuntimeError("missing outputs")
        results.append({"batch": batch, "requests": job["calls"] * batch, "tokens": tokens,
                        "seconds": time.perf_counter() - t0, "latencies": latencies, "load_s": load_s,
                        "voluntary_switches": resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw - switches})
    return results


def worker_cfg(runtime: str, jobs: list[tuple[int, int]], ctx: dict[str, Any]) -> dict[str, Any]:
    """What :func:`worker` is told for ``runtime`` running ``jobs`` (batch, calls) on ``ctx``'s model."""
    return {"runtime": runtime, "jobs": [{"batch": b, "calls": c} for b, c in jobs], "path": str(ctx["path"]),
            "models_dir": str(ctx["models_dir"]), "texts": ctx["texts"], "out_tokens": ctx["plan"].out_tokens,
            "threads": ctx["threads"], "pair": ctx["pair"]}


def run_worker(cfg: dict[str, Any], env_extra: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """:func:`worker` in a fresh process (``python -m bench.speed --worker JSON``), with ``env_extra``
    added to its environment; its result per job."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": str(cfg["threads"]), **(env_extra or {})}
    proc = subprocess.run([sys.executable, "-m", "bench.speed", "--worker", json.dumps(cfg)], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        jobs = [(j["batch"], j["calls"]) for j in cfg["jobs"]]
        raise RuntimeError(f"{cfg['runtime']} {jobs} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_inprocess(runtime: str, jobs: list[tuple[int, int]], ctx: dict[str, Any]) -> list[dict[str, Any]]:
    """One fresh process for ``runtime`` running ``jobs`` (batch, calls) in turn; a row per job."""
    cfg = worker_cfg(runtime, jobs, ctx)

    def measure() -> tuple[list[dict[str, Any]], float, float]:
        with MemoryMonitor() as mon:
            results = run_worker(cfg)
        return results, mon.peak_mb, mon.peak_pss_mb

    (results, peak_mb, peak_pss_mb), others, steal = quietly(measure, runtime, ctx["args"])
    rows = []
    for res in results:
        lat = res["latencies"]
        rows.append({
            "runtime": runtime, "mode": "in-process", "batch": res["batch"], "clients": 1,
            "requests": res["requests"], "tokens": res["tokens"], "tokens_counted": "generated ids",
            "tokens_exact": res["tokens"] == res["requests"] * ctx["plan"].out_tokens,
            "seconds": round(res["seconds"], 6), "tokens_per_s": res["tokens"] / res["seconds"],
            "requests_per_s": res["requests"] / res["seconds"],
            "p50_ms": percentile(lat, 50) * 1000, "p95_ms": percentile(lat, 95) * 1000,
            "peak_rss_mb": peak_mb, "peak_pss_mb": peak_pss_mb,
            "rss_scope": "own process" if len(jobs) == 1 else
            f"one process for batches {[b for b, _ in jobs]}",
            "load_s": round(res["load_s"], 2), "others_cpu_pct": others, "steal_pct": steal,
        })
    return rows


# ----------------------------------------------------------------------------------------------
# HTTP rows

# Put first on the server's PYTHONPATH: gives the benchmark model the benchmark's decoding settings
# through the registry's own table of known models, when (and only when) models.inference.registry is imported.
HOOK = '''\
"""Written by bench/speed.py: the benchmark model's decoding settings, registered as a known model."""
import importlib.abc
import importlib.machinery
import json
import os
import sys

_CONF = json.loads(os.environ["BENCH_SPEED_MODEL"])


def _register(registry):
    # settings named for this model override the checkpoint's, as a known checkpoint's are
    registry.KNOWN_MODELS[_CONF["ref"]] = registry.KnownModel(_CONF["licence"], False, dict(_CONF["generation"]))


class _Loader(importlib.abc.Loader):
    def __init__(self, inner):
        self.inner = inner

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module):
        self.inner.exec_module(module)
        _register(module)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "models.inference.registry":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None:
            spec.loader = _Loader(spec.loader)
        return spec


sys.meta_path.insert(0, _Finder())
'''


def _start(env: dict[str, str], workers: int) -> tuple[Any, str]:
    from bench.server import start_server

    return start_server(env, workers=workers)


def _stop(proc: Any) -> None:
    from bench.server import stop_server

    stop_server(proc)


def run_http_model(backend: str, ctx: dict[str, Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    plan: Plan = ctx["plan"]
    workers = args.http_workers
    threads = max(1, cores() // workers)
    hook_dir = ctx["work"] / "hook"
    hook_dir.mkdir(parents=True, exist_ok=True)
    (hook_dir / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
    generation = {"num_beams": 1, "max_new_tokens": plan.out_tokens, "min_new_tokens": plan.out_tokens,
                  "no_repeat_ngram_size": 0, "batch_size": BATCH}
    env = {
        "PYTHONPATH": f"{hook_dir}{os.pathsep}{ROOT}",
        "BENCH_SPEED_MODEL": json.dumps({"ref": str(ctx["path"]), "licence": ctx["licence"],
                                         "generation": generation}),
        # the model translates from the input's language: a local folder, loaded as any configured model
        "SUMMARIZER_MODEL_TRANSLATE_KO_EN": str(ctx["path"]) if ctx["pair"] == "ko-en" else "",
        "SUMMARIZER_MODEL_TRANSLATE_EN_KO": str(ctx["path"]) if ctx["pair"] == "en-ko" else "",
        "SUMMARIZER_MODEL_SUMMARIZE_EN": "", "SUMMARIZER_MODEL_SUMMARIZE_KO": "",
        "SUMMARIZER_BACKEND": backend,
        "SUMMARIZER_MODELS_DIR": str(ctx["models_dir"]),
        "SUMMARIZER_CACHE_SIZE": "0", "SUMMARIZER_CACHE_REDIS_URL": "",
        "SUMMARIZER_BATCH_MAX_SIZE": str(BATCH),
        "SUMMARIZER_BATCH_MAX_WAIT_MS": str(args.batch_wait_ms),
        "SUMMARIZER_THREADS": str(max(LEVELS)),  # a gthread thread per client
        "SUMMARIZER_MAX_INFLIGHT": str(2 * max(LEVELS)),
        "SUMMARIZER_TORCH_THREADS": str(threads),
        "OMP_NUM_THREADS": str(threads),
        "SUMMARIZER_TIMEOUT_S": "1800", "SUMMARIZER_REQUEST_TIMEOUT_S": "1800",
        "SUMMARIZER_LOG_LEVEL": "WARNING",
        "SUMMARIZER_LOAD_IN_BACKGROUND": "false",  # a worker accepts connections only once loaded
    }
    source, target = ctx["pair"].split("-")
    bodies = [json.dumps({"text": t, "source_lang": source, "target_lang": target}).encode() for t in ctx["texts"]]
    rows = []
    with MemoryMonitor() as mon:
        t0 = time.perf_counter()
        proc, base = _start(env, workers)
        try:
            log(f"  http {backend}: server ready in {time.perf_counter() - t0:.0f} s "
                f"({workers} worker(s) x {threads} thread(s))")
            closed_loop(base, "/v1/translate", bodies[:1], 1, 1)  # first request through HTTP, not timed
            for clients in LEVELS:
                per_client = max(plan.http_rounds, -(-plan.http_min // clients))
                # untimed: the first batches of a new size allocate (as the in-process rows' warm-up call)
                closed_loop(base, "/v1/translate", bodies, clients, 1)
                res, others, steal = quietly(
                    lambda c=clients, k=per_client: closed_loop(base, "/v1/translate", bodies, c, k),
                    f"http {backend} x{clients}", args)
                n = clients * per_client
                sentences = [len(json.loads(o.body)["sentences"]) for o in res.outcomes]
                if set(sentences) != {1}:
                    raise RuntimeError(f"the input was split into {sorted(set(sentences))} sentences, not 1")
                lat = res.latencies()
                rows.append({
                    "runtime": f"http-{backend}", "mode": "http", "batch": BATCH, "clients": clients,
                    "workers": workers, "threads": threads, "requests": n, "tokens": n * plan.out_tokens,
                    "tokens_counted": f"requests x {plan.out_tokens} (forced by the settings)",
                    "seconds": round(res.seconds, 6),
                    "tokens_per_s": n * plan.out_tokens / res.seconds, "requests_per_s": n / res.seconds,
                    "p50_ms": percentile(lat, 50) * 1000, "p95_ms": percentile(lat, 95) * 1000,
                    "peak_rss_mb": mon.peak_mb,  # master + workers, since start-up (loading included)
                    "peak_pss_mb": mon.peak_pss_mb,
                    "others_cpu_pct": others, "steal_pct": steal,
                })
                log(f"  http {backend} x{clients}: {n} requests in {res.seconds:.1f} s")
        finally:
            _stop(proc)
    return rows


def run_extractive(args: argparse.Namespace) -> dict[str, Any]:
    from service.config import Settings

    workers, threads = 2, Settings().threads  # the service's default threads per worker
    from bench.server import EXTRACTIVE_ENV

    env = {**EXTRACTIVE_ENV, "PYTHONPATH": str(ROOT), "SUMMARIZER_THREADS": str(threads)}
    bodies = [json.dumps({"text": (ROOT / "samples" / name).read_text(encoding="utf-8")}).encode()
              for name in ("ko.txt", "en.txt")]
    clients = 8
    per_client = 4 if args.quick else 60
    with MemoryMonitor() as mon:
        proc, base = _start(env, workers)
        try:
            closed_loop(base, "/v1/summarize", bodies, clients, 2)  # warm-up
            res, others, steal = quietly(lambda: closed_loop(base, "/v1/summarize", bodies, clients, per_client),
                                         "extractive", args)
        finally:
            _stop(proc)
    n = clients * per_client
    lat = res.latencies()
    return {"runtime": "extractive", "mode": "http", "clients": clients, "workers": workers, "threads": threads,
            "requests": n, "seconds": round(res.seconds, 6), "articles_per_s": n / res.seconds,
            "p50_ms": percentile(lat, 50) * 1000, "p95_ms": percentile(lat, 95) * 1000,
            "peak_rss_mb": mon.peak_mb, "peak_pss_mb": mon.peak_pss_mb, "largest_process_rss_mb": mon.largest_mb,
            "others_cpu_pct": others, "steal_pct": steal}


# ----------------------------------------------------------------------------------------------
# one model, all rows


def bench_model(family: str, args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    real = REAL_MODELS.get(family)
    lang = real.lang if real else "ko"
    if real:
        from tests.real_models import HUB_IDS, LICENCES, real_config

        plan = REAL_PLANS[family]
        conf = real_config(real.fixture)
        shape: dict[str, Any] = {"real_config": HUB_IDS[real.fixture], **{
            k: conf[k] for k in ("d_model", "encoder_layers", "decoder_layers", "encoder_attention_heads",
                                 "encoder_ffn_dim", "vocab_size", "max_position_embeddings")}}
        licence = LICENCES[real.fixture]
        log(f"{family}: random weights at the real config of {HUB_IDS[real.fixture]}: d_model {conf['d_model']}, "
            f"{conf['encoder_layers']}+{conf['decoder_layers']} layers, vocab {conf['vocab_size']}, "
            + ("a stand-in tokenizer (opus-mt's is not public)" if real.fixture == "opus-mt-ko-en"
               else "real tokenizer"))
        path = ensure_real(work, family)
    else:
        size = (QUICK_SIZES if args.quick else FULL_SIZES)[family]
        plan = QUICK_PLAN if args.quick else FULL_PLANS[family]
        shape, licence = asdict(size), "apache-2.0"
        log(f"{family}: d_model {size.d_model}, {size.layers}+{size.layers} layers, {size.heads} heads, "
            f"ffn {size.ffn}, vocab {size.vocab or 'trained'}")
        path = ensure_model(work, size)
    models_dir = work / "models_dir"
    convert_ct2(path, models_dir)
    from transformers import AutoConfig, AutoTokenizer

    from models.inference.seq2seq import input_frame

    tokenizer = AutoTokenizer.from_pretrained(path)
    if real:  # the service's sentence limit binds before the token bound
        from models.text.sentences import MAX_SENTENCE

        texts = make_inputs(tokenizer, plan.in_tokens, BATCH, lang, max_chars=MAX_SENTENCE)
    else:
        texts = make_inputs(tokenizer, plan.in_tokens, BATCH)
    head, tail = input_frame(AutoConfig.from_pretrained(path), tokenizer("a")["input_ids"])
    in_tokens = [len(head) + len(tokenizer(t)["input_ids"]) + len(tail) for t in texts]
    log(f"  inputs: {BATCH} one-sentence {lang} texts of {min(in_tokens)}-{max(in_tokens)} tokens, "
        f"{min(map(len, texts))}-{max(map(len, texts))} characters")
    ctx = {"path": path, "models_dir": models_dir, "texts": texts, "plan": plan, "threads": cores(),
           "work": work, "args": args, "pair": "ko-en" if lang == "ko" else "en-ko", "licence": licence}
    rows: list[dict[str, Any]] = []
    b1, b8 = (1, plan.b1_calls), (BATCH, plan.b8_calls)
    # a fresh process per row, so each peak RSS is its own; --quick shares one per runtime to save start-ups
    # the baseline a user would write, one request at a time, and the stronger one: generate() on 8 at once
    groups: list[tuple[str, list[tuple[int, int]]]] = [("baseline", [b1, b8] if args.quick else [b1])]
    if not args.quick:
        groups.append(("baseline", [b8]))
    for runtime in ("ctranslate2-int8", "torch-qint8"):
        groups += [(runtime, [b1, b8])] if args.quick else [(runtime, [b1]), (runtime, [b8])]
    for runtime, jobs in groups:
        for row in run_inprocess(runtime, jobs, ctx):
            log(f"  {runtime} b{row['batch']}: {row['tokens_per_s']:.1f} tokens/s, p50 {row['p50_ms']:.0f} ms, "
                f"RSS {row['peak_rss_mb']:.0f} MB")
            rows.append(row)
    for backend in HTTP_BACKENDS:
        rows += run_http_model(backend, ctx, args)
    # The baseline again, last: the machine's speed drifts over minutes (shared hosts), so ratios are
    # taken against the mean of the first and last baseline, and the drift between them is reported.
    end = run_inprocess("baseline", [b1], ctx)[0]
    end["runtime"] = "baseline-end"
    rows.append(end)
    log(f"  baseline again: {end['tokens_per_s']:.1f} tokens/s ({end['tokens_per_s'] / rows[0]['tokens_per_s']:.2f}x "
        "the first)")
    first = rows[0]
    base_tps = statistics.mean([first["tokens_per_s"], end["tokens_per_s"]])
    base_b8 = next((r["tokens_per_s"] for r in rows if r["runtime"] == "baseline" and r["batch"] == BATCH), 0.0)
    base_p50 = statistics.mean([first["p50_ms"], end["p50_ms"]])
    base_rss = max(first["peak_rss_mb"], end["peak_rss_mb"])
    base_pss = max(first["peak_pss_mb"], end["peak_pss_mb"])
    for row in rows:
        row.update(model=family, size=shape, input_lang=lang, in_tokens=round(statistics.mean(in_tokens), 1),
                   out_tokens=plan.out_tokens, baseline_drift=round(end["tokens_per_s"] / first["tokens_per_s"], 3))
        row["x_throughput"] = row["tokens_per_s"] / base_tps
        row["x_throughput_b8"] = row["tokens_per_s"] / base_b8 if base_b8 else float("nan")
        row["x_p50"] = row["p50_ms"] / base_p50
        row["x_rss"] = row["peak_rss_mb"] / base_rss
        row["x_pss"] = row["peak_pss_mb"] / base_pss if base_pss else float("nan")
    return rows


def targets(rows: list[dict[str, Any]], extractive: dict[str, Any] | None) -> list[dict[str, Any]]:
    out = []
    for family in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == family]
        b8 = {r["runtime"]: r["tokens_per_s"] for r in mine if r["mode"] == "in-process" and r["batch"] == BATCH}
        best_int8 = max(b8.get("ctranslate2-int8", 0.0), b8.get("torch-qint8", 0.0))
        for backend in HTTP_BACKENDS:
            http = [r for r in mine if r["runtime"] == f"http-{backend}"]
            if not http:
                continue
            at8 = next(r for r in http if r["clients"] == 8)
            at1 = next(r for r in http if r["clients"] == 1)
            rss = max(r["x_rss"] for r in http)
            pss = max(r["x_pss"] for r in http)
            same = b8.get(SAME_RUNTIME[backend], 0.0)
            checks = [
                ("throughput at 8 clients vs baseline", at8["x_throughput"], ">= 6.0", at8["x_throughput"] >= 6.0),
                ("p50 at 1 client vs baseline p50", at1["x_p50"], "<= 0.5", at1["x_p50"] <= 0.5),
                ("peak PSS vs baseline peak PSS", pss, "<= 0.5", pss <= 0.5),
                ("peak RSS vs baseline peak RSS", rss, "<= 0.5", rss <= 0.5),
            ]
            if same:  # the serving overhead: the same runtime in-process at batch 8
                v = at8["tokens_per_s"] / same
                checks.append(("8 clients vs the same runtime in-process at batch 8", v, ">= 0.90", v >= 0.9))
            if best_int8 and backend != "transformers":
                v = at8["tokens_per_s"] / best_int8
                checks.append(("8 clients vs the fastest in-process int8 at batch 8", v, ">= 0.90", v >= 0.9))
            for name, value, goal, met in checks:
                out.append({"model": family, "runtime": f"http-{backend}", "target": name, "value": round(value, 2),
                            "goal": goal, "met": met})
    if extractive:
        v = extractive["articles_per_s"]
        out.append({"model": "extractive", "runtime": "http", "target": "articles/s at 8 clients",
                    "value": round(v, 1), "goal": ">= 100", "met": v >= 100})
    return out


def render(report: dict[str, Any]) -> str:
    meta = report["meta"]
    lines = [
        f"bench.speed ({'quick' if meta['quick'] else 'full'}): {meta['cores']} cores, {meta['cpu']}",
        "work per request: one "
        + ", ".join(f"{'Korean' if lang == 'ko' else 'English'} sentence of ~{n:.0f} tokens ({m})"
                    for m, lang, n in dict.fromkeys((r["model"], r.get("input_lang", "ko"), r["in_tokens"])
                                                    for r in report["rows"]))
        + f" in, greedy (num_beams=1), exactly {meta['out_tokens']} new tokens out (min=max; </s> and <pad> "
        f"logits biased {SUPPRESS:g})",
        "tokens: in-process rows count generated ids; HTTP rows = requests x out tokens (forced by the settings "
        "the server is given through a KNOWN_MODELS entry, the same min=max settings that make the in-process "
        "rows produce exactly that many)",
        "x base: against the mean of the baseline measured first and last (baseline-end: drift "
        + ", ".join(f"{m} {d:.2f}" for m, d in dict.fromkeys((r['model'], r['baseline_drift'])
                                                                for r in report["rows"])) + ")",
        f"threads = cores // workers: in-process {meta['cores']}; HTTP {meta['http_workers']} worker(s) x "
        f"{max(1, meta['cores'] // meta['http_workers'])}; dynamic batching max {BATCH}, wait "
        f"{meta['batch_wait_ms']} ms; result cache off",
        "x base b8: against the baseline's generate() on a batch of 8 (fp32), the stronger baseline",
        "",
        "| model | runtime | batch | clients | requests | tokens/s | x base | x base b8 | p50 ms | p95 ms | x base p50 "
        "| peak PSS MB | x base PSS | peak RSS MB | x base RSS | others' CPU % |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["rows"]:
        lines.append(
            f"| {r['model']} | {r['runtime']} | {r['batch']} | {r['clients']} | {r['requests']} "
            f"| {r['tokens_per_s']:.1f} | {r['x_throughput']:.2f} | {r.get('x_throughput_b8', float('nan')):.2f} "
            f"| {r['p50_ms']:.0f} | {r['p95_ms']:.0f} "
            f"| {r['x_p50']:.2f} | {r['peak_pss_mb']:.0f} | {r['x_pss']:.2f} | {r['peak_rss_mb']:.0f} "
            f"| {r['x_rss']:.2f} | {r['others_cpu_pct']:.0f} |")
    inexact = [f"{r['model']} {r['runtime']} b{r['batch']}" for r in report["rows"] if r.get("tokens_exact") is False]
    lines += ["", "in-process token counts: " + (f"NOT {report['meta']['out_tokens']} per request in "
                                                 + ", ".join(inexact) if inexact else
                                                 f"exactly {report['meta']['out_tokens']} per request everywhere")]
    ex = report.get("extractive")
    if ex:
        lines += ["", f"extractive (no model), /v1/summarize, {ex['clients']} clients, {ex['workers']} workers x "
                      f"{ex['threads']} threads, ko/en alternating: {ex['articles_per_s']:.1f} articles/s, "
                      f"p50 {ex['p50_ms']:.0f} ms, p95 {ex['p95_ms']:.0f} ms, peak PSS {ex['peak_pss_mb']:.0f} MB, "
                      f"peak RSS {ex['peak_rss_mb']:.0f} MB "
                      f"({ex['requests']} requests; others' CPU {ex['others_cpu_pct']:.0f}%)"]
    if report["targets"]:
        lines += ["", "targets:"]
        for t in report["targets"]:
            lines.append(f"  {t['model']} {t['runtime']}: {t['target']} = {t['value']} (goal {t['goal']}) "
                         f"{'met' if t['met'] else 'NOT MET'}")
    return "\n".join(lines)


def cpu_info() -> dict[str, Any]:
    """The CPU's vendor, model name and the instruction-set flags int8 kernels use (from /proc/cpuinfo)."""
    info: dict[str, Any] = {"vendor": "", "model": "", "flags": []}
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "vendor_id" and not info["vendor"]:
                info["vendor"] = value.strip()
            elif key == "model name" and not info["model"]:
                info["model"] = value.strip()
            elif key == "flags" and not info["flags"]:
                info["flags"] = sorted(f for f in value.split() if f.startswith(("avx", "amx")) or "vnni" in f)
    except OSError:
        pass
    return info


def _cpu_name() -> str:
    return cpu_info()["model"] or "unknown CPU"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny models and a few requests (CI smoke test)")
    ap.add_argument("--model", choices=("marian", "bart", "both", *REAL_MODELS),
                    help="default: both (marian with --quick); the -real ones: random weights at the real config "
                         "and tokenizer of opus-mt-ko-en, gogamza/kobart-summarization, facebook/bart-large-cnn")
    ap.add_argument("--out", default="artifacts/speed/speed.json",
                    help="the JSON report, or a folder for speed.json (default artifacts/speed/speed.json)")
    ap.add_argument("--workdir", help="where models are built and converted, reused across runs "
                                      "(default: <out>/work)")
    ap.add_argument("--http-workers", type=int, default=1, help="gunicorn workers for the model rows (default 1)")
    ap.add_argument("--batch-wait-ms", type=int, default=10, help="SUMMARIZER_BATCH_MAX_WAIT_MS (default 10)")
    ap.add_argument("--no-extractive", action="store_true", help="skip the extractive row")
    ap.add_argument("--max-wait-s", type=float, help="before each row, wait up to this long for other processes "
                    "to leave the CPUs alone (default 120; 0 with --quick)")
    ap.add_argument("--max-others-pct", type=float, default=10.0,
                    help="measure a row again when other processes took more of the CPUs meanwhile (default 10)")
    ap.add_argument("--retries", type=int, help="at most this many re-measurements per row (default 2; 0 with --quick)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.max_wait_s is None:
        args.max_wait_s = 0.0 if args.quick else 120.0
    if args.retries is None:
        args.retries = 0 if args.quick else 2
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0

    t0 = time.perf_counter()
    out = Path(args.out)
    if out.suffix == ".json":  # a file was named: write it there
        out_file, out = out, out.parent
    else:
        out_file = out / "speed.json"
    out.mkdir(parents=True, exist_ok=True)
    work = Path(args.workdir) if args.workdir else out / "work"
    work.mkdir(parents=True, exist_ok=True)
    if args.quick and args.model in REAL_MODELS:
        ap.error("--quick builds tiny models: the -real models are full size")
    choice = args.model or ("marian" if args.quick else "both")
    families = ["marian", "bart"] if choice == "both" else [choice]
    rows: list[dict[str, Any]] = []
    for family in families:
        rows += bench_model(family, args, work)
    extractive = None if args.no_extractive else run_extractive(args)
    plan = QUICK_PLAN if args.quick else {**FULL_PLANS, **REAL_PLANS}[families[0]]
    report = {
        "meta": {"quick": args.quick, "cores": cores(), "cpu": _cpu_name(), "in_tokens": plan.in_tokens,
                 "out_tokens": plan.out_tokens, "http_workers": args.http_workers,
                 "batch_wait_ms": args.batch_wait_ms, "levels": list(LEVELS), "command": " ".join(sys.argv),
                 "seconds": None},
        "rows": rows,
        "extractive": extractive,
        "targets": targets(rows, extractive),
    }
    report["meta"]["seconds"] = round(time.perf_counter() - t0, 1)
    out_file.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(render(report))
    print(f"\nwrote {out_file} in {report['meta']['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
