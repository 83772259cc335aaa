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
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from filelock import FileLock

from .seq2seq import GenerationSettings, ModelSpec, Seq2SeqModel, token_limits

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
        def load_model(self, model_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
            model = super().load_model(model_class, model_name_or_path, **kwargs)
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

    return _Converter(str(path))


def converted_path(path: str | Path, cache_dir: str | Path, quantization: str = "int8") -> Path:
    """Where the conversion of ``path`` with ``quantization`` lives (it may not exist yet)."""
    path = Path(path)
    return Path(cache_dir) / f"{path.name}-{_fingerprint(path, quantization)}"


def convert_in_child(path: str | Path, cache_dir: str | Path, quantization: str = "int8") -> Path:
    """:func:`convert` in a child process, so that this process never imports torch/transformers."""
    out = converted_path(path, cache_dir, quantization)
    if (out / "model.bin").is_file():
        return out
    code = "import sys; from models.inference.ct2 import convert; convert(sys.argv[1], sys.argv[2], sys.argv[3])"
    paths = [str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")]  # the repository root
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))
    done = subprocess.run([sys.executable, "-c", code, str(path), str(cache_dir), quantization],  # nosec B603
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"converting {Path(path).name} for CTranslate2 failed: {done.stderr.strip()[-2000:]}")
    return out


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
            _converter(path).convert(str(tmp), quantization=quantization, force=True)
            _check_untied_head(path, tmp)
            if out.exists():  # a half-written folder from a killed run (no model.bin): replace it
                shutil.rmtree(out)
            tmp.rename(out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _check_untied_head(path: Path, converted: Path) -> None:
    """Guard against the converter mis-scaling an untied output layer (seen with mT5 on transformers 5).

    T5 with tied embeddings rescales the decoder output by d_model**-0.5; an untied head (mT5) must
    not be rescaled. Compare one forward score with transformers and refuse a mismatch.
    """
    import ctranslate2
    import torch
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path, local_files_only=True)  # nosec B615
    model = AutoModelForSeq2SeqLM.from_pretrained(path, local_files_only=True).eval()  # nosec B615
    src_ids = tok("The plan starts next year.")["input_ids"]
    tgt_ids = tok("The plan.")["input_ids"]
    start = model.config.decoder_start_token_id
    with torch.inference_mode():
        logits = model(input_ids=torch.tensor([src_ids]),
                       decoder_input_ids=torch.tensor([[start] + tgt_ids[:-1]])).logits[0]
    expected = float(torch.log_softmax(logits.float(), -1)[range(len(tgt_ids)), tgt_ids].sum())
    translator = ctranslate2.Translator(str(converted), device="cpu", compute_type="float32")
    # CTranslate2 appends and scores the end token itself
    got = translator.score_batch([tok.convert_ids_to_tokens(src_ids)], [tok.convert_ids_to_tokens(tgt_ids[:-1])])
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
            self._special = {
                str(v["content"] if isinstance(v, dict) else v)
                for k, v in config.items() if k.endswith("_token") and v
            } | {t["content"] for t in config.get("added_tokens_decoder", {}).values() if t.get("special")}
        else:
            raise ValueError(f"{path} has neither tokenizer.json nor Marian's source.spm")
        self._id_to_token = {i: t for t, i in self._vocab.items()}
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
        self._tok.limit(self.max_input_tokens)
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

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(self._tok.tokens(self.spec.prefix + t)) for t in texts]

    def _run(self, texts: Sequence[str], settings: GenerationSettings) -> list[str]:
        with self._tok_lock:
            source = [self._tok.tokens(self.spec.prefix + t, truncate=True) for t in texts]
            prefix = None
            if self._forced_bos is not None:  # BART checkpoints force <s> first, as generate() does
                prefix = [self._tok.convert_ids_to_tokens([self._forced_bos])] * len(texts)
        results = self.model.translate_batch(
            source,
            target_prefix=prefix,
            beam_size=settings.num_beams,
            max_decoding_length=settings.max_new_tokens,
            min_decoding_length=settings.min_new_tokens,
            no_repeat_ngram_size=settings.no_repeat_ngram_size,
            length_penalty=settings.length_penalty,
            max_batch_size=settings.batch_size,
        )
        with self._tok_lock:
            return [" ".join(self._tok.decode(r.hypotheses[0]).split()) for r in results]

    def greedy_tokens(self, texts: Sequence[str], max_new_tokens: int) -> list[list[int]]:
        """Greedy token ids (for backend comparison tests)."""
        with self._tok_lock:
            source = [self._tok.tokens(self.spec.prefix + t) for t in texts]
        results = self.model.translate_batch(source, beam_size=1, max_decoding_length=max_new_tokens)
        with self._tok_lock:
            return [self._tok.convert_tokens_to_ids(r.hypotheses[0]) for r in results]
