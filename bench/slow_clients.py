"""Ordinary requests while many clients trickle their headers (slowloris), per server mechanism.

    python -m bench.slow_clients [--slow 200] [--probes 30] [--workers 2] [--mechanism NAME ...]

Starts the real server (``python -m service serve``, 127.0.0.1, default settings but the result
cache off), opens ``--slow`` connections that each send a request line and then one header line
a second, and meanwhile POSTs ``--probes`` ordinary summarize requests one after another on fresh
connections (5 s timeout each). Prints probe p50/p95 and timeouts per mechanism:

- ``default``: what ``service/gunicorn_conf.py`` configures (the shipped choice: gunicorn's bundled
  ``asgi`` worker, the bounds in ``service.server.Gate``);
- ``gthread``: gunicorn's threaded worker, the earlier default (each thread reads one request);
- ``gevent``: gunicorn's gevent worker (needs the gevent package, which the service does not ship);
- ``gthread+nginx``: ``gthread`` behind nginx (``nginx`` on the PATH), which buffers each whole
  request before passing it on (``proxy_request_buffering``) and bounds the time for headers and
  body (``client_header_timeout``, ``client_body_timeout``: 10 s): the proxy design.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bench import load
from bench.load import Request, percentile

PROBE_TEXT = ("The city council approved the new transit plan on Monday. Buses will run every ten "
              "minutes from March. The plan costs 40 million dollars over five years.")

MECHANISMS: dict[str, dict[str, str]] = {
    "default": {},
    "gthread": {"GUNICORN_CMD_ARGS": "--worker-class gthread", "SUMMARIZER_SERVER_WORKER": "gthread"},
    "gevent": {"GUNICORN_CMD_ARGS": "--worker-class gevent --worker-connections 1000",
               "SUMMARIZER_SERVER_WORKER": "gthread"},
    "gthread+nginx": {"SUMMARIZER_SERVER_WORKER": "gthread"},
}

NGINX_CONF = """worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy; fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
  client_header_timeout 10s; client_body_timeout 10s; client_max_body_size 2m; keepalive_timeout 5s;
  upstream app {{ server 127.0.0.1:{upstream}; keepalive 16; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_request_buffering on; proxy_buffering on; proxy_read_timeout 120s;
    }}
  }}
}}
"""


@contextmanager
def nginx_in_front(upstream: str) -> Iterator[str]:
    """nginx on a free port proxying to ``upstream`` (http://127.0.0.1:PORT); yields its base URL."""
    import shutil
    import subprocess
    import tempfile

    from bench.server import free_port

    folder = tempfile.mkdtemp(prefix="bench-nginx-")
    port = free_port()
    conf = os.path.join(folder, "nginx.conf")
    with open(conf, "w", encoding="utf-8") as f:
        f.write(NGINX_CONF.format(dir=folder, upstream=upstream.rsplit(":", 1)[1], port=port))
    proc = subprocess.Popen(["nginx", "-c", conf, "-p", folder, "-e", os.path.join(folder, "error.log")])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


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
    """Seconds per answered probe (one after another, a fresh connection each, each after a wait of
    ``every_s``), and how many timed out or failed."""
    probe = Request("POST", "/v1/summarize", json.dumps({"text": PROBE_TEXT, "max_bullets": 2}).encode(),
                    {"Connection": "close"})
    run = load.run(base, 1, lambda _: [probe] * probes, per_client=probes, keep_alive=False, timeout=timeout_s,
                   think_s=every_s)
    times = run.latencies()
    return times, probes - len(times)


def measure(mechanism: str, slow: int, probes: int, workers: int) -> dict[str, float]:
    """Probe figures for one mechanism: p50/p95 seconds over answered probes, failures counted as
    the timeout (so a mechanism that answers nobody cannot look fast)."""
    from bench.server import start_server, stop_server

    # (start_server keeps PYTHONPATH's entries, e.g. where gevent was installed for the comparison)
    env = {"SUMMARIZER_CACHE_SIZE": "0", "SUMMARIZER_LOG_LEVEL": "WARNING", **MECHANISMS[mechanism]}
    proc, base = start_server(env, workers=workers)
    proxy = nginx_in_front(base) if mechanism.endswith("+nginx") else None
    try:
        if proxy is not None:
            base = proxy.__enter__()
        host, port = load.host_port(base)
        quiet, _ = probe_latencies(base, 5)
        with slow_clients(host, port, slow) as stats:
            time.sleep(2.0)  # every slow connection has been accepted and has started trickling
            t0 = time.monotonic()
            # spread over more than the read timeout, so probes also meet the dropped clients coming back
            times, failed = probe_latencies(base, probes, every_s=0.5)
            elapsed = time.monotonic() - t0
        scored = times + [5.0] * failed
        return {"p50_s": percentile(scored, 50), "p95_s": percentile(scored, 95), "failed": failed,
                "answered": len(times), "quiet_p50_s": percentile(quiet, 50), "elapsed_s": elapsed,
                "reopened": stats["reopened"]}
    finally:
        if proxy is not None:
            proxy.__exit__(None, None, None)
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
