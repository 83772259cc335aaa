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
                 python: str | None = None) -> tuple[subprocess.Popen, str]:
    """Start ``python -m service serve`` (``python``: another interpreter, such as a venv's, instead
    of this one) and wait until /readyz says ready; returns the process and the base URL. Its log
    goes to a file (``proc.log_path``), removed by :func:`stop_server`."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(extra_env or {})}
    # the server's logs go to a file: a pipe nobody reads fills up and blocks the workers
    log = tempfile.NamedTemporaryFile(prefix="summarizer-server-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [python or sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
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
