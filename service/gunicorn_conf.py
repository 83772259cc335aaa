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
# gunicorn's own lines (boot, worker exits) as JSON too, like the app's
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "pythonjsonlogger.json.JsonFormatter",
                            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}}},
    # gunicorn's defaults name these handlers; redefined here with the JSON formatter
    "handlers": {name: {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
                 for name in ("console", "error_console")},
    "root": {"level": _settings.log_level, "handlers": ["console"]},
    "loggers": {"gunicorn.error": {"handlers": ["error_console"], "level": _settings.log_level, "propagate": False},
                "gunicorn.access": {"handlers": ["console"], "level": _settings.log_level, "propagate": False}},
}
limit_request_line = 8190


def post_fork(server, worker):  # noqa: ANN001, ANN201 - gunicorn hook signature
    try:
        import torch

        torch.set_num_threads(_settings.torch_threads_effective)
        torch.set_num_interop_threads(1)
    except (ImportError, RuntimeError):
        pass


def child_exit(server, worker):  # noqa: ANN001, ANN201 - gunicorn hook signature
    """A dead worker's live gauges must stop counting in /metrics."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
