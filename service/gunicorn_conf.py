"""gunicorn settings, all from :class:`service.config.Settings` (``-c python:service.gunicorn_conf``).

Models are created per worker after fork, never in the master: a CTranslate2 translator made in
the master hung every forked worker, and torch used in the master deadlocked sync workers. So no
``preload_app``; each worker imports ``service.wsgi`` and builds its own engine, and sets its
torch threads to its share of the cores first (two workers x two threads on two cores ran
many times slower than one thread each).
"""
from __future__ import annotations

from service.config import Settings

_settings = Settings.from_env()

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.workers
worker_class = "gthread"
threads = _settings.threads
timeout = _settings.timeout_s
graceful_timeout = _settings.graceful_timeout_s
keepalive = _settings.keepalive_s
max_requests = _settings.max_requests
max_requests_jitter = _settings.max_requests_jitter
preload_app = False
accesslog = None  # the app logs one JSON line per request itself (service.access)
errorlog = "-"
loglevel = _settings.log_level.lower()
limit_request_line = 8190


def post_fork(server, worker):  # noqa: ANN001, ANN201 - gunicorn hook signature
    try:
        import torch

        torch.set_num_threads(_settings.torch_threads_effective)
        torch.set_num_interop_threads(1)
    except (ImportError, RuntimeError):
        pass
