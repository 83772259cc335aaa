"""API keys and rate limits, as request hooks on the v1 API (health, docs and the page stay open).

Keys: ``SUMMARIZER_API_KEYS`` (comma-separated) and/or ``SUMMARIZER_API_KEYS_FILE`` (one
``salt$sha256(salt + key)`` per line, so the file holds no usable key). Sent as
``Authorization: Bearer KEY`` or ``X-API-Key: KEY``; compared in constant time.
Rate limits: a fixed window per key (or per client address without keys), in memory, or in Redis
when several replicas must share the count.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from pathlib import Path
from typing import Protocol

from flask import Flask, Response, g, request

from .config import Settings
from .errors import error_response

OPEN_PREFIXES = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/static", "/favicon")


def _protected(path: str) -> bool:
    return path.startswith("/v1/") and not path.startswith(OPEN_PREFIXES)


def hash_key(key: str, salt: str) -> str:
    """The line to put in SUMMARIZER_API_KEYS_FILE for ``key``: ``salt$sha256hex``."""
    return f"{salt}${hashlib.sha256((salt + key).encode()).hexdigest()}"


class KeyStore:
    def __init__(self, plain: list[str], hashed: list[tuple[str, str]]) -> None:
        self._plain = [k.encode() for k in plain]
        self._hashed = hashed

    @classmethod
    def from_settings(cls, settings: Settings) -> "KeyStore | None":
        plain = [k.strip() for k in settings.api_keys.split(",") if k.strip()]
        hashed: list[tuple[str, str]] = []
        if settings.api_keys_file:
            for line in Path(settings.api_keys_file).read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    salt, _, digest = line.partition("$")
                    hashed.append((salt, digest))
        if not plain and not hashed:
            return None
        return cls(plain, hashed)

    def identify(self, key: str) -> str | None:
        """A stable, non-secret id for a valid ``key`` (for rate limiting and logs), else None."""
        raw = key.encode()
        found = None
        # every candidate is compared, so timing does not reveal which (or whether one) matched
        for i, k in enumerate(self._plain):
            if hmac.compare_digest(raw, k):
                found = f"key{i}"
        for salt, digest in self._hashed:
            if hmac.compare_digest(hashlib.sha256((salt + key).encode()).hexdigest(), digest):
                found = f"key-{salt}"
        return found


def _presented_key() -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.headers.get("X-API-Key") or None


class RateLimiter(Protocol):
    def hit(self, who: str) -> float | None:
        """Count a request; None when allowed, else seconds until the window resets."""


class MemoryRateLimiter:
    """Fixed one-minute windows per client, in this process."""

    def __init__(self, per_minute: int, window_s: float = 60.0) -> None:
        self.limit = per_minute
        self.window = window_s
        self._counts: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, who: str) -> float | None:
        now = time.monotonic()
        with self._lock:
            start, count = self._counts.get(who, (now, 0))
            if now - start >= self.window:
                start, count = now, 0
            count += 1
            self._counts[who] = (start, count)
            if len(self._counts) > 100_000:  # bound memory under address floods
                self._counts = {k: v for k, v in self._counts.items() if now - v[0] < self.window}
            if count > self.limit:
                return max(0.0, self.window - (now - start))
        return None


class RedisRateLimiter:
    """Fixed windows shared by replicas: INCR + EXPIRE on a per-window key."""

    def __init__(self, url: str, per_minute: int, window_s: int = 60) -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.limit = per_minute
        self.window = window_s

    def hit(self, who: str) -> float | None:
        import redis

        now = time.time()
        window = int(now // self.window)
        key = f"bullets:rl:{who}:{window}"
        try:
            pipe = self._client.pipeline()
            pipe.incr(key)
            pipe.expire(key, self.window + 1)
            count = int(pipe.execute()[0])
        except redis.RedisError:
            return None  # fail open: the limiter being down must not take the service down
        if count > self.limit:
            return (window + 1) * self.window - now
        return None


def init_app(app: Flask, settings: Settings) -> None:
    """Install the key check and the rate limit on the v1 API."""
    keys = KeyStore.from_settings(settings)
    limiter: RateLimiter | None = None
    if settings.rate_limit_per_minute > 0:
        limiter = (RedisRateLimiter(settings.rate_limit_redis_url, settings.rate_limit_per_minute)
                   if settings.rate_limit_redis_url else MemoryRateLimiter(settings.rate_limit_per_minute))
    app.extensions["summarizer.keys"] = keys
    app.extensions["summarizer.ratelimit"] = limiter

    @app.before_request
    def _guard() -> Response | None:
        if not _protected(request.path):
            return None
        who = f"ip:{request.remote_addr}"
        if keys is not None:
            key = _presented_key()
            if key is None:
                resp = error_response(401, "unauthorized",
                                      "an API key is required: send Authorization: Bearer KEY or X-API-Key")
                resp.headers["WWW-Authenticate"] = "Bearer"
                return resp
            ident = keys.identify(key)
            if ident is None:
                return error_response(403, "forbidden", "the API key is not valid")
            who = ident
        g.client = who
        if limiter is not None:
            wait = limiter.hit(who)
            if wait is not None:
                return error_response(
                    429, "rate_limited",
                    f"rate limit of {settings.rate_limit_per_minute} requests per minute exceeded",
                    {"limit_per_minute": settings.rate_limit_per_minute}, retry_after=max(1, math.ceil(wait)),
                )
        return None
