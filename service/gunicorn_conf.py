"""gunicorn settings, all from :class:`service.config.Settings` (``-c python:service.gunicorn_conf``).

Seq2seq models are created per worker after fork, never in the master: a CTranslate2 translator made
in the master hung every forked worker, and torch used in the master deadlocked sync workers. So no
``preload_app``; each worker imports ``service.asgi`` (``service.wsgi`` with gthread) and builds its
own engine. Only documented settings and server hooks are used here: no worker subclass. The
engine sets torch's threads to the worker's share of the cores when it loads a model (two workers
x two threads on two cores ran many times slower than one thread each); a worker with no model
configured never imports torch at all (about 190 MB less per worker). What is safe to share is
preloaded: the master builds kiwipiepy and lingua (``on_starting``), and the workers inherit them.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from service.config import Settings

METRICS_DIR_PREFIX = "summarizer-metrics-"  # the folders service.__main__._serve creates
SERVER_DIR_PREFIX = "summarizer-server-"  # the folder on_starting makes for the rate-limit file
_settings = Settings.from_env()

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.workers
# asgi (default): gunicorn's bundled asyncio worker reads each request whole, then Flask runs in
# SUMMARIZER_THREADS threads behind service.server.Gate (admission, deadlines, body limits,
# recycling): clients trickling headers or bodies hold no thread. Documented settings only.
# gthread: gunicorn's threaded worker, where a thread reads each request itself (measured: 200 slow
# clients starve it); only behind a proxy that buffers whole requests.
if _settings.server_worker == "asgi":
    worker_class = "asgi"
    wsgi_app = "service.asgi:app"
    asgi_lifespan = "off"  # the app needs no start-up or shutdown messages; each worker loads its engine on import
    # service.server.Gate recycles the worker after SUMMARIZER_MAX_REQUESTS (+ jitter) requests served,
    # announcing Connection: close first; gunicorn's own count would also count refusals and could close
    # a kept-alive connection after an answer that did not say so
    max_requests = 0
else:
    worker_class = "gthread"
    wsgi_app = "service.wsgi:app"
    threads = _settings.threads
    max_requests = _settings.max_requests
    max_requests_jitter = _settings.max_requests_jitter
timeout = _settings.timeout_s
graceful_timeout = _settings.graceful_timeout_s
keepalive = _settings.keepalive_s
preload_app = False
# workers' heartbeat files on tmpfs: on a disk-backed /tmp (a container's overlay, an emptyDir) a
# slow fsync can stall the heartbeat and get a healthy worker killed
# (gunicorn's documented advice; only heartbeat files go there, created by gunicorn with mkstemp)
_SHM = "/dev/shm"  # nosec B108
worker_tmp_dir = _SHM if os.path.isdir(_SHM) and os.access(_SHM, os.W_OK) else None
accesslog = None  # the app logs one JSON line per request itself (service.access)
errorlog = "-"
loglevel = _settings.log_level.lower()
# gunicorn's control socket is off: it defaults to one path per user ($HOME/.gunicorn/gunicorn.ctl) that
# a second server on the host takes over, and a read-only root filesystem cannot hold it
control_socket_disable = True
# Every line on stderr is one JSON object: gunicorn's own lines (boot, signals, worker exits) use the
# app's formatter. The root handler is marked as the app's (``_summarizer``), so the workers'
# configure_logging() keeps it instead of adding a second one (which printed each line twice), and
# gunicorn's access logger is silenced (a logconfig_dict turns it on; the app writes its own).
_json_handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr",
                 ".": {"_summarizer": True}}
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "pythonjsonlogger.json.JsonFormatter",
                            "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
                            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger",
                                              "process": "pid"}}},
    "handlers": {"console": _json_handler, "null": {"class": "logging.NullHandler"}},
    "root": {"level": _settings.log_level, "handlers": ["console"]},
    "loggers": {"gunicorn.error": {"handlers": [], "level": _settings.log_level, "propagate": True},
                "gunicorn.access": {"handlers": ["null"], "propagate": False}},
}
logging.captureWarnings(True)  # Python warnings as JSON log records too, not bare stderr text
limit_request_line = 8190


def _metrics_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def on_starting(server):  # noqa: ANN001, ANN201 - gunicorn hook signature
    """Preload the read-only text state, then start the multiprocess metrics from zero: files left by
    an earlier run (an emptyDir survives a container restart) would be summed in, and a reused pid
    would inherit a dead worker's values."""
    _preload_text()
    _rate_limit_file(server.cfg.workers)
    if _settings.server_worker == "asgi":  # open requests and reload marks (service/balance.py)
        from service.balance import create_board

        create_board(server.cfg.workers)
    folder = _metrics_dir()
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink(missing_ok=True)


_made_dirs: list[Path] = []


def _rate_limit_file(worker_count: int) -> None:
    """Name the file the workers share their rate-limit counts in (``SUMMARIZER_RATE_LIMIT_FILE``), in
    a folder of this server's own, where ``SUMMARIZER_RATE_LIMIT_STORAGE`` asks for one or, left
    empty without Redis, where there are several workers. Set in the master's environment before the
    workers fork, so each reads the same path in its settings."""
    storage = _settings.rate_limit_storage or ("redis" if _settings.rate_limit_redis_url else "")
    if _settings.rate_limit_per_minute <= 0 or _settings.rate_limit_file or storage in ("memory", "redis"):
        return
    if storage == "" and worker_count <= 1:
        return
    folder = Path(tempfile.mkdtemp(prefix=SERVER_DIR_PREFIX))
    _made_dirs.append(folder)
    os.environ["SUMMARIZER_RATE_LIMIT_FILE"] = str(folder / "ratelimit.sqlite3")


def _preload_text() -> None:
    """kiwipiepy's model and lingua's tables, built once here in the master before it forks: the
    workers share them copy-on-write (PSS, bench.extractive) instead of building ~310 MB each. Only
    models.text.sentences is touched: no torch, no CTranslate2 (they hang forked workers)."""
    from models.text.shared import preload_shared

    preload_shared()


def child_exit(server, worker):  # noqa: ANN001, ANN201 - gunicorn hook signature
    """A dead worker's live gauges must stop counting in /metrics, and its open requests on the
    board (service/balance.py) in the choice of who keeps a connection."""
    from service.balance import board

    shared = board()
    if shared is not None:
        shared.release_pid(worker.pid)
    if _metrics_dir() is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_reload(server):  # noqa: ANN001, ANN201 - gunicorn hook signature
    """A reload (SIGHUP) starts new workers and then stops these: their answers say Connection: close
    from now on, so no kept-alive connection of theirs ends after an answer that did not say so."""
    from service.balance import board

    shared = board()
    if shared is not None:
        shared.drain_all()


def on_exit(server):  # noqa: ANN001, ANN201 - gunicorn hook signature
    """Remove the folders made for this server: the rate-limit file's, and the metrics folder
    ``python -m service serve`` made (never an operator's)."""
    for made in _made_dirs:
        shutil.rmtree(made, ignore_errors=True)
    folder = _metrics_dir()
    if folder is not None and folder.parent == Path(tempfile.gettempdir()) \
            and folder.name.startswith(METRICS_DIR_PREFIX):
        shutil.rmtree(folder, ignore_errors=True)
