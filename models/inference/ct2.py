"""CTranslate2 backend: the same tokenizer and outputs contract, a faster, smaller forward step.

A Hugging Face model is converted once into a cache directory beside the models (never per
request), keyed by the model files and the quantization, then loaded with ``ctranslate2.Translator``.
Compute type: int8 on CPU (a third of fp32's memory), float16 on a GPU.

Serving needs neither torch nor transformers: the model's own tokenizer files are read with
``tokenizers`` (``tokenizer.json``: BART, T5, mT5) or ``sentencepiece`` (Marian's ``source.spm`` /
``target.spm``), and its ``config.json`` as JSON (:class:`Ct2Tokenizer`; tests hold it to
transformers' tokens and text). Only a conversion needs them, and it runs in a child process
(``python -m service models download`` does it ahead of start-up).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess  # nosec B404 - the conversion runs this interpreter on our own module
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from filelock import FileLock

from .seq2seq import GenerationSettings, ModelSpec, Seq2SeqModel, input_frame, token_limits

log = logging.getLogger("models.inference.ct2")

# Architectures CTranslate2's Transformers converter handles (see `auto` backend choice).
CONVERTIBLE = frozenset({"marian", "bart", "mbart", "t5", "mt5", "m2m_100", "pegasus"})

_convert_lock = threading.Lock()


def read_config(path: str | Path) -> SimpleNamespace:
    """The model's ``config.json`` as attributes (what transformers' AutoConfig would read)."""
    return SimpleNamespace(**json.loads((Path(path) / "config.json").read_text(encoding="utf-8")))


def convertible(path: str | Path) -> bool:
    """True where the model at ``path`` has an architecture CTranslate2 converts."""
    try:
        import ctranslate2  # noqa: F401
    except ImportError:
        return False
    return getattr(read_config(path), "model_type", None) in CONVERTIBLE


def _fingerprint(path: Path, quantization: str) -> str:
    h = hashlib.sha256(quantization.encode())
    for f in sorted(path.iterdir()):
        if f.is_file() and f.suffix in (".json", ".safetensors", ".bin", ".model", ".spm", ".txt"):
            st = f.stat()
            h.update(f"{f.name}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:16]


def _converter(path: Path) -> Any:
    from ctranslate2.converters import TransformersConverter

    class _Converter(TransformersConverter):
        # transformers' score of the probe (_check_untied_head), taken from the model this conversion
        # loads, before the conversion reads it (its arrays may be reused in place): loaded once
        expected: float | None = None

        def load_model(self, model_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
            model = super().load_model(model_class, model_name_or_path, **kwargs)
            self.expected = _reference_score(path, model)
            # transformers 5 dropped config fields that the converter still reads for BART
            for name, default in (("normalize_before", False), ("add_final_layer_norm", False)):
                if not hasattr(model.config, name):
                    setattr(model.config, name, default)
            # The converter rescales T5 decoder outputs when tie_word_embeddings is set, but
            # transformers 5 forces that flag to True for every T5/mT5 and decides the scaling
            # with scale_decoder_outputs (T5) or not at all (mT5): mirror what transformers does.
            if model.config.model_type in ("t5", "mt5"):
                default_scale = model.config.model_type == "t5" and model.config.tie_word_embeddings
                model.config.tie_word_embeddings = bool(
                    getattr(model.config, "scale_decoder_outputs", default_scale)
                )
            return model

        def load_tokenizer(self, tokenizer_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
            tokenizer = super().load_tokenizer(tokenizer_class, model_name_or_path, **kwargs)
            # the converter writes the tokenizer's special tokens into the model's config; a bare
            # tokenizer.json (KoBART) names none: take them from the model's config ids
            config = read_config(path)
            vocab = tokenizer.get_vocab()
            for name in ("bos", "eos", "pad", "unk"):
                token_id = getattr(config, f"{name}_token_id", None)
                if getattr(tokenizer, f"{name}_token", None) is None:
                    if isinstance(token_id, int):
                        setattr(tokenizer, f"{name}_token", tokenizer.convert_ids_to_tokens(token_id))
                    elif f"<{name}>" in vocab:
                        setattr(tokenizer, f"{name}_token", f"<{name}>")
            return tokenizer

    # low_cpu_mem_usage: weights are read into the model once, not into a random init first
    return _Converter(str(path), low_cpu_mem_usage=True)


def converted_path(path: str | Path, cache_dir: str | Path, quantization: str = "int8") -> Path:
    """Where the conversion of ``path`` with ``quantization`` lives (it may not exist yet)."""
    path = Path(path)
    return Path(cache_dir) / f"{path.name}-{_fingerprint(path, quantization)}"


@dataclass(frozen=True, slots=True)
class Conversion:
    """A finished CTranslate2 conversion: where, and what it cost (None where it was already done)."""

    path: Path
    peak_rss_mb: float | None = None  # the converting process's peak resident memory
    seconds: float | None = None
    checkpoint_mb: float | None = None  # the fp32 weights on disk, for the budget 1.5x + 500 MB


def checkpoint_mb(path: str | Path) -> float:
    """Size of the checkpoint's weight files (safetensors, else PyTorch pickles) in MB."""
    files = [f for f in Path(path).iterdir() if f.suffix == ".safetensors"] or \
        [f for f in Path(path).iterdir() if f.suffix == ".bin"]
    return sum(f.stat().st_size for f in files) / 1e6


def convert_in_child(path: str | Path, cache_dir: str | Path, quantization: str = "int8") -> Path:
    """:func:`convert` in a child process, so that this process never imports torch/transformers."""
    return convert_measured(path, cache_dir, quantization).path


def convert_measured(path: str | Path, cache_dir: str | Path, quantization: str = "int8") -> Conversion:
    """:func:`convert_in_child`, reporting the child's peak memory and time (``models download`` prints them)."""
    out = converted_path(path, cache_dir, quantization)
    if (out / "model.bin").is_file():
        return Conversion(out)
    code = ("import json, resource, sys, time; from models.inference.ct2 import convert; t = time.perf_counter(); "
            "convert(sys.argv[1], sys.argv[2], sys.argv[3]); "
            "print(json.dumps({'peak_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "'seconds': time.perf_counter() - t}))")
    paths = [str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")]  # the repository root
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
    done = subprocess.run([sys.executable, "-c", code, str(path), str(cache_dir), quantization],  # nosec B603
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"converting {Path(path).name} for CTranslate2 failed: {done.stderr.strip()[-2000:]}")
    try:
        stats = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return Conversion(out)
    return Conversion(out, stats["peak_kb"] / 1024, stats["seconds"], checkpoint_mb(path))


def convert(path: str | Path, cache_dir: str | Path, quantization: str = "int8") -> Path:
    """Convert the model at ``path`` into ``cache_dir`` once; later calls return the same folder."""
    path = Path(path)
    out = converted_path(path, cache_dir, quantization)
    if (out / "model.bin").is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    # Several gunicorn workers (or replicas sharing a volume) start at once: one converts, the
    # others wait on the lock file and then find the finished folder.
    with _convert_lock, FileLock(out.with_name(out.name + ".lock")):
        if (out / "model.bin").is_file():
            return out
        tmp = out.with_name(out.name + f".tmp{os.getpid()}")
        log.info("converting model for CTranslate2", extra={"model": str(path), "quantization": quantization})
        try:
            converter = _converter(path)
            converter.convert(str(tmp), quantization=quantization, force=True)
            _write_target_vocabulary(path, tmp)
            _check_untied_head(path, tmp, converter.expected)
            if out.exists():  # a half-written folder from a killed run (no model.bin): replace it
                shutil.rmtree(out)
            tmp.rename(out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _write_target_vocabulary(path: Path, converted: Path) -> None:
    """Give a converted Marian model with separate source and target vocabularies its target one.

    CTranslate2's Marian loader registers the tokenizer's vocabulary (the source one, for
    ``MarianTokenizer``) on both sides; a checkpoint saved with ``separate_vocabs`` (two vocabulary
    files, ``share_encoder_decoder_embeddings`` false) decodes with ``target_vocab.json``. The
    converted folder's vocabulary files are rewritten to say so (one token per line of the model's
    rows; the trailing ``<pad>`` the loader drops is dropped the same way).
    """
    tok_config = path / "tokenizer_config.json"
    target_file = path / "target_vocab.json"
    if not (tok_config.is_file() and target_file.is_file()):
        return
    if not json.loads(tok_config.read_text(encoding="utf-8")).get("separate_vocabs"):
        return

    def tokens(file: Path) -> list[str]:
        vocab = json.loads(file.read_text(encoding="utf-8"))
        out = [t for t, _ in sorted(vocab.items(), key=lambda item: item[1])]
        return out[:-1] if out and out[-1] == "<pad>" else out

    source, target = tokens(path / "vocab.json"), tokens(target_file)
    shared = converted / "shared_vocabulary.json"
    if shared.is_file():
        shared.unlink()
    (converted / "source_vocabulary.json").write_text(json.dumps(source, ensure_ascii=False), encoding="utf-8")
    (converted / "target_vocabulary.json").write_text(json.dumps(target, ensure_ascii=False), encoding="utf-8")


_PROBE = ("The plan starts next year.", "The plan.")


def _probe_ids(path: Path) -> tuple[Any, list[int], list[int]]:
    """The transformers tokenizer of ``path`` and the probe's source and target ids."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path, local_files_only=True)  # nosec B615
    head, tail = input_frame(read_config(path), tok("a")["input_ids"])
    src_ids = head + tok(_PROBE[0])["input_ids"] + tail
    if getattr(tok, "separate_vocabs", False):  # Marian with its own target vocabulary
        tgt_ids = tok(text_target=_PROBE[1])["input_ids"]
    else:  # framed like the source: the scores below end with the end token
        tgt_ids = head + tok(_PROBE[1])["input_ids"] + tail
    return tok, src_ids, tgt_ids


def _reference_score(path: Path, model: Any) -> float:
    """transformers' log-probability of the probe's target given its source."""
    import torch

    _, src_ids, tgt_ids = _probe_ids(path)
    start = model.config.decoder_start_token_id
    with torch.inference_mode():
        logits = model.eval()(input_ids=torch.tensor([src_ids]),
                              decoder_input_ids=torch.tensor([[start] + tgt_ids[:-1]])).logits[0]
    return float(torch.log_softmax(logits.float(), -1)[range(len(tgt_ids)), tgt_ids].sum())


def _check_untied_head(path: Path, converted: Path, expected: float | None = None) -> None:
    """Guard against the converter mis-scaling an untied output layer (seen with mT5 on transformers 5).

    T5 with tied embeddings rescales the decoder output by d_model**-0.5; an untied head (mT5) must
    not be rescaled. Compare one forward score with transformers and refuse a mismatch. ``expected``
    is transformers' score, taken by the conversion from the model it loaded (else the model is
    loaded here); the converted model is loaded after that one is released, so the two never sit in
    memory together.
    """
    import gc

    import ctranslate2

    if expected is None:
        from transformers import AutoModelForSeq2SeqLM

        model = AutoModelForSeq2SeqLM.from_pretrained(path, local_files_only=True)  # nosec B615
        expected = _reference_score(path, model)
        del model
    gc.collect()
    tok, src_ids, tgt_ids = _probe_ids(path)
    translator = ctranslate2.Translator(str(converted), device="cpu", compute_type="float32")
    # CTranslate2 appends and scores the end token itself
    target_tokens = Ct2Tokenizer(path).target_tokens(tgt_ids[:-1])
    got = translator.score_batch([tok.convert_ids_to_tokens(src_ids)], [target_tokens])
    score = float(sum(got[0].log_probs))
    if abs(score - expected) > 0.05 * max(1.0, abs(expected)):
        raise RuntimeError(
            f"CTranslate2 conversion of {path.name} disagrees with transformers "
            f"(log-prob {score:.3f} vs {expected:.3f}); use SUMMARIZER_BACKEND=transformers for it"
        )


def default_compute_type(device: str) -> str:
    return "int8" if device == "cpu" else "int8_float16"


def quantization_for(compute_type: str) -> str:
    """The weights a conversion stores for ``compute_type`` (int8 for every int8_* type)."""
    return "int8" if compute_type.startswith("int8") else "float16"


class Ct2Tokenizer:
    """The model's tokenizer without transformers: token strings in, token strings out.

    ``tokenizer.json`` (BART, T5, mT5: every tokenizer transformers saves "fast") is run by
    ``tokenizers``; Marian, which has no fast tokenizer, by ``sentencepiece`` with the rules of
    transformers' ``MarianTokenizer`` (a leading ``>>lang<<`` code kept whole, ``</s>`` appended,
    pieces outside ``vocab.json`` read as ``<unk>``).
    """

    _LANG_CODE = re.compile(r">>.+?<<")

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        config_file = path / "tokenizer_config.json"
        config = json.loads(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}
        self.model_max_length: int | None = config.get("model_max_length")
        target_vocab: dict[str, int] | None = None
        if (path / "tokenizer.json").is_file():
            from tokenizers import Tokenizer

            self._fast: Tokenizer | None = Tokenizer.from_file(str(path / "tokenizer.json"))
            self._fast.no_padding()
            self._fast.no_truncation()
            self._fast_cut: Any = None  # a second copy that truncates (see limit())
            self._vocab = self._fast.get_vocab(with_added_tokens=True)
            self._special = {t.content for t in self._fast.get_added_tokens_decoder().values() if t.special}
        elif (path / "source.spm").is_file():
            import sentencepiece as spm

            self._fast = None
            self._source = spm.SentencePieceProcessor(model_file=str(path / "source.spm"))
            self._target = spm.SentencePieceProcessor(model_file=str(path / "target.spm"))
            self._vocab = json.loads((path / "vocab.json").read_text(encoding="utf-8"))
            if config.get("separate_vocabs") and (path / "target_vocab.json").is_file():
                # its own target vocabulary (share_encoder_decoder_embeddings false): output ids mean these
                target_vocab = json.loads((path / "target_vocab.json").read_text(encoding="utf-8"))
            self._special = {
                str(v["content"] if isinstance(v, dict) else v)
                for k, v in config.items() if k.endswith("_token") and v
            } | {t["content"] for t in config.get("added_tokens_decoder", {}).values() if t.get("special")}
        else:
            raise ValueError(f"{path} has neither tokenizer.json nor Marian's source.spm")
        self._target_vocab: dict[str, int] = target_vocab or self._vocab
        self._id_to_token = {i: t for t, i in self._vocab.items()}
        self._id_to_target = {i: t for t, i in self._target_vocab.items()}
        self.max_length: int | None = None
        self.unk_token = str(_token_value(config.get("unk_token")) or "<unk>")
        self.eos_token = str(_token_value(config.get("eos_token")) or "</s>")
        self.pad_token_id = self._vocab.get(str(_token_value(config.get("pad_token")) or "<pad>"))
        self.eos_token_id = self._vocab.get(self.eos_token)

    def limit(self, max_length: int) -> None:
        """Set the length ``tokens(..., truncate=True)`` cuts to (the model's input limit)."""
        self.max_length = max_length
        if self._fast is not None:
            from tokenizers import Tokenizer

            self._fast_cut = Tokenizer.from_str(self._fast.to_str())
            self._fast_cut.enable_truncation(max_length)

    def tokens(self, text: str, truncate: bool = False) -> list[str]:
        """Source tokens with the model's special tokens; ``truncate`` cuts them to :meth:`limit`'s
        length, special tokens kept, as transformers' ``truncation=True``."""
        max_length = self.max_length if truncate else None
        if self._fast is not None:
            toks = (self._fast_cut if max_length else self._fast).encode(text).tokens
            return [t if t in self._vocab else self.unk_token for t in toks]
        code = self._LANG_CODE.match(text)
        head = [code.group()] if code else []
        body = text[code.end():] if code else text
        pieces = [p if p in self._vocab else self.unk_token
                  for p in head + self._source.encode(body, out_type=str)]
        if max_length and len(pieces) > max_length - 1:
            pieces = pieces[: max_length - 1]
        return pieces + [self.eos_token]

    def decode(self, tokens: Sequence[str]) -> str:
        """Text of generated tokens, special tokens left out (transformers' ``skip_special_tokens``)."""
        if self._fast is not None:
            ids = [self._vocab[t] for t in tokens if t in self._vocab]
            return self._fast.decode(ids, skip_special_tokens=True)
        pieces = [t for t in tokens if t not in self._special]
        return self._target.decode_pieces(pieces).replace("\u2581", " ").strip()

    def convert_tokens_to_ids(self, tokens: Sequence[str]) -> list[int]:
        unk = self._vocab.get(self.unk_token, 0)
        return [self._vocab.get(t, unk) for t in tokens]

    def convert_ids_to_tokens(self, ids: Sequence[int]) -> list[str]:
        return [self._id_to_token.get(i, self.unk_token) for i in ids]

    def target_tokens(self, ids: Sequence[int]) -> list[str]:
        """Output tokens of ``ids`` (the target vocabulary where the model has its own)."""
        return [self._id_to_target.get(i, self.unk_token) for i in ids]

    def target_ids(self, tokens: Sequence[str]) -> list[int]:
        """Ids of output tokens (the target vocabulary where the model has its own)."""
        unk = self._target_vocab.get(self.unk_token, 0)
        return [self._target_vocab.get(t, unk) for t in tokens]


def _token_value(value: object) -> object:
    return value.get("content") if isinstance(value, dict) else value


class CT2Model(Seq2SeqModel):
    """A seq2seq model run by CTranslate2, tokenized by :class:`Ct2Tokenizer`: no torch, no transformers."""

    backend = "ctranslate2"

    def __init__(
        self,
        path: str | Path,
        spec: ModelSpec,
        cache_dir: str | Path,
        device: str = "cpu",
        compute_type: str | None = None,
        threads: int = 1,
    ) -> None:
        self._cache_dir = Path(cache_dir)
        self.compute_type = compute_type or default_compute_type(device)
        self._threads = threads
        self.spec = spec
        self.device = device
        self.model_id = spec.model_id if spec.revision is None else f"{spec.model_id}@{spec.revision}"
        self.path = Path(path)
        self._tok = Ct2Tokenizer(self.path)
        # the base class's slot for a transformers tokenizer holds CT2's own, which answers the calls
        # the base makes (tokens, model_max_length, ...); this class uses it as self._tok
        self.tokenizer = self._tok  # type: ignore[assignment]
        self.config = read_config(self.path)
        self._tok_lock = threading.Lock()
        self.max_input_tokens, self.max_output_tokens = token_limits(self._tok.model_max_length, self.config)
        self.frame = input_frame(self.config, self._tok.convert_tokens_to_ids(self._tok.tokens("a")))
        pad = self._tok.pad_token_id
        self.pad_token_id = pad if pad is not None else getattr(self.config, "pad_token_id", None) or 0
        head, tail = self.frame
        self._frame_tokens = (self._tok.convert_ids_to_tokens(head), self._tok.convert_ids_to_tokens(tail))
        self._tok.limit(self.max_input_tokens - len(head) - len(tail))
        self._load_weights()

    def _load_weights(self) -> None:
        import ctranslate2

        converted = convert_in_child(self.path, self._cache_dir, quantization_for(self.compute_type))
        self.model = ctranslate2.Translator(
            str(converted), device=self.device, compute_type=self.compute_type,
            inter_threads=1, intra_threads=self._threads,
        )
        self._decoder_start = getattr(self.config, "decoder_start_token_id", None)
        self._forced_bos = getattr(self.config, "forced_bos_token_id", None)

    def source_tokens(self, texts: Sequence[str], truncate: bool = False) -> list[list[str]]:
        """The tokens the model reads for each text, framed as the checkpoint expects (see
        :func:`~models.inference.seq2seq.input_frame`)."""
        head, tail = self._frame_tokens
        return [head + self._tok.tokens(self.spec.prefix + t, truncate=truncate) + tail for t in texts]

    def input_ids(self, texts: Sequence[str], truncate: bool = False) -> list[list[int]]:
        return [self._tok.convert_tokens_to_ids(x) for x in self.source_tokens(texts, truncate)]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(x) for x in self.source_tokens(texts)]

    def generate_kwargs(self, settings: GenerationSettings) -> dict[str, Any]:
        """``translate_batch`` arguments for ``settings`` (lengths in new tokens, as the settings count them)."""
        return {"beam_size": settings.num_beams, "max_decoding_length": settings.max_new_tokens,
                "min_decoding_length": settings.min_new_tokens,
                "no_repeat_ngram_size": settings.no_repeat_ngram_size, "length_penalty": settings.length_penalty,
                "max_batch_size": settings.batch_size}

    def _target_prefix(self, n: int) -> list[list[str]] | None:
        if self._forced_bos is None:  # BART checkpoints force <s> first, as generate() does
            return None
        return [self._tok.target_tokens([self._forced_bos])] * n

    def _run(self, texts: Sequence[str], settings: GenerationSettings) -> list[str]:
        with self._tok_lock:
            source = self.source_tokens(texts, truncate=True)
        results = self.model.translate_batch(source, target_prefix=self._target_prefix(len(texts)),
                                             **self.generate_kwargs(settings))
        with self._tok_lock:
            return [" ".join(self._tok.decode(r.hypotheses[0]).split()) for r in results]

    def greedy_tokens(self, texts: Sequence[str], max_new_tokens: int) -> list[list[int]]:
        """Greedy token ids (for backend comparison tests)."""
        with self._tok_lock:
            source = self.source_tokens(texts)
        results = self.model.translate_batch(source, beam_size=1, max_decoding_length=max_new_tokens)
        with self._tok_lock:
            return [self._tok.target_ids(r.hypotheses[0]) for r in results]
