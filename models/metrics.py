"""Prometheus metrics that model code records (no Flask here). With several gunicorn workers the
client library's multiprocess mode (PROMETHEUS_MULTIPROC_DIR) aggregates them across workers."""
from __future__ import annotations

from prometheus_client import Counter, Histogram

INFERENCE_SECONDS = Histogram(
    "summarizer_inference_duration_seconds", "Time in one model generate() batch", ["model", "backend"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
BATCH_SIZE = Histogram(
    "summarizer_batch_size", "Texts per dynamically batched model call", ["model"],
    buckets=(1, 2, 3, 4, 6, 8, 12, 16, 24, 32),
)
CACHE_REQUESTS = Counter("summarizer_cache_requests_total", "Result cache lookups", ["result"])


def observe_inference(model: str, seconds: float, backend: str = "transformers") -> None:
    """One model call (a batch through ``generate``) took ``seconds``."""
    INFERENCE_SECONDS.labels(model=model, backend=backend).observe(seconds)


def observe_batch(model: str, size: int) -> None:
    """One dynamically batched model call carried ``size`` texts."""
    BATCH_SIZE.labels(model=model).observe(size)


def observe_cache(hit: bool) -> None:
    """One result-cache lookup, a hit or a miss."""
    CACHE_REQUESTS.labels(result="hit" if hit else "miss").inc()
