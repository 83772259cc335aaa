"""Result cache for summaries: a size-bounded in-process LRU, or Redis shared by several replicas.

The key covers everything that changes an answer: a hash of the text, the request parameters,
the model ids and revisions, the backend and the code's cache version. A cache is a wrapper
around the engine (:class:`CachedEngine`), not an ``if`` inside the pipeline.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import asdict
from typing import Any, Protocol

from prometheus_client import Counter

from .contracts import (
    EngineWrapper,
    SummarizeRequest,
    SummaryResult,
    TranslationResult,
)
from .metrics import observe_cache
from .pipeline import Engine
from .text.bullets import DEFAULT_CEILING_RATIO, Bullet
from .text.language import Detection
from .text.sentences import Sentence

CACHE_VERSION = "2"  # 2: results carry max_chars and fallback
log = logging.getLogger("models.cache")
SHARED_STORE_ERRORS = Counter(
    "summarizer_shared_store_errors_total",
    "Calls to Redis (cache, ratelimit) or the shared rate-limit file that failed; the service went on without",
    ["component"],
)


class StoreHealth:
    """Counts failed calls to a shared store in ``summarizer_shared_store_errors_total`` and logs an
    outage once per process: an error at its first failure, a warning when the store answers again."""

    def __init__(self, component: str, what: str) -> None:
        self.component = component
        self.what = what
        self.failures = 0  # in the current outage
        self._lock = threading.Lock()
        SHARED_STORE_ERRORS.labels(component=component)  # listed in /metrics at 0 before any failure

    def failed(self, err: Exception) -> None:
        SHARED_STORE_ERRORS.labels(component=self.component).inc()
        with self._lock:
            self.failures += 1
            first = self.failures == 1
        if first:
            log.error("%s unavailable (%s: %s); going on without it until it answers again",
                      self.what, type(err).__name__, err, extra={"component": self.component})

    def ok(self) -> None:
        if self.failures:  # unlocked read first: the common path takes no lock
            with self._lock:
                failures, self.failures = self.failures, 0
            if failures:
                log.warning("%s answers again after %d failed call(s)", self.what, failures,
                            extra={"component": self.component})


class Cache(Protocol):
    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...


class LRUCache:
    """At most ``max_entries`` values, least recently used evicted first; thread-safe."""

    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def set(self, key: str, value: str) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


class RedisCache:
    """Values in Redis under ``prefix``, expiring after ``ttl_s``; errors degrade to a miss."""

    def __init__(self, url: str, ttl_s: int = 86_400, prefix: str = "bullets:") -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.ttl_s = ttl_s
        self.prefix = prefix
        self.health = StoreHealth("cache", what="the Redis result cache")

    def get(self, key: str) -> str | None:
        import redis

        try:
            value = self._client.get(self.prefix + key)
        except redis.RedisError as err:
            self.health.failed(err)
            return None
        self.health.ok()
        return value.decode("utf-8") if isinstance(value, bytes) else value

    def set(self, key: str, value: str) -> None:
        import redis

        try:
            self._client.set(self.prefix + key, value.encode("utf-8"), ex=self.ttl_s)
        except redis.RedisError as err:
            self.health.failed(err)
            return
        self.health.ok()

    def ping(self) -> bool:
        return bool(self._client.ping())


def cache_key(
    req: SummarizeRequest, model_ids: dict[str, str], backend: str, max_chars: dict[str, int],
    ceiling_ratio: float = DEFAULT_CEILING_RATIO,
) -> str:
    text_hash = hashlib.sha256(req.text.encode("utf-8")).hexdigest()
    html_hash = hashlib.sha256(req.html.encode("utf-8", "surrogatepass")).hexdigest() if req.html is not None else None
    params = {
        "v": CACHE_VERSION, "text": text_hash, "html": html_hash, "title": req.title, "source_lang": req.source_lang,
        "target_lang": req.target_lang, "max_bullets": req.max_bullets, "method": req.method,
        "style": req.style, "request_max_chars": req.max_chars,
        "models": model_ids, "backend": backend, "max_chars": max_chars, "ceiling_ratio": ceiling_ratio,
    }
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()


def result_to_json(result: SummaryResult) -> str:
    return json.dumps(asdict(result), ensure_ascii=False)


def result_from_json(raw: str) -> SummaryResult:
    data: dict[str, Any] = json.loads(raw)
    data["bullets"] = [Bullet(b["text"], [Sentence(**s) for s in b["sources"]]) for b in data["bullets"]]
    data["detected"] = Detection(**data["detected"]) if data["detected"] else None
    return SummaryResult(**data)


class CachedEngine(EngineWrapper[Engine]):
    """An :class:`Engine` whose ``summarize`` answers repeated requests from ``cache``; the rest of
    :class:`~models.contracts.SummaryEngine` goes to the engine unchanged."""

    def __init__(self, engine: Engine, cache: Cache) -> None:
        super().__init__(engine)
        self.cache = cache
        models: dict[str, str] = {}
        for lang, s in engine.summarizers.items():
            models[f"summarize-{lang}"] = s.model_id
        for (src, tgt), t in engine.translators.items():
            models[f"translate-{src}-{tgt}"] = t.model_id
        self._models = models
        self._backend = ",".join(sorted({getattr(m, "backend", "?") for m in
                                         [*engine.summarizers.values(), *engine.translators.values()]}))

    def translate(
        self, text: str, source_lang: str, target_lang: str, html: str | None = None
    ) -> TranslationResult:
        return self.inner.translate(text, source_lang, target_lang, html)

    def summarize(self, req: SummarizeRequest) -> SummaryResult:
        t0 = time.perf_counter()
        key = cache_key(req, self._models, self._backend, self.inner.config.max_chars, self.inner.config.ceiling_ratio)
        raw = self.cache.get(key)
        if raw is not None:
            observe_cache(True)
            result = result_from_json(raw)
            result.timings_ms = {"cache": round((time.perf_counter() - t0) * 1000, 2)}
            result.cached = True
            return result
        observe_cache(False)
        result = self.inner.summarize(req)
        self.cache.set(key, result_to_json(result))
        return result
