"""A real gunicorn under load: no errors, bounded memory, a killed worker replaced, graceful drain."""
from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import requests

from tests.test_server import start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = [(ROOT / "samples" / n).read_text(encoding="utf-8") for n in ("ko.txt", "en.txt", "ko_no_periods.txt")]


def _tree_rss(pid: int) -> int:
    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])


def _workers(pid: int) -> list[int]:
    return [c.pid for c in psutil.Process(pid).children()]


def _load(base: str, n: int, clients: int, deadline_s: float) -> tuple[int, list[str]]:
    """POST ``n`` summarize requests from ``clients`` threads; (ok count, error descriptions)."""
    errors: list[str] = []
    ok = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + deadline_s
    local = threading.local()

    def one(i: int) -> None:
        nonlocal ok
        if time.monotonic() > stop_at:
            with lock:
                errors.append("not sent: time budget spent")
            return
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        try:
            r = session.post(f"{base}/v1/summarize", json={"text": ARTICLES[i % 3], "max_bullets": 3}, timeout=30)
            with lock:
                if r.status_code == 200 and len(r.json()["bullets"]) == 3:
                    ok += 1
                else:
                    errors.append(f"{r.status_code} {r.text[:100]}")
        except requests.RequestException as err:
            local.session = None
            with lock:
                errors.append(type(err).__name__)

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(n)))
    return ok, errors


def test_load_2000_requests_16_clients_no_errors_bounded_memory() -> None:
    proc, base = start_server({"SUMMARIZER_CACHE_SIZE": "0", "SUMMARIZER_THREADS": "8"}, workers=2)
    try:
        _load(base, 100, 16, 60)  # warm every worker and thread
        rss_before = _tree_rss(proc.pid)
        t0 = time.monotonic()
        ok, errors = _load(base, 2000, 16, 240)
        elapsed = time.monotonic() - t0
        rss_after = _tree_rss(proc.pid)
        growth = (rss_after - rss_before) / rss_before
        print(f"\nload: {ok} ok, {len(errors)} errors in {elapsed:.1f} s ({ok / elapsed:.0f} req/s); "
              f"RSS {rss_before / 2**20:.0f} -> {rss_after / 2**20:.0f} MiB ({growth:+.1%})")
        assert errors == [] and ok == 2000
        assert growth < 0.10
    finally:
        stop_server(proc)


def test_kill_9_worker_during_load() -> None:
    proc, base = start_server({"SUMMARIZER_CACHE_SIZE": "0", "SUMMARIZER_THREADS": "4"}, workers=2)
    try:
        _load(base, 40, 8, 60)
        victim = _workers(proc.pid)[0]
        result: dict = {}
        loader = threading.Thread(target=lambda: result.update(zip(("ok", "errors"), _load(base, 600, 16, 240))))
        loader.start()
        time.sleep(1.0)
        os.kill(victim, signal.SIGKILL)
        loader.join(300)
        print(f"\nkill -9: {result['ok']} ok, {len(result['errors'])} failed: {sorted(set(result['errors']))}")
        # only the killed worker's in-flight requests fail, and as connection errors, not hangs or garbage
        assert len(result["errors"]) <= 16
        assert all(e in ("ConnectionError", "ChunkedEncodingError") for e in result["errors"])
        assert result["ok"] == 600 - len(result["errors"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (len(_workers(proc.pid)) < 2 or victim in _workers(proc.pid)):
            time.sleep(0.2)
        assert len(_workers(proc.pid)) == 2 and victim not in _workers(proc.pid)  # gunicorn replaced it
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # the new worker loads, then serves
            ok, errors = _load(base, 20, 4, 30)
            if ok == 20:
                break
            time.sleep(0.5)
        assert ok == 20
    finally:
        stop_server(proc)


def test_sigterm_lets_in_flight_requests_finish() -> None:
    proc, base = start_server({"SUMMARIZER_CACHE_SIZE": "0", "SUMMARIZER_GRACEFUL_TIMEOUT_S": "30"}, workers=1)
    try:
        slow_text = (ARTICLES[0] + "\n") * 200  # tens of thousands of characters: a second or more
        box: dict = {}

        def call() -> None:
            box["resp"] = requests.post(f"{base}/v1/summarize", json={"text": slow_text}, timeout=60)

        t = threading.Thread(target=call)
        t0 = time.monotonic()
        t.start()
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGTERM)
        t.join(60)
        assert box["resp"].status_code == 200 and len(box["resp"].json()["bullets"]) == 3
        proc.wait(60)
        assert proc.returncode == 0
        print(f"\ndrained one in-flight request in {time.monotonic() - t0:.1f} s after SIGTERM")
        try:  # and it no longer accepts new work
            requests.get(f"{base}/healthz", timeout=2)
            raise AssertionError("server still answering after shutdown")
        except requests.ConnectionError:
            pass
    finally:
        stop_server(proc)
