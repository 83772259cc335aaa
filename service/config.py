"""Typed settings, read once from ``SUMMARIZER_*`` environment variables at start-up."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from models.text.bullets import DEFAULT_CEILING_RATIO, DEFAULT_MAX_CHARS


class SettingsError(ValueError):
    """A ``SUMMARIZER_*`` variable has a value we cannot use; the message names it."""


def _default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


@dataclass(frozen=True)
class Settings:
    """Every knob of the service. ``from_env`` documents the variable behind each field."""

    # HTTP server
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = field(default_factory=_default_workers)
    threads: int = 4
    timeout_s: int = 120
    graceful_timeout_s: int = 30
    keepalive_s: int = 5
    # seconds a client has for the whole body once the headers are in (408 after; header time is unbounded
    # by the bare server: the ingress or proxy in front bounds it, README "Protection and limits")
    read_timeout_s: float = 10.0
    # asgi: gunicorn's asyncio worker reads requests, Flask runs in `threads` threads (slow clients
    # hold no thread); gthread: gunicorn's threaded worker (a slow client holds a thread)
    server_worker: str = "asgi"
    # a worker busier than another closes kept-alive connections after answering (service/balance.py)
    balance_workers: bool = True
    max_requests: int = 2000
    max_requests_jitter: int = 200
    # limits
    max_body_bytes: int = 1_048_576
    max_text_chars: int = 100_000
    max_html_bytes: int = 1_000_000  # html field, UTF-8 bytes (413); inside max_body_bytes
    # target bullet length per language (a request's max_chars overrides it), and the ceiling, as a
    # multiple of the target, that a sentence with no grammatical shortening may run to
    max_chars_en: int = DEFAULT_MAX_CHARS["en"]
    max_chars_ko: int = DEFAULT_MAX_CHARS["ko"]
    ceiling_ratio: float = DEFAULT_CEILING_RATIO
    # behaviour
    # auto: in the background with one worker (so /healthz answers during a long load), before the
    # worker accepts connections with several (the others serve meanwhile: no 503 not_ready when a
    # worker starts or is recycled after max_requests)
    load_in_background: str = "auto"
    log_level: str = "INFO"
    log_text: bool = False
    metrics_token: str = ""  # when set, /metrics needs Authorization: Bearer <token>
    # models (empty: the task is not served by a model)
    model_summarize_en: str = ""
    model_summarize_ko: str = ""
    model_translate_ko_en: str = ""
    model_translate_en_ko: str = ""
    models_dir: str = ""
    preset: str = ""  # a model preset (models/inference/registry.py) filling every SUMMARIZER_MODEL_* left unset
    allow_noncommercial: bool = False
    backend: str = "auto"
    device: str = "auto"  # auto: the GPU when torch sees one (transformers-int8: always the CPU)
    torch_threads: int = 0  # 0: cores divided by workers, at least 1
    # dynamic batching of concurrent model calls within a worker
    batch_max_size: int = 8
    batch_max_wait_ms: int = 10
    # and, at most this long, for calls of requests already in the worker whose text is being prepared
    batch_coming_wait_ms: int = 250
    # result cache: in-process LRU entries (0: off), or Redis shared by replicas
    cache_size: int = 1024
    cache_redis_url: str = ""
    cache_ttl_s: int = 86_400
    # protection
    api_keys: str = ""  # comma-separated; empty with no keys file: no authentication
    api_keys_file: str = ""  # lines of salt$sha256(salt+key)
    rate_limit_per_minute: int = 0  # per key, or per client address without keys; 0: off
    # where the counts live: memory (this process), file (a SQLite file every worker of the server
    # opens), redis (shared by replicas); empty: redis with a URL, else file with several gunicorn
    # workers (the master names the file), else memory
    rate_limit_storage: str = ""
    rate_limit_redis_url: str = ""
    rate_limit_file: str = ""  # storage=file; empty: a file in a folder the gunicorn master makes
    # comma-separated proxy addresses/networks whose X-Forwarded-For names the client; empty: none
    trusted_proxies: str = ""
    max_inflight: int = 0  # work requests admitted at once per worker (running or waiting); 0: 2 x threads
    # how much lower the work threads' CPU priority is than the event loop's (nice; asgi worker; 0: same)
    work_nice: int = 10
    request_timeout_s: float = 60.0
    batch_max_items: int = 16

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Build settings from ``SUMMARIZER_<FIELD>`` variables; raises :class:`SettingsError`."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f"SUMMARIZER_{f.name.upper()}"
            raw = env.get(name)
            if raw is None:
                continue
            values[f.name] = _coerce(name, raw.strip(), f.type)
        settings = cls(**values)
        settings.validate()
        return settings

    def __post_init__(self) -> None:
        object.__setattr__(self, "log_level", self.log_level.strip().upper())  # info works like INFO

    def validate(self) -> None:
        checks = [
            (self.log_level in _LOG_LEVELS,
             f"SUMMARIZER_LOG_LEVEL={self.log_level!r} is not a log level: use {', '.join(_LOG_LEVELS)}"),
            (1 <= self.port <= 65535, "SUMMARIZER_PORT must be 1-65535"),
            (self.workers >= 1, "SUMMARIZER_WORKERS must be at least 1"),
            (self.threads >= 1, "SUMMARIZER_THREADS must be at least 1"),
            (self.read_timeout_s > 0, "SUMMARIZER_READ_TIMEOUT_S must be more than 0"),
            (self.batch_coming_wait_ms >= 0, "SUMMARIZER_BATCH_COMING_WAIT_MS must be 0 or more"),
            (self.server_worker in ("asgi", "gthread"), "SUMMARIZER_SERVER_WORKER must be asgi or gthread"),
            (self.max_inflight >= 0, "SUMMARIZER_MAX_INFLIGHT must be 0 (2 x threads) or more"),
            (0 <= self.work_nice <= 19, "SUMMARIZER_WORK_NICE must be 0-19"),
            (self.rate_limit_storage in ("", "memory", "file", "redis"),
             "SUMMARIZER_RATE_LIMIT_STORAGE must be memory, file or redis (empty: chosen from the other settings)"),
            (self.rate_limit_storage != "redis" or bool(self.rate_limit_redis_url),
             "SUMMARIZER_RATE_LIMIT_STORAGE=redis needs SUMMARIZER_RATE_LIMIT_REDIS_URL"),
            (_networks_ok(self.trusted_proxies),
             f"SUMMARIZER_TRUSTED_PROXIES={self.trusted_proxies!r} must be comma-separated addresses or "
             "networks (10.0.0.0/8)"),
            (self.max_body_bytes >= 1024, "SUMMARIZER_MAX_BODY_BYTES must be at least 1024"),
            (self.max_text_chars >= 100, "SUMMARIZER_MAX_TEXT_CHARS must be at least 100"),
            (self.max_html_bytes >= 1024, "SUMMARIZER_MAX_HTML_BYTES must be at least 1024"),
            (self.max_chars_en >= 40, "SUMMARIZER_MAX_CHARS_EN must be at least 40"),
            (self.max_chars_ko >= 30, "SUMMARIZER_MAX_CHARS_KO must be at least 30"),
            (1.0 <= self.ceiling_ratio <= 3.0, "SUMMARIZER_CEILING_RATIO must be 1.0-3.0 (1.0: no sentence over "
                                                "the target)"),
            (
                self.backend in ("transformers", "transformers-int8", "ctranslate2", "auto"),
                "SUMMARIZER_BACKEND must be transformers, transformers-int8, ctranslate2 or auto",
            ),
            (self.device in ("auto", "cpu", "cuda"), "SUMMARIZER_DEVICE must be auto, cpu or cuda"),
            (self.load_in_background.lower() in ("auto", *_TRUE, *_FALSE),
             "SUMMARIZER_LOAD_IN_BACKGROUND must be auto, true or false"),
            (
                not (self.device == "cuda" and self.backend == "transformers-int8"),
                "SUMMARIZER_BACKEND=transformers-int8 runs on the CPU only: use SUMMARIZER_DEVICE=cpu or auto",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise SettingsError(message)

    @property
    def load_in_background_effective(self) -> bool:
        """Whether a worker loads its engine in a background thread (see ``load_in_background``)."""
        value = self.load_in_background.lower()
        if value == "auto":
            return self.workers == 1
        return value in _TRUE

    @property
    def max_inflight_effective(self) -> int:
        """Work requests admitted at once per worker: as many waiting as running by default."""
        return self.max_inflight or 2 * self.threads

    @property
    def rate_limit_storage_effective(self) -> str:
        """memory, file or redis (see ``rate_limit_storage``)."""
        if self.rate_limit_storage:
            return self.rate_limit_storage
        if self.rate_limit_redis_url:
            return "redis"
        # the gunicorn master names a file when it starts several workers (service/gunicorn_conf.py)
        return "file" if self.rate_limit_file else "memory"

    @property
    def torch_threads_effective(self) -> int:
        """Intra-op threads per worker: cores shared by the workers, never oversubscribed."""
        if self.torch_threads > 0:
            return self.torch_threads
        return max(1, available_cpus() // self.workers)


def available_cpus(cgroup_root: str = "/sys/fs/cgroup") -> int:
    """CPUs this process may use: its affinity, capped by a cgroup v2 CPU quota (a container's or a
    Kubernetes pod's ``limits.cpu``), which ``os.cpu_count()`` does not see."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    try:
        quota, period = Path(cgroup_root, "cpu.max").read_text(encoding="ascii").split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, int(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


def _networks_ok(value: str) -> bool:
    import ipaddress

    try:
        for part in value.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)
    except ValueError:
        return False
    return True


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def _coerce(name: str, raw: str, typ: Any) -> Any:
    typ = typ if isinstance(typ, str) else getattr(typ, "__name__", str(typ))
    try:
        if typ == "int":
            return int(raw)
        if typ == "float":
            return float(raw)
        if typ == "bool":
            lowered = raw.lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ValueError(raw)
        return raw
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a valid {typ}") from None
