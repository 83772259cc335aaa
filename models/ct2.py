"""CTranslate2 backend: the same tokenizer and outputs contract, a faster, smaller forward step.

A Hugging Face model is converted once into a cache directory beside the models (never per
request), keyed by the model files and the quantization, then loaded with ``ctranslate2.Translator``.
Compute type: int8 on CPU (a third of fp32's memory), float16 on a GPU.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from filelock import FileLock

from .seq2seq import GenerationSettings, ModelSpec, Seq2SeqModel

log = logging.getLogger("models.ct2")

# Architectures CTranslate2's Transformers converter handles (see `auto` backend choice).
CONVERTIBLE = frozenset({"marian", "bart", "mbart", "t5", "mt5", "m2m_100", "pegasus"})

_convert_lock = threading.Lock()


def convertible(path: str | Path) -> bool:
    """True where the model at ``path`` has an architecture CTranslate2 converts."""
    from transformers import AutoConfig

    try:
        import ctranslate2  # noqa: F401
    except ImportError:
        return False
    return AutoConfig.from_pretrained(path, local_files_only=True).model_type in CONVERTIBLE  # nosec B615


def _fingerprint(path: Path, quantization: str) -> str:
    h = hashlib.sha256(quantization.encode())
    for f in sorted(path.iterdir()):
        if f.is_file() and f.suffix in (".json", ".safetensors", ".bin", ".model", ".spm", ".txt"):
            st = f.stat()
            h.update(f"{f.name}:{st.st_size}:{int(st.st_mtime)}".encode())
    return h.hexdigest()[:16]


def _converter(path: Path) -> Any:
    from ctranslate2.converters import TransformersConverter

    class _Converter(TransformersConverter):  # type: ignore[misc]
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


def convert(path: str | Path, cache_dir: str | Path, quantization: str = "int8") -> Path:
    """Convert the model at ``path`` into ``cache_dir`` once; later calls return the same folder."""
    path = Path(path)
    out = Path(cache_dir) / f"{path.name}-{_fingerprint(path, quantization)}"
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


class CT2Model(Seq2SeqModel):
    """A seq2seq model run by CTranslate2; tokenization and decoding stay with transformers."""

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
        super().__init__(path, spec, device)

    def _load_weights(self) -> None:
        import ctranslate2

        converted = convert(self.path, self._cache_dir, quantization_for(self.compute_type))
        self.model = ctranslate2.Translator(
            str(converted), device=self.device, compute_type=self.compute_type,
            inter_threads=1, intra_threads=self._threads,
        )
        self._decoder_start = self.config.decoder_start_token_id
        self._forced_bos = getattr(self.config, "forced_bos_token_id", None)

    def _run(self, texts: Sequence[str], settings: GenerationSettings) -> list[str]:
        with self._tok_lock:
            ids = self.tokenizer([self.spec.prefix + t for t in texts], truncation=True,
                                 max_length=self.max_input_tokens)["input_ids"]
            source = [self.tokenizer.convert_ids_to_tokens(x) for x in ids]
            prefix = None
            if self._forced_bos is not None:  # BART checkpoints force <s> first, as generate() does
                prefix = [[self.tokenizer.convert_ids_to_tokens(self._forced_bos)]] * len(texts)
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
            out = []
            for r in results:
                token_ids = self.tokenizer.convert_tokens_to_ids(r.hypotheses[0])
                text = self.tokenizer.decode(token_ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
                out.append(" ".join(text.split()))
        return out

    def greedy_tokens(self, texts: Sequence[str], max_new_tokens: int) -> list[list[int]]:
        """Greedy token ids (for backend comparison tests)."""
        with self._tok_lock:
            ids = self.tokenizer([self.spec.prefix + t for t in texts])["input_ids"]
            source = [self.tokenizer.convert_ids_to_tokens(x) for x in ids]
        results = self.model.translate_batch(source, beam_size=1, max_decoding_length=max_new_tokens)
        with self._tok_lock:
            return [self.tokenizer.convert_tokens_to_ids(r.hypotheses[0]) for r in results]
