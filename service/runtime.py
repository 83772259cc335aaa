"""The per-worker engine: built once after fork, warmed up, then shared by the worker's threads."""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from models import Engine, EngineConfig, NotReady
from models.contracts import SummaryEngine
from models.pipeline import EXTRACTIVE_ID

from .config import Settings
from .schemas import ModelInfo

log = logging.getLogger("service.runtime")

def configured_models(settings: Settings) -> dict[tuple[str, str], str]:
    """Model per slot: the SUMMARIZER_MODEL_* variable, else the preset's choice, else none."""
    from models.errors import ModelNotPresent
    from models.inference.registry import PRESETS

    if settings.preset and settings.preset not in PRESETS:
        raise ModelNotPresent(f"SUMMARIZER_PRESET={settings.preset!r} is not a preset; known: {', '.join(PRESETS)}")
    preset = PRESETS.get(settings.preset, {})
    explicit = {
        ("summarize", "en"): settings.model_summarize_en,
        ("summarize", "ko"): settings.model_summarize_ko,
        ("translate", "ko-en"): settings.model_translate_ko_en,
        ("translate", "en-ko"): settings.model_translate_en_ko,
    }
    return {slot: ref or preset.get(slot, "") for slot, ref in explicit.items()}


def check_models(settings: Settings) -> None:
    """Fail fast: every configured model is on disk and allowed (raises the domain error)."""
    from models.inference.registry import check_configured

    check_configured(configured_models(settings), settings.models_dir or None, settings.allow_noncommercial)


def build_engine(settings: Settings, base: Engine | None = None) -> SummaryEngine:
    """The production engine for ``settings``: kiwipiepy, lingua, and the configured models.

    ``base`` lends its (expensive) sentence splitter and language detector, e.g. in tests.
    """
    from models.inference.registry import load_configured_models

    summarizers, translators = load_configured_models(
        configured_models(settings),
        models_dir=settings.models_dir or None,
        allow_noncommercial=settings.allow_noncommercial,
        backend=settings.backend,
        threads=settings.torch_threads_effective,
        batch_max_size=settings.batch_max_size,
        batch_max_wait_ms=settings.batch_max_wait_ms,
        batch_coming_wait_ms=settings.batch_coming_wait_ms,
        device=settings.device,
        workers=settings.workers,
    )
    config = EngineConfig(max_chars={"en": settings.max_chars_en, "ko": settings.max_chars_ko},
                          ceiling_ratio=settings.ceiling_ratio)
    engine = Engine(
        splitter=base.splitter if base else None,
        detector=base.detector if base else None,
        summarizers=summarizers,
        translators=translators,
        config=config,
    )
    return with_guard(with_cache(engine, settings), settings)


def with_guard(engine: SummaryEngine, settings: Settings) -> SummaryEngine:
    """Bound the engine calls in flight in this worker and give each a deadline."""
    from models.guard import GuardedEngine

    return GuardedEngine(engine, settings.max_inflight_effective, settings.request_timeout_s)


def with_cache(engine: Engine, settings: Settings) -> SummaryEngine:
    """Wrap ``engine`` in the configured result cache (Redis, else an LRU; none when size is 0)."""
    from models.cache import CachedEngine, LRUCache, RedisCache

    if settings.cache_redis_url:
        return CachedEngine(engine, RedisCache(settings.cache_redis_url, settings.cache_ttl_s))
    if settings.cache_size > 0:
        return CachedEngine(engine, LRUCache(settings.cache_size))
    return engine


class EngineHolder:
    """Owns the worker's :class:`Engine` and its readiness.

    ``state`` goes loading -> ready (after one warm-up call) or failed. Requests that need the
    engine before it is ready get :class:`NotReady` (503 with Retry-After).
    """

    def __init__(self, factory: Callable[[], SummaryEngine]) -> None:
        self._factory = factory
        self._engine: SummaryEngine | None = None
        self.state = "loading"
        self.public_error: str | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._engine is not None:
                return
            try:
                engine = self._factory()
                if not engine.warmed:
                    engine.warm_up()
            except Exception:
                self.state = "failed"
                # the open /readyz says only that loading failed; the reason, which can name paths and
                # internals, goes to the log with this worker's id
                self.public_error = "the models failed to load in this worker; see the server log"
                log.exception("engine failed to load", extra={"worker_pid": os.getpid()})
                raise
            self._engine = engine
            self.state = "ready"

    def load_in_background(self) -> threading.Thread:
        def run() -> None:
            try:
                self.load()
            except Exception:  # noqa: BLE001 - already logged; /readyz reports it
                pass

        t = threading.Thread(target=run, name="engine-loader", daemon=True)
        t.start()
        return t

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def engine(self) -> SummaryEngine:
        if self._engine is None:
            raise NotReady(f"the summarizer is {self.state}; retry shortly", {"state": self.state})
        return self._engine

    def models_info(self) -> list[ModelInfo]:
        engine = self.engine()
        infos = [
            ModelInfo(task="summarize", languages=[lang], model_id=EXTRACTIVE_ID, licence="MIT",
                      kind="builtin")
            for lang in ("ko", "en")
        ]
        for lang, summarizer in sorted(engine.summarizers.items()):
            infos.append(ModelInfo(task="summarize", languages=[lang], kind="seq2seq",
                                   **_card(summarizer)))
        for (src, tgt), translator in sorted(engine.translators.items()):
            infos.append(ModelInfo(task="translate", languages=[src, tgt], kind="seq2seq",
                                   **_card(translator)))
        return infos


def _card(model: object) -> dict:
    spec = getattr(model, "spec", None)
    return {
        "model_id": getattr(model, "model_id", "unknown"),
        "revision": getattr(spec, "revision", None),
        "licence": getattr(spec, "licence", None) or "unknown",
        "backend": getattr(model, "backend", None),
        "backend_reason": getattr(model, "backend_reason", None),
        "device": getattr(model, "device", None),
    }
