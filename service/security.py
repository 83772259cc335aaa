"""API keys and rate limits, as request hooks on the v1 API (health, docs and the page stay open).

Keys: ``SUMMARIZER_API_KEYS`` (comma-separated) and/or ``SUMMARIZER_API_KEYS_FILE`` (one
``salt$sha256(salt + key)`` per line, so the file holds no usable key). Sent as
``Authorization: Bearer KEY`` or ``X-API-Key: KEY``; compared in constant time.
Rate limits: a fixed one-minute window per key (or per client address without keys), counted where
``SUMMARIZER_RATE_LIMIT_STORAGE`` says: ``redis`` (``SUMMARIZER_RATE_LIMIT_REDIS_URL``, shared by
replicas), ``file`` (a SQLite file every worker of one server opens: ``SUMMARIZER_RATE_LIMIT_FILE``,
which the gunicorn master sets to a folder of its own when left empty) or ``memory`` (this process:
tests, the Flask dev server); left empty, redis with a URL, else file with several workers, else
memory. The client address is the TCP peer, or, when the peer is one of
``SUMMARIZER_TRUSTED_PROXIES``, the nearest untrusted address in ``X-Forwarded-For``.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

from flask import Flask, Response, g, request

from models.cache import StoreHealth

from .config import Settings, SettingsError
from .errors import error_response

log = logging.getLogger("service.security")

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


class SharedFileRateLimiter:
    """Fixed one-minute windows counted in a SQLite file that every worker of one server opens.

    One ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` per request: SQLite's lock makes the
    count exact across processes. The file lives in the server's own folder (tmpfs in the pod),
    without fsync: counts are worth nothing after the server stops. Old windows are deleted as
    the minute turns. An SQLite error fails open, logged once per outage, like Redis.
    """

    def __init__(self, path: str | Path, per_minute: int, window_s: int = 60) -> None:
        self.path = str(path)
        self.limit = per_minute
        self.window = window_s
        self._local = threading.local()
        self._last_window = 0
        self._health = StoreHealth("ratelimit-file", what="the shared rate-limit file")
        with self._connect() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS hits (who TEXT NOT NULL, win INTEGER NOT NULL, "
                         "count INTEGER NOT NULL, PRIMARY KEY (who, win)) WITHOUT ROWID")

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=5, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            self._local.conn = conn
        return conn

    def hit(self, who: str) -> float | None:
        now = time.time()
        window = int(now // self.window)
        try:
            conn = self._connect()
            count = conn.execute(
                "INSERT INTO hits (who, win, count) VALUES (?, ?, 1) "
                "ON CONFLICT (who, win) DO UPDATE SET count = count + 1 RETURNING count", (who, window),
            ).fetchone()[0]
            if window != self._last_window:  # once a minute per worker: drop finished windows
                self._last_window = window
                conn.execute("DELETE FROM hits WHERE win < ?", (window,))
        except sqlite3.Error as err:
            self._health.failed(err)
            return None
        self._health.ok()
        if count > self.limit:
            return (window + 1) * self.window - now
        return None


class RedisRateLimiter:
    """Fixed windows shared by replicas: INCR + EXPIRE on a per-window key."""

    def __init__(self, url: str, per_minute: int, window_s: int = 60) -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.limit = per_minute
        self.window = window_s
        self._health = StoreHealth("ratelimit", what="rate limits")

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
        except redis.RedisError as err:
            self._health.failed(err)
            return None  # fail open: the limiter being down must not take the service down
        self._health.ok()
        if count > self.limit:
            return (window + 1) * self.window - now
        return None


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(value: str) -> list[Network]:
    """``SUMMARIZER_TRUSTED_PROXIES``: comma-separated addresses or networks (``10.0.0.0/8``)."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()]


def client_address(peer: str | None, forwarded_for: str | None, trusted: list[Network]) -> str:
    """The client's address: the TCP peer, unless the peer is a trusted proxy; then the rightmost
    address of ``X-Forwarded-For`` that is not a trusted proxy (the ones to its right were added by
    our own proxies; anything to its left the client could have written itself)."""
    def is_trusted(addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return any(ip in net for net in trusted)

    address = peer or "unknown"
    if not trusted or not forwarded_for or not is_trusted(address):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        if not hop:
            continue
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # a garbled header: keep the last address we know to be real
        address = hop
        if not is_trusted(hop):
            break
    return address


def make_limiter(settings: Settings) -> RateLimiter | None:
    """The rate limiter ``settings.rate_limit_storage_effective`` names (None when limits are off);
    raises :class:`SettingsError` for file storage without a file."""
    if settings.rate_limit_per_minute <= 0:
        return None
    storage = settings.rate_limit_storage_effective
    if storage == "redis":
        return RedisRateLimiter(settings.rate_limit_redis_url, settings.rate_limit_per_minute)
    if storage == "file":
        if not settings.rate_limit_file:
            raise SettingsError("SUMMARIZER_RATE_LIMIT_STORAGE=file needs SUMMARIZER_RATE_LIMIT_FILE: the "
                                "serve command's gunicorn master sets one per server; elsewhere name a path")
        return SharedFileRateLimiter(settings.rate_limit_file, settings.rate_limit_per_minute)
    return MemoryRateLimiter(settings.rate_limit_per_minute)


def init_app(app: Flask, settings: Settings) -> None:
    """Install the key check and the rate limit on the v1 API."""
    keys = KeyStore.from_settings(settings)
    limiter = make_limiter(settings)
    trusted = parse_proxies(settings.trusted_proxies)
    app.extensions["summarizer.keys"] = keys
    app.extensions["summarizer.ratelimit"] = limiter

    @app.before_request
    def _guard() -> Response | None:
        if not _protected(request.path):
            return None
        who = f"ip:{client_address(request.remote_addr, request.headers.get('X-Forwarded-For'), trusted)}"
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
