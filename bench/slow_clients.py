"""Ordinary requests while many clients trickle their headers (slowloris), per server mechanism.

    python -m bench.slow_clients [--slow 200] [--probes 30] [--workers 2] [--mechanism NAME ...]

Starts the real server (``python -m service serve``, 127.0.0.1, default settings but the result
cache off), opens ``--slow`` connections that each send a request line and then one header line
a second, and meanwhile POSTs ``--probes`` ordinary summarize requests one after another on fresh
connections (5 s timeout each). Prints probe p50/p95 and timeouts per mechanism:

- ``default``: what ``service/gunicorn_conf.py`` configures (the shipped choice);
- ``gthread``: gunicorn's threaded worker, the earlier default (each thread reads one request);
- ``gevent``: gunicorn's gevent worker (needs the gevent package, which the service does not ship).
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

PROBE_TEXT = ("The city council approved the new transit plan on Monday. Buses will run every ten "
              "minutes from March. The plan costs 40 million dollars over five years.")

MECHANISMS: dict[str, dict[str, str]] = {
    "default": {},
    "gthread": {"GUNICORN_CMD_ARGS": "--worker-class gthread", "SUMMARIZER_SERVER_WORKER": "gthread"},
    "gevent": {"GUNICORN_CMD_ARGS": "--worker-class gevent --worker-connections 1000",
               "SUMMARIZER_SERVER_WORKER": "gthread"},
}


def _open_slow(host: str, port: int) -> socket.socket:
    s = socket.create_connection((host, port), timeout=5)
    s.setblocking(False)
    s.send(b"POST /v1/summarize HTTP/1.1\r\nHost: slow\r\n")
    return s


def _answered(s: socket.socket) -> bool:
    """Whether the server has answered (a 408) or closed this connection."""
    try:
        return s.recv(4096, socket.MSG_PEEK) is not None
    except BlockingIOError:
        return False
    except OSError:
        return True


@contextmanager
def slow_clients(host: str, port: int, count: int, interval_s: float = 1.0) -> Iterator[dict[str, int]]:
    """``count`` connections that send a POST request line, then one header line every ``interval_s``
    and never finish; one the server drops is opened again at once, as an attacker would. Yields
    counters (``reopened``: connections the server ended); all are closed on exit."""
    socks = [_open_slow(host, port) for _ in range(count)]
    stats = {"reopened": 0}
    stop = threading.Event()

    def trickle() -> None:
        i = 0
        while not stop.wait(interval_s):
            i += 1
            for n, s in enumerate(socks):
                if _answered(s):
                    s.close()
                    try:
                        socks[n] = s = _open_slow(host, port)
                    except OSError:
                        continue
                    stats["reopened"] += 1
                try:
                    s.send(b"X-Slow-%d: 1\r\n" % i)
                except OSError:
                    pass

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    try:
        yield stats
    finally:
        stop.set()
        t.join(5)
        for s in socks:
            s.close()


def probe_latencies(base: str, probes: int, timeout_s: float = 5.0, every_s: float = 0.0) -> tuple[list[float], int]:
    """Seconds per answered probe (fresh connection each, one started every ``every_s`` at most),
    and how many timed out or failed."""
    import requests

    times: list[float] = []
    failed = 0
    for _ in range(probes):
        t0 = time.perf_counter()
        time.sleep(max(0.0, every_s - (time.perf_counter() - t0)))
        t0 = time.perf_counter()
        try:
            r = requests.post(f"{base}/v1/summarize", json={"text": PROBE_TEXT, "max_bullets": 2},
                              timeout=timeout_s, headers={"Connection": "close"})
            if r.status_code == 200:
                times.append(time.perf_counter() - t0)
            else:
                failed += 1
        except requests.RequestException:
            failed += 1
    return times, failed


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0-1) of ``values``, linear between points; nan when empty."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def measure(mechanism: str, slow: int, probes: int, workers: int) -> dict[str, float]:
    """Probe figures for one mechanism: p50/p95 seconds over answered probes, failures counted as
    the timeout (so a mechanism that answers nobody cannot look fast)."""
    from bench.server import start_server, stop_server

    env = {"SUMMARIZER_CACHE_SIZE": "0", "SUMMARIZER_LOG_LEVEL": "WARNING", **MECHANISMS[mechanism]}
    if os.environ.get("PYTHONPATH"):  # e.g. where gevent was installed for the comparison
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    proc, base = start_server(env, workers=workers)
    try:
        host, port = base.removeprefix("http://").split(":")
        quiet, _ = probe_latencies(base, 5)
        with slow_clients(host, int(port), slow) as stats:
            time.sleep(2.0)  # every slow connection has been accepted and has started trickling
            t0 = time.monotonic()
            # spread over more than the read timeout, so probes also meet the dropped clients coming back
            times, failed = probe_latencies(base, probes, every_s=0.5)
            elapsed = time.monotonic() - t0
        scored = times + [5.0] * failed
        return {"p50_s": percentile(scored, 0.5), "p95_s": percentile(scored, 0.95), "failed": failed,
                "answered": len(times), "quiet_p50_s": percentile(quiet, 0.5), "elapsed_s": elapsed,
                "reopened": stats["reopened"]}
    finally:
        stop_server(proc)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--slow", type=int, default=200)
    ap.add_argument("--probes", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--mechanism", nargs="*", default=list(MECHANISMS), choices=list(MECHANISMS))
    args = ap.parse_args(argv)
    print(f"{args.slow} slow connections, {args.probes} probes, {args.workers} workers, "
          f"{os.cpu_count()} CPUs", file=sys.stderr)
    print("| mechanism | probe p50 | probe p95 | timed out (5 s) | p50 without slow clients "
          "| slow connections ended by the server |")
    print("|---|---|---|---|---|---|")
    for name in args.mechanism:
        r = measure(name, args.slow, args.probes, args.workers)
        print(f"| {name} | {r['p50_s'] * 1000:.0f} ms | {r['p95_s'] * 1000:.0f} ms | "
              f"{r['failed']:.0f} of {args.probes} | {r['quiet_p50_s'] * 1000:.0f} ms | {r['reopened']} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
