"""Start and stop the real server (``python -m service serve``, gunicorn) on 127.0.0.1.

Shared by the benchmarks and the tests that need a real server; standard library only, so a
benchmark never needs pytest or requests.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The embedded default (extractive, no model configured) with the result cache off. With several
# workers the server is ready when one answers /readyz: the others must not take connections while
# they are still loading (they would answer 503 not_ready).
EXTRACTIVE_ENV = {
    "SUMMARIZER_MODEL_TRANSLATE_KO_EN": "", "SUMMARIZER_MODEL_TRANSLATE_EN_KO": "",
    "SUMMARIZER_MODEL_SUMMARIZE_EN": "", "SUMMARIZER_MODEL_SUMMARIZE_KO": "", "SUMMARIZER_PRESET": "",
    "SUMMARIZER_CACHE_SIZE": "0", "SUMMARIZER_CACHE_REDIS_URL": "", "SUMMARIZER_LOG_LEVEL": "WARNING",
    "SUMMARIZER_LOAD_IN_BACKGROUND": "false",
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/readyz", timeout=1) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):  # refused, 503 while loading, timed out
        return False


def start_server(extra_env: dict[str, str] | None = None, workers: int = 1,
                 python: str | None = None, app: str | None = None) -> tuple[subprocess.Popen, str]:
    """Start ``python -m service serve`` (``python``: another interpreter, such as a venv's, instead
    of this one) and wait until /readyz says ready; returns the process and the base URL. Its log
    goes to a file (``proc.log_path``), removed by :func:`stop_server`. ``app``: gunicorn with the
    service's configuration but this app instead (``"bench.server:slowed_app()"``)."""
    port = free_port()
    # the repository first; entries already on PYTHONPATH stay behind it (the lock canary's newer gunicorn)
    path = os.pathsep.join([str(ROOT), *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]])
    env = {**os.environ, "PYTHONPATH": path, **(extra_env or {})}
    # the server's logs go to a file: a pipe nobody reads fills up and blocks the workers
    log = tempfile.NamedTemporaryFile(prefix="summarizer-server-", suffix=".log", delete=False)
    if app is None:
        argv = [python or sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(workers)]
    else:  # what the serve command runs, with the app named
        env.update(SUMMARIZER_HOST="127.0.0.1", SUMMARIZER_PORT=str(port), SUMMARIZER_WORKERS=str(workers))
        env.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="summarizer-metrics-"))
        argv = [python or sys.executable, "-m", "gunicorn", "-c", "python:service.gunicorn_conf", app]
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    proc.log_path = log.name  # type: ignore[attr-defined]
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {Path(log.name).read_text(errors='replace')[-2000:]}")
        if _ready(base):
            return proc, base
        time.sleep(0.25)
    stop_server(proc)
    raise RuntimeError("server did not become ready in 90 s")


def slowed_app():  # noqa: ANN201 - an ASGI app, built in a gunicorn worker
    """gunicorn app factory (``--wsgi-app 'bench.server:slowed_app()'``): the default app whose
    engine sleeps ``BENCH_ENGINE_DELAY_S`` seconds in every summarize call before doing the work,
    holding its thread as real work does, so admission and deadlines can be measured on a real
    server without heavy articles."""
    from service import create_app
    from service.config import Settings
    from service.runtime import build_engine
    from service.server import create_asgi_app

    delay = float(os.environ.get("BENCH_ENGINE_DELAY_S", "0.5"))
    settings = Settings.from_env()
    engine = build_engine(settings)
    guard_inner = engine.inner  # the guard's engine: slowed under the guard, so the guard's deadline applies

    class Slowed:
        def __getattr__(self, name: str):  # noqa: ANN204
            return getattr(guard_inner, name)

        def summarize(self, req):  # noqa: ANN001, ANN201
            time.sleep(delay)
            return guard_inner.summarize(req)

    engine.inner = Slowed()
    return create_asgi_app(settings, create_app(settings, engine=engine))


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (SIGKILL after 30 s), then its log file removed."""
    try:
        _stop(proc)
    finally:
        log_path = getattr(proc, "log_path", None)
        if log_path:
            Path(log_path).unlink(missing_ok=True)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
