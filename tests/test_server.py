"""Tier 3: the real gunicorn server started by the serve command, on 127.0.0.1."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(extra_env: dict[str, str] | None = None, workers: int = 1) -> tuple[subprocess.Popen, str]:
    """Start ``python -m service serve`` and wait until /readyz says ready."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(extra_env or {})}
    # the server's logs go to a file: a pipe nobody reads fills up and blocks the workers
    log = tempfile.NamedTemporaryFile(prefix="summarizer-server-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    proc.log_path = log.name  # type: ignore[attr-defined]
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {Path(log.name).read_text(errors='replace')[-2000:]}")
        try:
            if requests.get(f"{base}/readyz", timeout=1).status_code == 200:
                return proc, base
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.25)
    stop_server(proc)
    raise RuntimeError("server did not become ready in 90 s")


def stop_server(proc: subprocess.Popen) -> None:
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


@pytest.fixture(scope="module")
def server():
    proc, base = start_server()
    yield base
    stop_server(proc)


@pytest.mark.parametrize(("sample", "lang"), [("ko.txt", "ko"), ("ko_no_periods.txt", "ko"), ("en.txt", "en")])
def test_real_server_summarizes(server: str, sample: str, lang: str) -> None:
    text = (ROOT / "samples" / sample).read_text(encoding="utf-8")
    resp = requests.post(f"{server}/v1/summarize", json={"text": text}, timeout=30)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["source_lang"] == lang and len(body["bullets"]) == 3
    assert resp.headers["X-Request-ID"] == body["request_id"]
    for bullet in body["bullets"]:
        for src in bullet["sources"]:
            assert text[src["start"] : src["end"]] == src["sentence"]


def test_real_server_errors_keep_the_shape(server: str) -> None:
    resp = requests.post(f"{server}/v1/summarize", data="{oops", headers={"Content-Type": "application/json"},
                         timeout=10)
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "bad_request"
    resp = requests.post(f"{server}/v1/summarize", data=b"x" * 2_000_000,
                         headers={"Content-Type": "application/json"}, timeout=10)
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "payload_too_large"
