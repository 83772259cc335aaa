"""Hugging Face seq2seq inference for summaries and translation: preprocess -> forward -> postprocess.

transformers 5 removed the summarization and translation pipelines, so this calls
``AutoModelForSeq2SeqLM.generate()`` directly, under ``torch.inference_mode()``, in batches.
Weights load with ``local_files_only=True`` from a directory the registry resolved (hence the
``nosec B615``: nothing is fetched, so there is no revision to pin here). Long inputs are never
silently truncated: :class:`Seq2SeqSummarizer` chunks on sentence
boundaries to the model's input limit and merges the chunk summaries (map-reduce).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..contracts import AbstractiveSummary
from ..metrics import observe_inference
from . import torch_thread

log = logging.getLogger("models.inference.seq2seq")


@dataclass(frozen=True, slots=True)
class GenerationSettings:
    """Decoding settings for one model, resolved (:func:`resolve_generation`); lengths count new tokens."""

    num_beams: int = 4
    max_new_tokens: int = 128
    min_new_tokens: int = 0
    no_repeat_ngram_size: int = 3
    length_penalty: float = 1.0
    early_stopping: bool = True
    batch_size: int = 8

    def generate_kwargs(self) -> dict[str, Any]:
        kwargs = asdict(self)
        kwargs.pop("batch_size")
        if kwargs["num_beams"] <= 1:
            kwargs.pop("early_stopping")
            kwargs.pop("length_penalty")
        return kwargs


# the generation settings a checkpoint can carry that the service uses (generation_config.json, or the
# legacy keys of config.json that transformers reads when that file is absent)
CHECKPOINT_KEYS = ("num_beams", "max_length", "min_length", "max_new_tokens", "min_new_tokens",
                   "no_repeat_ngram_size", "length_penalty", "early_stopping")


def checkpoint_generation(path: str | Path) -> tuple[dict[str, Any], str]:
    """The generation settings the checkpoint at ``path`` ships, and the file they come from.

    ``generation_config.json`` where present (what transformers' ``generate`` starts from), else the
    generation keys of ``config.json`` (older checkpoints, which transformers reads the same way).
    Plain JSON, so that the CTranslate2 backend honours them without transformers.
    """
    for name in ("generation_config.json", "config.json"):
        file = Path(path) / name
        if file.is_file():
            data = json.loads(file.read_text(encoding="utf-8"))
            found = {k: data[k] for k in CHECKPOINT_KEYS if data.get(k) is not None}
            if name == "generation_config.json" or found:
                return found, name
    return {}, ""


def resolve_generation(
    defaults: GenerationSettings, checkpoint: dict[str, Any], named: dict[str, Any], where: str = "checkpoint"
) -> tuple[GenerationSettings, dict[str, str]]:
    """The settings a model runs with, and where each came from.

    Order: the service's defaults for the task, overridden by what the checkpoint ships (``where``:
    its file), overridden by what the registry names on purpose for that checkpoint (``named``).
    A checkpoint's ``max_length``/``min_length`` count the decoder start token (transformers, for an
    encoder-decoder model): ``max_new_tokens`` is ``max_length - 1``.
    """
    values = asdict(defaults)
    sources = {k: "service default" for k in values}
    from_checkpoint = dict(checkpoint)
    for total, new in (("max_length", "max_new_tokens"), ("min_length", "min_new_tokens")):
        if total in from_checkpoint:
            length = from_checkpoint.pop(total)
            from_checkpoint.setdefault(new, max(0, int(length) - 1))
    for layer, label in ((from_checkpoint, where), (named, "registry (named for this model)")):
        for key, value in layer.items():
            if key in values:
                values[key] = type(values[key])(value)
                sources[key] = label
    return GenerationSettings(**values), sources


def input_frame(config: object, probe: Sequence[int]) -> tuple[list[int], list[int]]:
    """Token ids to put before and after the tokenizer's output, where the model needs them and the
    tokenizer does not add them itself.

    BART is trained on ``<s> … </s>``: bart-large-cnn's tokenizer adds them, KoBART's
    (``gogamza/kobart-summarization``, a bare ``tokenizer.json`` with no post-processor) does not, and
    its model card adds them by hand (``[bos] + tokenizer.encode(text) + [eos]``). ``probe`` is the
    tokenizer's ids for a short text with its special tokens. Other families (Marian, T5: ``</s>``
    only) are left as their tokenizers frame them.
    """
    if getattr(config, "model_type", None) != "bart":
        return [], []
    bos, eos = getattr(config, "bos_token_id", None), getattr(config, "eos_token_id", None)
    head = [bos] if isinstance(bos, int) and (not probe or probe[0] != bos) else []
    tail = [eos] if isinstance(eos, int) and (not probe or probe[-1] != eos) else []
    return head, tail


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """What a configured model is: where it comes from, what it does, under which licence."""

    ref: str  # id, id@revision or a local directory, as configured
    model_id: str
    revision: str | None
    task: str  # "summarize" | "translate"
    languages: tuple[str, ...]  # (lang,) or (source, target)
    licence: str = "unknown"
    noncommercial: bool = False
    prefix: str = ""  # e.g. "summarize: " for T5 checkpoints trained with task prefixes
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    # where each generation setting came from (checkpoint file, registry, service default)
    generation_sources: tuple[tuple[str, str], ...] = ()
    identified_by: str = ""  # how the registry recognised the checkpoint ("" where it did not)


def token_limits(model_max_length: int | None, config: object) -> tuple[int, int]:
    """(input, output) token limits from the tokenizer's ``model_max_length`` and the model config."""
    limits = [model_max_length]
    for name in ("max_position_embeddings", "n_positions"):
        value = getattr(config, name, None)
        if isinstance(value, int):
            limits.append(value)
    # T5 has relative positions and no hard limit; its tokenizer says 512.
    bounded = [v for v in limits if v and v < 1_000_000]
    max_input = int(min(bounded)) if bounded else 512
    # learned/sinusoidal decoder positions bound the output too (T5 has none)
    positions = getattr(config, "max_position_embeddings", None)
    return max_input, int(positions) - 2 if isinstance(positions, int) else 1024


class Seq2SeqModel:
    """A tokenizer and a seq2seq model loaded from a local directory, with batched ``generate``.

    The transformers backend; :class:`models.inference.ct2.CT2Model` swaps only the forward step. Safe to
    call from several threads: torch modules are, and the tokenizer is guarded by a lock.
    """

    backend = "transformers"
    backend_reason: str | None = None  # why this backend runs the model (models.inference.registry.load_model)

    def __init__(self, path: str | Path, spec: ModelSpec, device: str = "cpu") -> None:
        from transformers import AutoConfig, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.spec = spec
        self.device = device  # "cpu" or "cuda"
        self.model_id = spec.model_id if spec.revision is None else f"{spec.model_id}@{spec.revision}"
        self.path = Path(path)
        self.tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)  # nosec B615
        self.config = AutoConfig.from_pretrained(self.path, local_files_only=True)  # nosec B615
        self._tok_lock = threading.Lock()
        self.max_input_tokens, self.max_output_tokens = token_limits(self.tokenizer.model_max_length, self.config)
        self.frame = input_frame(self.config, self.tokenizer("a")["input_ids"])
        pad = self.tokenizer.pad_token_id
        self.pad_token_id = pad if pad is not None else getattr(self.config, "pad_token_id", None) or 0
        torch_thread.run(self._load_weights)  # loading and generating on one thread (torch_thread)

    def _load_weights(self) -> None:
        import torch
        from transformers import AutoModelForSeq2SeqLM

        self._torch = torch
        self.model = AutoModelForSeq2SeqLM.from_pretrained(self.path, local_files_only=True).eval()  # nosec B615
        if self.device != "cpu":
            self.model = self.model.to(self.device)

    # preprocess
    def input_ids(self, texts: Sequence[str], truncate: bool = False) -> list[list[int]]:
        """The ids the model reads for each text: the tokenizer's, framed as the checkpoint expects
        (:func:`input_frame`); ``truncate`` cuts them to the input limit, frame kept (callers chunk to
        ``max_input_tokens`` first: truncation only guards the model)."""
        head, tail = self.frame
        room = self.max_input_tokens - len(head) - len(tail)
        with self._tok_lock:
            if truncate:
                ids = self.tokenizer([self.spec.prefix + t for t in texts], truncation=True,
                                     max_length=room)["input_ids"]
            else:
                ids = self.tokenizer([self.spec.prefix + t for t in texts])["input_ids"]
        return [head + list(x) + tail for x in ids]

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(x) for x in self.input_ids(texts)]

    def _encode(self, texts: Sequence[str]) -> dict[str, Any]:
        # padded here, not by the tokenizer: KoBART's has no pad token (its config names the id)
        ids = self.input_ids(texts, truncate=True)
        width = max(len(x) for x in ids)
        torch = self._torch
        input_ids = torch.tensor([x + [self.pad_token_id] * (width - len(x)) for x in ids], dtype=torch.long)
        mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in ids], dtype=torch.long)
        batch = {"input_ids": input_ids, "attention_mask": mask}
        return {k: v.to(self.device) for k, v in batch.items()} if self.device != "cpu" else batch

    # forward
    def generate_kwargs(self, settings: GenerationSettings) -> dict[str, Any]:
        """``generate`` arguments for ``settings``, in the checkpoint's own terms: where its generation
        config counts lengths as ``max_length``/``min_length`` (bart-large-cnn: 142/56), they are passed
        that way (new tokens + the decoder start token), so that transformers sees one length setting,
        not two, and does not warn that one "will take precedence"."""
        kwargs = settings.generate_kwargs()
        shipped = getattr(self.model, "generation_config", None)
        for total, new in (("max_length", "max_new_tokens"), ("min_length", "min_new_tokens")):
            if getattr(shipped, new, None) is None:
                kwargs[total] = kwargs.pop(new) + 1
        kwargs.setdefault("pad_token_id", self.pad_token_id)
        return kwargs

    def _forward(self, batch: dict[str, Any], settings: GenerationSettings) -> Any:
        return torch_thread.run(self._generate, batch, settings)

    def _generate(self, batch: dict[str, Any], settings: GenerationSettings) -> Any:
        with self._torch.inference_mode():
            return self.model.generate(**batch, **self.generate_kwargs(settings))

    # postprocess
    def _decode(self, output: Any) -> list[str]:
        with self._tok_lock:
            texts = self.tokenizer.batch_decode(output, skip_special_tokens=True,
                                                clean_up_tokenization_spaces=False)
        return [" ".join(t.split()) for t in texts]

    def _run(self, texts: Sequence[str], settings: GenerationSettings) -> list[str]:
        """One batch: preprocess -> forward -> postprocess."""
        return self._decode(self._forward(self._encode(texts), settings))

    def clamp(self, settings: GenerationSettings | None) -> GenerationSettings:
        settings = settings or self.spec.generation
        if settings.max_new_tokens > self.max_output_tokens:
            settings = replace(settings, max_new_tokens=self.max_output_tokens,
                               min_new_tokens=min(settings.min_new_tokens, self.max_output_tokens))
        return settings

    def generate(self, texts: Sequence[str], settings: GenerationSettings | None = None) -> list[str]:
        """Outputs for ``texts`` in order, run in length-sorted batches of ``batch_size``."""
        settings = self.clamp(settings)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out: list[str] = [""] * len(texts)
        for start in range(0, len(order), settings.batch_size):
            idx = order[start : start + settings.batch_size]
            t0 = time.perf_counter()
            outputs = self._run([texts[i] for i in idx], settings)
            observe_inference(self.model_id, time.perf_counter() - t0, backend=self.backend)
            for i, text in zip(idx, outputs):
                out[i] = text
        return out


class QuantizedSeq2SeqModel(Seq2SeqModel):
    """transformers with torch dynamic int8 quantization of the Linear layers (CPU only).

    Measured here as the fastest CPU option for opus-mt-sized Marian, at more memory than fp32
    during loading; outputs can differ slightly from fp32.
    """

    backend = "transformers-int8"

    def _load_weights(self) -> None:
        import torch

        if self.device != "cpu":
            raise ValueError("transformers-int8 (torch dynamic quantization) runs on the CPU only")
        super()._load_weights()
        self.model = torch.ao.quantization.quantize_dynamic(self.model, {torch.nn.Linear}, dtype=torch.qint8)


class Seq2SeqTranslator:
    """A :class:`~models.pipeline.Translator` backed by a seq2seq model."""

    def __init__(self, model: Seq2SeqModel) -> None:
        self.model = model
        self.model_id = model.model_id
        self.spec = model.spec
        self.backend = model.backend
        self.backend_reason = getattr(model, "backend_reason", None)
        self.device = getattr(model, "device", "cpu")

    @property
    def batcher(self) -> object:
        """The batcher this translator's calls go through (models.inference.announce.Batched), if any."""
        return getattr(self.model, "batcher", None)

    def translate(self, texts: Sequence[str]) -> list[str]:
        # an over-long sentence is split into pieces that fit, translated, and rejoined
        pieces: list[str] = []
        owners: list[int] = []
        for i, text in enumerate(texts):
            for piece in split_to_fit(text, self.model):
                pieces.append(piece)
                owners.append(i)
        outputs = self.model.generate(pieces) if pieces else []
        joined: list[list[str]] = [[] for _ in texts]
        for owner, out in zip(owners, outputs):
            joined[owner].append(out)
        return [" ".join(parts) for parts in joined]


def split_to_fit(text: str, model: Seq2SeqModel, margin: int = 8) -> list[str]:
    """``text`` as one piece, or split at word boundaries into pieces within the input limit."""
    limit = model.max_input_tokens - margin
    if model.count_tokens([text])[0] <= limit:
        return [text]
    words = text.split()
    pieces: list[str] = []
    current: list[str] = []
    for word in words:
        trial = " ".join(current + [word])
        if current and model.count_tokens([trial])[0] > limit:
            pieces.append(" ".join(current))
            current = [word]
        else:
            current.append(word)
    if current:
        pieces.append(" ".join(current))
    # a single enormous "word" (no spaces) is split by characters
    out: list[str] = []
    for piece in pieces:
        while model.count_tokens([piece])[0] > limit and len(piece) > 1:
            cut = max(1, len(piece) // 2)
            while cut > 1 and model.count_tokens([piece[:cut]])[0] > limit:
                cut //= 2
            out.append(piece[:cut])
            piece = piece[cut:]
        out.append(piece)
    return [p for p in out if p.strip()]


def chunk_sentences(sentences: Sequence[str], model: Seq2SeqModel, margin: int = 8) -> list[str]:
    """Group sentences, in order, into chunks that each fit the model's input limit."""
    limit = model.max_input_tokens - margin
    units: list[str] = []
    for sent in sentences:
        units.extend(split_to_fit(sent, model, margin))
    counts = model.count_tokens(units) if units else []
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for unit, n in zip(units, counts):
        # token counts of joined text are close to the sum; re-check at the boundary
        if current and used + n > limit:
            chunks.append(" ".join(current))
            current, used = [], 0
        current.append(unit)
        used += n
    if current:
        chunks.append(" ".join(current))
    return chunks


class Seq2SeqSummarizer:
    """An :class:`~models.pipeline.AbstractiveSummarizer` with map-reduce over long inputs."""

    def __init__(self, model: Seq2SeqModel, max_rounds: int = 3) -> None:
        self.model = model
        self.model_id = model.model_id
        self.spec = model.spec
        self.backend = model.backend
        self.backend_reason = getattr(model, "backend_reason", None)
        self.device = getattr(model, "device", "cpu")
        self.max_rounds = max_rounds

    @property
    def batcher(self) -> object:
        """The batcher this summarizer's calls go through (models.inference.announce.Batched), if any."""
        return getattr(self.model, "batcher", None)

    def summarize(self, sentences: Sequence[str]) -> AbstractiveSummary:
        chunks = chunk_sentences(sentences, self.model)
        n_chunks = len(chunks)
        summaries = self.model.generate(chunks)
        rounds = 1
        # reduce: summarize the chunk summaries together while there is more than one
        while len(summaries) > 1 and rounds < self.max_rounds:
            merged = chunk_sentences([s for s in summaries if s.strip()], self.model)
            if len(merged) >= len(summaries):  # no progress: keep the chunk summaries as they are
                break
            summaries = self.model.generate(merged)
            rounds += 1
        text = "\n".join(s for s in summaries if s.strip())
        return AbstractiveSummary(text=text, chunks=n_chunks)


def with_generation(spec: ModelSpec, **changes: Any) -> ModelSpec:
    """``spec`` with some generation settings changed."""
    return replace(spec, generation=replace(spec.generation, **changes))
