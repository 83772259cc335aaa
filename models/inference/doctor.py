"""``python -m service models check``: load each configured model offline, run one short generation,
and say what it runs with (backend, special tokens, generation settings and where each came from,
position limit, memory, seconds per request), or name the file or setting that is off.
"""
from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SummarizerError
from .registry import (
    PRESETS,
    SLOT_SETTINGS,
    Slot,
    auto_int8_choice,
    load_model,
    require_model_libraries,
    resolve,
    resolve_device,
    spec_for,
)

PROBES = {"en": "The city council approved the new transit plan on Tuesday. Construction starts next year.",
          "ko": "시의회는 화요일 새 교통 계획을 승인했다. 공사는 내년에 시작된다."}


@dataclass
class CheckResult:
    """One model's report: ``error`` set (and the rest partly empty) where it could not be checked."""

    ref: str
    setting: str
    path: str = ""
    backend: str = ""
    identified_by: str = ""
    licence: str = ""
    frame: str = ""
    special: dict[str, str] = field(default_factory=dict)
    generation: list[str] = field(default_factory=list)
    max_input_tokens: int = 0
    max_output_tokens: int = 0
    load_s: float = 0.0
    seconds_per_request: float = 0.0
    rss_mb: float = 0.0
    output: str = ""
    error: str = ""

    def lines(self) -> list[str]:
        head = f"{self.setting}={self.ref}"
        if self.error:
            return [head, f"  ERROR: {self.error}"]
        return [
            head,
            f"  path {self.path}",
            f"  backend {self.backend}; licence {self.licence}; "
            f"identified {self.identified_by or 'no (generic settings for the task)'}",
            f"  special tokens: {', '.join(f'{k} {v}' for k, v in self.special.items())}",
            f"  input frame: {self.frame}",
            f"  generation: {'; '.join(self.generation)}",
            f"  position limit {self.max_input_tokens} input tokens, {self.max_output_tokens} output tokens",
            f"  loaded in {self.load_s:.1f} s; {self.seconds_per_request:.2f} s/request (one short text); "
            f"process RSS {self.rss_mb:.0f} MB",
            f"  output: {self.output[:100]!r}",
        ]


def _rss_mb() -> float:
    try:
        with open(f"/proc/{os.getpid()}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _token(model: object, token_id: object) -> str:
    if not isinstance(token_id, int):
        return "none"
    tok = getattr(model, "tokenizer")  # noqa: B009 - both backends' tokenizers answer this call
    return f"{tok.convert_ids_to_tokens([token_id])[0]} ({token_id})"


def check_model(ref: str, slot: Slot, models_dir: str | None, backend: str, threads: int = 1,
                auto_int8: tuple[str, str] | None = None) -> CheckResult:
    """Load ``ref`` for ``slot`` as the service would (offline) and run one short generation
    (``auto_int8``: auto's int8 runtime for the models checked together, as the service would choose it)."""
    result = CheckResult(ref=ref, setting=SLOT_SETTINGS[slot])
    try:
        require_model_libraries()
        path = resolve(ref, models_dir)
        result.path = str(path)
        if not (Path(path) / "config.json").is_file():
            raise SummarizerError(f"{path / 'config.json'} is missing: not a model folder")
        spec = spec_for(ref, slot, path)
        t0 = time.perf_counter()
        model = load_model(path, spec, backend, models_dir, threads, auto_int8=auto_int8)
        result.load_s = time.perf_counter() - t0
    except SummarizerError as err:
        result.error = err.message
        return result
    except Exception as err:  # noqa: BLE001 - a doctor reports what failed, with the file it read
        result.error = f"{type(err).__name__}: {str(err).strip().splitlines()[-1] if str(err).strip() else ''}"
        return result
    config = model.config
    result.backend = model.backend
    result.identified_by = spec.identified_by
    result.licence = spec.licence
    result.special = {name: _token(model, getattr(config, f"{name}_token_id", None))
                      for name in ("bos", "eos", "pad", "decoder_start", "forced_bos")}
    head, tail = model.frame
    probe = PROBES[slot[1].split("-")[0]]
    ids = model.input_ids([probe])[0]
    first, last = list(model.tokenizer.convert_ids_to_tokens([ids[0], ids[-1]]))
    how = "framed by the service" if head or tail else "as the tokenizer adds them"
    result.frame = f"{first} ({ids[0]}) … {last} ({ids[-1]}), {how}"
    sources = dict(spec.generation_sources)
    settings = model.clamp(None)
    result.generation = [f"{k} {v} ({sources.get(k, 'service default')})"
                         for k, v in ((k, getattr(settings, k)) for k in
                                      ("num_beams", "max_new_tokens", "min_new_tokens", "no_repeat_ngram_size",
                                       "length_penalty"))]
    result.max_input_tokens, result.max_output_tokens = model.max_input_tokens, model.max_output_tokens
    try:
        t0 = time.perf_counter()
        result.output = model.generate([probe])[0]
        result.seconds_per_request = time.perf_counter() - t0
    except Exception as err:  # noqa: BLE001
        result.error = f"generation failed: {type(err).__name__}: {err}"
    result.rss_mb = _rss_mb()
    return result


def check_configured(configured: dict[Slot, str], models_dir: str | None, backend: str,
                     only: Sequence[str] = (), threads: int = 1, workers: int = 1) -> list[CheckResult]:
    """:func:`check_model` for each configured model (``only``: those refs or settings, or refs not
    configured, checked for the slot whose task and language they are configured for, else summarize/en)."""
    wanted = list(only)
    jobs: list[tuple[str, Slot]] = []
    for slot, ref in configured.items():
        if ref and (not wanted or ref in wanted or SLOT_SETTINGS[slot] in wanted):
            jobs.append((ref, slot))
    presets = {ref: slot for slots in PRESETS.values() for slot, ref in slots.items()}
    for ref in wanted:
        if ref not in configured.values() and ref not in SLOT_SETTINGS.values():
            jobs.append((ref, presets.get(ref, ("summarize", "en"))))
    auto_int8 = None
    if backend == "auto" and resolve_device("auto", backend) == "cpu":  # as the service would choose it
        paths = []
        for ref, _ in jobs:
            with contextlib.suppress(Exception):  # a model that does not resolve is reported by check_model
                paths.append(resolve(ref, models_dir))
        auto_int8 = auto_int8_choice(paths, workers)
    return [check_model(ref, slot, models_dir, backend, threads, auto_int8) for ref, slot in jobs]
