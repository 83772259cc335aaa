"""Which model serves which task and language pair: ids, revisions, licences, presets, loading.

A configured model is a Hugging Face id (optionally ``id@revision``) or a local directory. Ids are
resolved in the local Hugging Face cache only (``SUMMARIZER_MODELS_DIR`` or ``HF_HOME``): nothing
is downloaded here. :func:`download` is the one place that fetches, called by
``python -m service models download`` and the Docker build.
"""
from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..contracts import AbstractiveSummarizer, Translator
from ..errors import ModelNotAllowed, ModelNotPresent, ModelUnavailable
from .batching import BatchingModel
from .seq2seq import (
    GenerationSettings,
    ModelSpec,
    QuantizedSeq2SeqModel,
    Seq2SeqModel,
    Seq2SeqSummarizer,
    Seq2SeqTranslator,
    checkpoint_generation,
    resolve_generation,
)

if TYPE_CHECKING:
    from .ct2 import Conversion

log = logging.getLogger("models.inference.registry")

# Settings keys: (task, lang) where lang is "en"/"ko" for summarize and "ko-en"/"en-ko" for translate.
Slot = tuple[str, str]

SLOT_SETTINGS: dict[Slot, str] = {
    ("summarize", "en"): "SUMMARIZER_MODEL_SUMMARIZE_EN",
    ("summarize", "ko"): "SUMMARIZER_MODEL_SUMMARIZE_KO",
    ("translate", "ko-en"): "SUMMARIZER_MODEL_TRANSLATE_KO_EN",
    ("translate", "en-ko"): "SUMMARIZER_MODEL_TRANSLATE_EN_KO",
}

# The service's defaults for a setting neither the checkpoint nor the registry names (an unknown
# checkpoint without generation settings of its own gets these).
_SUMMARY = GenerationSettings(num_beams=4, max_new_tokens=142, min_new_tokens=20, no_repeat_ngram_size=3,
                              length_penalty=2.0, batch_size=4)
_TRANSLATION = GenerationSettings(num_beams=4, max_new_tokens=256, no_repeat_ngram_size=0, length_penalty=1.0,
                                  batch_size=8)


@dataclass(frozen=True, slots=True)
class KnownModel:
    """What the registry knows of a checkpoint beyond its files.

    ``generation``: settings named on purpose for it, each overriding what the checkpoint ships (its
    ``generation_config.json``); leave a setting out to keep the checkpoint's. ``config``: fields of
    its ``config.json`` (and ``tokenizer_class``) that recognise a local copy whose ``config.json`` does
    not name the checkpoint (see :func:`identify`).
    """

    licence: str
    noncommercial: bool
    generation: dict[str, object] = field(default_factory=dict)
    prefix: str = ""
    note: str = ""
    config: dict[str, object] = field(default_factory=dict)


# Licences as their model cards state them when this table was written; the card found on disk
# wins at load time (see _card_licence).
KNOWN_MODELS: dict[str, KnownModel] = {
    # its generation_config.json (4 beams, min_length 56, max_length 142, no_repeat_ngram_size 3, length
    # penalty 2.0) is the model card's: nothing named here
    "facebook/bart-large-cnn": KnownModel("mit", False),
    # no generation settings in the checkpoint; the card: 4 beams (its example's max_length 512 is a
    # bound for chat-length inputs, 128 new tokens keep a bullet summary short)
    "gogamza/kobart-summarization": KnownModel(
        "mit", False, {"num_beams": 4, "max_new_tokens": 128, "min_new_tokens": 20, "no_repeat_ngram_size": 3,
                       "length_penalty": 2.0},
        config={"model_type": "bart", "vocab_size": 30000, "max_position_embeddings": 1026, "pad_token_id": 3,
                "eos_token_id": 1, "decoder_start_token_id": 1, "tokenizer_class": "PreTrainedTokenizerFast"}),
    # translation: the checkpoint's beams; 256 new tokens bound one sentence's translation
    "Helsinki-NLP/opus-mt-ko-en": KnownModel(
        "apache-2.0", False, {"max_new_tokens": 256},
        config={"model_type": "marian", "vocab_size": 61107, "decoder_start_token_id": 61106}),
    "Helsinki-NLP/opus-mt-tc-big-en-ko": KnownModel("cc-by-4.0", False, {"max_new_tokens": 256}),
    # the card: num_beams 4, max_length 84, no_repeat_ngram_size 2; min 10 keeps a bullet from being empty
    "csebuetnlp/mT5_multilingual_XLSum": KnownModel(
        "cc-by-nc-sa-4.0", True, {"num_beams": 4, "max_new_tokens": 84, "min_new_tokens": 10,
                                  "no_repeat_ngram_size": 2, "length_penalty": 1.0}),
}

PRESETS: dict[str, dict[Slot, str]] = {
    # permissive licences: usable commercially
    "recommended": {
        ("summarize", "en"): "facebook/bart-large-cnn",
        ("summarize", "ko"): "gogamza/kobart-summarization",
        ("translate", "ko-en"): "Helsinki-NLP/opus-mt-ko-en",
        ("translate", "en-ko"): "Helsinki-NLP/opus-mt-tc-big-en-ko",
    },
    # translation only: the extractive summarizer plus cross-lingual bullets
    "translate": {
        ("translate", "ko-en"): "Helsinki-NLP/opus-mt-ko-en",
        ("translate", "en-ko"): "Helsinki-NLP/opus-mt-tc-big-en-ko",
    },
    # one multilingual summarizer for both languages; CC BY-NC-SA: needs SUMMARIZER_ALLOW_NONCOMMERCIAL=1
    "noncommercial": {
        ("summarize", "en"): "csebuetnlp/mT5_multilingual_XLSum",
        ("summarize", "ko"): "csebuetnlp/mT5_multilingual_XLSum",
        ("translate", "ko-en"): "Helsinki-NLP/opus-mt-ko-en",
        ("translate", "en-ko"): "Helsinki-NLP/opus-mt-tc-big-en-ko",
    },
}


def parse_ref(ref: str) -> tuple[str, str | None]:
    """``id@revision`` -> (id, revision); a local directory or a bare id -> (ref, None)."""
    if Path(ref).is_dir():
        return ref, None
    if "@" in ref:
        model_id, revision = ref.rsplit("@", 1)
        return model_id, revision or None
    return ref, None


def download_command(ref: str) -> str:
    return f"python -m service models download {ref}"


def resolve(ref: str, models_dir: str | None = None) -> Path:
    """The local directory holding ``ref``; raises :class:`ModelNotPresent`, never downloads."""
    if Path(ref).is_dir():
        return Path(ref)
    model_id, revision = parse_ref(ref)
    if not re.fullmatch(r"[\w.-]+(/[\w.-]+)?", model_id):
        raise ModelNotPresent(
            f"model {ref!r} is neither a local directory nor a Hugging Face id",
            {"model": ref},
        )
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        path = snapshot_download(model_id, revision=revision, cache_dir=models_dir or None, local_files_only=True)
    except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError):
        where = models_dir or "the Hugging Face cache (HF_HOME)"
        raise ModelNotPresent(
            f"model {ref} is configured but not present in {where}; nothing is downloaded at run time: "
            f"run `{download_command(ref)}` first (with SUMMARIZER_MODELS_DIR set the same way)",
            {"model": ref, "command": download_command(ref)},
        ) from None
    return Path(path)


def download(ref: str, models_dir: str | None = None) -> Path:
    """Fetch ``ref`` (honours HF_HOME, HF_TOKEN and HF_ENDPOINT) into the cache; returns its path."""
    if Path(ref).is_dir():
        return Path(ref)
    require_model_libraries()
    from huggingface_hub import snapshot_download

    model_id, revision = parse_ref(ref)
    path = snapshot_download(
        model_id, revision=revision, cache_dir=models_dir or None,
        allow_patterns=["*.json", "*.safetensors", "*.model", "*.spm", "*.txt", "README.md", "*.tiktoken"],
    )
    files = {p.name for p in Path(path).iterdir()}
    if not any(name.endswith(".safetensors") for name in files):
        # older repositories ship only PyTorch pickles
        path = snapshot_download(model_id, revision=revision, cache_dir=models_dir or None,
                                 allow_patterns=["*.bin", "*.json", "*.model", "*.spm", "*.txt", "README.md"])
    return Path(path)


def _card_licence(path: Path) -> str | None:
    card = path / "README.md"
    if not card.is_file():
        return None
    head = card.read_text(encoding="utf-8", errors="replace")[:4000]
    m = re.search(r"^---\s*$(.*?)^---\s*$", head, re.S | re.M)
    if not m:
        return None
    lic = re.search(r"^licen[cs]e:\s*['\"]?([\w.+-]+)", m.group(1), re.M)
    return lic.group(1).lower() if lic else None


def is_noncommercial(licence: str) -> bool:
    return bool(re.search(r"(^|[-_ ])nc([-_ ]|$)|non-?commercial", licence.lower()))


_HUB_CACHE_DIR = re.compile(r"^models--([\w.-]+)--([\w.-]+)$")


def _read_json(file: Path) -> dict:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def identify(ref: str, path: Path) -> tuple[str | None, str]:
    """Which known checkpoint ``ref`` (at ``path``) is, and how that was found; (None, "") if none.

    A hub id names itself. A local folder is recognised, in order, by: a Hugging Face cache layout
    in its path (``models--org--name/snapshots/<commit>``); the id its ``config.json`` saved
    (``_name_or_path``) or its ``tokenizer_config.json`` (``name_or_path``); the config fields a known
    checkpoint is registered with (architecture, sizes, tokenizer class: KoBART's ``config.json``
    names no id).
    """
    model_id, _ = parse_ref(ref)
    if model_id in KNOWN_MODELS:
        return model_id, "id"
    for part in reversed(path.resolve().parts):
        m = _HUB_CACHE_DIR.match(part)
        if m and f"{m.group(1)}/{m.group(2)}" in KNOWN_MODELS:
            return f"{m.group(1)}/{m.group(2)}", f"hub cache folder {part}"
    config = _read_json(path / "config.json")
    for file, key in (("config.json", "_name_or_path"), ("tokenizer_config.json", "name_or_path")):
        named = (config if file == "config.json" else _read_json(path / file)).get(key)
        if isinstance(named, str) and named in KNOWN_MODELS:
            return named, f"{file} {key}"
    if config:
        fields = {**_read_json(path / "tokenizer_config.json"), **config}
        for known_id, known in KNOWN_MODELS.items():
            if known.config and all(fields.get(k) == v for k, v in known.config.items()):
                return known_id, "config.json fields " + ", ".join(f"{k}={v}" for k, v in known.config.items())
    return None, ""


def spec_for(ref: str, slot: Slot, path: Path) -> ModelSpec:
    """What we know about the model at ``path`` configured as ``ref`` for ``slot``.

    Generation settings: the service's defaults for the task, then what the checkpoint ships
    (:func:`~models.inference.seq2seq.checkpoint_generation`), then what the registry names on purpose
    for the checkpoint :func:`identify` recognises.
    """
    model_id, revision = parse_ref(ref)
    known_id, how = identify(ref, path)
    known = KNOWN_MODELS.get(known_id) if known_id else None
    task, lang = slot
    licence = _card_licence(path) or (known.licence if known else "unknown")
    shipped, where = checkpoint_generation(path)
    generation, sources = resolve_generation(_SUMMARY if task == "summarize" else _TRANSLATION, shipped,
                                             dict(known.generation) if known else {}, where or "checkpoint")
    return ModelSpec(
        ref=ref,
        model_id=model_id,
        revision=revision,
        task=task,
        languages=tuple(lang.split("-")),
        licence=licence,
        noncommercial=is_noncommercial(licence) or bool(known and known.noncommercial),
        prefix=known.prefix if known else "",
        generation=generation,
        generation_sources=tuple(sources.items()),
        identified_by=f"{known_id} ({how})" if known_id else "",
    )


# what any configured model needs; absent in the extractive-only install (requirements-core.txt)
MODEL_LIBRARIES = ("torch", "transformers", "huggingface_hub")


def require_model_libraries() -> None:
    """Raise :class:`ModelUnavailable` naming the missing model libraries (the slim install)."""
    import importlib.util

    def installed(name: str) -> bool:
        try:
            return importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # an import hook refusing it, or a module without a spec
            return False

    missing = [name for name in MODEL_LIBRARIES if not installed(name)]
    if missing:
        raise ModelUnavailable(
            f"a model is configured but {', '.join(missing)} is not installed: this is the extractive-only "
            "install (requirements-core.txt, the default container image); install requirements.txt "
            "(bash scripts/setup.sh) or build the image with --target models",
            {"missing": missing},
        )


def check_configured(
    configured: dict[Slot, str], models_dir: str | None = None, allow_noncommercial: bool = False
) -> dict[Slot, tuple[Path, ModelSpec]]:
    """Resolve every configured model without loading it: cheap, for fail-fast start-up."""
    if any(configured.values()):
        require_model_libraries()
    out: dict[Slot, tuple[Path, ModelSpec]] = {}
    for slot, ref in configured.items():
        if not ref:
            continue
        path = resolve(ref, models_dir)
        spec = spec_for(ref, slot, path)
        if spec.noncommercial and not allow_noncommercial:
            raise ModelNotAllowed(
                f"model {ref} is licensed {spec.licence} (non-commercial); set SUMMARIZER_ALLOW_NONCOMMERCIAL=1 "
                f"to serve it, or configure a permissively licensed model for {SLOT_SETTINGS[slot]}",
                {"model": ref, "licence": spec.licence},
            )
        out[slot] = (path, spec)
    return out


def load_configured_models(
    configured: dict[Slot, str],
    models_dir: str | None = None,
    allow_noncommercial: bool = False,
    backend: str = "transformers",
    threads: int = 1,
    batch_max_size: int = 8,
    batch_max_wait_ms: float = 10.0,
    device: str = "cpu",
    batch_coming_wait_ms: float = 250.0,
    workers: int = 1,
) -> tuple[dict[str, AbstractiveSummarizer], dict[tuple[str, str], Translator]]:
    """Load the configured models: summarizers by language, translators by (source, target).

    Each model is wrapped for dynamic batching across threads (``batch_max_size`` 1 turns it off).
    With ``auto`` on a CPU, the convertible models run with the int8 runtime that
    :func:`models.inference.auto.choose_int8` picks for this machine's CPU and memory (``workers``
    processes each loading them).
    """
    resolved = check_configured(configured, models_dir, allow_noncommercial)
    if resolved:
        device = resolve_device(device, backend)
    auto_int8 = (auto_int8_choice([path for path, _ in resolved.values()], workers)
                 if resolved and backend == "auto" and device == "cpu" else None)
    loaded: dict[Path, object] = {}  # one model serving two slots is loaded once
    summarizers: dict[str, AbstractiveSummarizer] = {}
    translators: dict[tuple[str, str], Translator] = {}
    for slot, (path, spec) in resolved.items():
        key = path.resolve()
        model = loaded.get(key)
        if model is None:
            model = load_model(path, spec, backend, models_dir, threads, device, auto_int8)
            if batch_max_size > 1:
                model = BatchingModel(model, batch_max_size, batch_max_wait_ms,
                                      batch_coming_wait_ms)
            loaded[key] = model
        model = _respec(model, spec)
        task, lang = slot
        if task == "summarize":
            summarizers[lang] = Seq2SeqSummarizer(model)  # type: ignore[arg-type]
        else:
            src, tgt = lang.split("-")
            translators[(src, tgt)] = Seq2SeqTranslator(model)  # type: ignore[arg-type]
        log.info("loaded model", extra={"model": spec.model_id, "task": task, "lang": lang,
                                        "licence": spec.licence, "backend": getattr(model, "backend", backend)})
    return summarizers, translators


def auto_int8_choice(paths: Sequence[Path], workers: int) -> tuple[str, str]:
    """``auto``'s int8 runtime on this machine's CPU for the models in ``paths`` (each loaded by each
    of ``workers`` processes), with its reason: :func:`models.inference.auto.choose_int8`."""
    from .auto import choose_int8, read_host, weights_bytes
    from .ct2 import convertible

    distinct = {Path(p).resolve(): Path(p) for p in paths}
    return choose_int8([weights_bytes(p) for p in distinct.values() if convertible(p)], read_host(workers))


# Why ``auto`` runs a convertible model with CTranslate2 on a GPU (int8_float16), or on a CPU where no
# rule was given (models.inference.auto.choose_int8 gives one for load_configured_models)
AUTO_CT2_REASON = "auto: CTranslate2 int8, as the architecture converts"


def resolve_device(requested: str, backend: str = "auto") -> str:
    """``cpu`` or ``cuda`` for ``SUMMARIZER_DEVICE`` (``auto``: the GPU when torch sees one, except
    for ``transformers-int8``, which runs on the CPU only)."""
    if requested not in ("auto", "cpu", "cuda"):
        raise ValueError(f"unknown device {requested!r}: auto, cpu or cuda")
    if requested == "cpu" or (requested == "auto" and backend == "transformers-int8"):
        return "cpu"
    if _cuda_visible(backend):
        return "cuda"
    if requested == "cuda":
        raise ModelUnavailable(
            "SUMMARIZER_DEVICE=cuda but no CUDA device is visible to torch; use auto or cpu",
            {"device": requested},
        )
    return "cpu"


def _cuda_visible(backend: str) -> bool:
    """Whether a GPU is usable: asked of CTranslate2 where it runs the models (no torch import),
    else of torch."""
    if backend in ("ctranslate2", "auto"):
        try:
            import ctranslate2

            return ctranslate2.get_cuda_device_count() > 0
        except ImportError:
            pass
    import torch

    return torch.cuda.is_available()


def set_torch_threads(threads: int) -> None:
    """Intra-op threads for this process's torch, and one inter-op thread: a worker's threads already
    serve requests in parallel."""
    import torch

    torch.set_num_threads(max(1, threads))
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # only settable before the first inter-op parallel work, once per process
        pass


def ct2_cache_dir(models_dir: str | None) -> Path:
    """Where CTranslate2 conversions live: beside the models, else the user's cache."""
    if models_dir:
        return Path(models_dir) / "ctranslate2"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "bullet-summarizer" / "ctranslate2"


def load_model(
    path: Path,
    spec: ModelSpec,
    backend: str = "transformers",
    models_dir: str | None = None,
    threads: int = 1,
    device: str = "cpu",
    auto_int8: tuple[str, str] | None = None,
) -> Seq2SeqModel:
    """Load one model with the chosen backend (``auto``: where the architecture converts, the int8
    runtime ``auto_int8`` names with its reason, by default CTranslate2; else transformers).

    The model's ``backend_reason`` says why that backend runs it (``GET /v1/models`` shows it)."""
    runtime, reason = _runtime(path, spec, backend, auto_int8)
    model: Seq2SeqModel
    if runtime == "ctranslate2":
        from .ct2 import CT2Model

        model = CT2Model(path, spec, ct2_cache_dir(models_dir), device=device, threads=threads)
    else:
        set_torch_threads(threads)  # only where torch runs the model: a CTranslate2 worker never imports it
        torch_class = QuantizedSeq2SeqModel if runtime == "transformers-int8" else Seq2SeqModel
        model = torch_class(path, spec, device)
    model.backend_reason = reason
    return model


def _runtime(path: Path, spec: ModelSpec, backend: str, auto_int8: tuple[str, str] | None) -> tuple[str, str]:
    """The runtime that loads ``path`` for ``backend`` (``ctranslate2``, ``transformers`` or
    ``transformers-int8``) and why, as :func:`load_model` says it in ``backend_reason``."""
    if backend not in ("ctranslate2", "auto"):
        return backend, f"SUMMARIZER_BACKEND={backend}"
    from .ct2 import convertible

    if not convertible(path):
        if backend == "ctranslate2":
            raise ModelNotPresent(
                f"model {spec.ref} has an architecture CTranslate2 does not convert; "
                f"use SUMMARIZER_BACKEND=transformers or auto",
                {"model": spec.ref},
            )
        return "transformers", "auto: transformers, as CTranslate2 does not convert this architecture"
    if backend == "ctranslate2":
        return "ctranslate2", "SUMMARIZER_BACKEND=ctranslate2"
    return auto_int8 or ("ctranslate2", AUTO_CT2_REASON)


def prepare_backend(path: Path, backend: str, models_dir: str | None = None) -> Conversion | None:
    """Do ahead of time what loading ``path`` with ``backend`` would do on first start.

    For ``ctranslate2`` and ``auto`` that is the CTranslate2 conversion (int8), written where the
    service looks for it, so that a baked image or a prepared volume starts without converting; it
    runs in a child process, whose peak memory the result reports. Returns None where the backend
    needs nothing (or cannot convert the architecture: ``auto`` then serves it with transformers).
    """
    if backend not in ("ctranslate2", "auto"):
        return None
    from .ct2 import convert_measured, convertible, default_compute_type, quantization_for

    if not convertible(path):
        return None
    return convert_measured(path, ct2_cache_dir(models_dir), quantization_for(default_compute_type("cpu")))


def _respec(model: object, spec: ModelSpec) -> object:
    """A view of a loaded model that reports ``spec`` (same weights and batcher, other slot)."""
    if getattr(model, "spec", None) == spec:
        return model
    return _SpecView(model, spec)


class _SpecView:
    def __init__(self, model: object, spec: ModelSpec) -> None:
        self._model = model
        self.spec = spec

    def __getattr__(self, name: str) -> object:
        return getattr(self._model, name)

    @property
    def batcher(self) -> object:
        """The batcher behind the viewed model (models.inference.announce.Batched), if any."""
        return getattr(self._model, "batcher", None)

    def generate(self, texts, settings=None):  # noqa: ANN001, ANN201
        return self._model.generate(texts, settings or self._model.clamp(self.spec.generation))
