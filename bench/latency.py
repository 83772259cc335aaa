"""Latency of summarize requests over HTTP on the embedded default: one client, or many kept alive.

    python -m bench.latency [--requests 200] [--workers 1]
    python -m bench.latency --clients 8 64 256 [--seconds 15] [--workers 2] [--max-inflight N]

Starts the real server (gunicorn, 127.0.0.1, result cache off) and warms it up. Without
``--clients``: POSTs each sample article (samples/ko.txt, samples/en.txt) ``--requests`` times back
to back on one keep-alive connection and prints p50 and p95 per article.

With ``--clients``: for each count, that many threads each keep one connection alive (http.client)
and POST the sample articles in turn for ``--seconds``; a client told ``Connection: close`` opens a
new connection, one refused (503) waits 50 ms. Prints answered requests per second, p50/p99 of the
200s, the 503s, and how the connections were spread over the workers (established connections per
worker pid, sampled mid-run). This is the measurement behind removing the balancing of
connections over the workers (docs/protection.md).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from bench import load
from bench.load import Request, connections_per_worker
from bench.server import ROOT

__all__ = ["keepalive_load", "main"]


def keepalive_load(base: str, clients: int, seconds: float, bodies: list[bytes],
                   on_midway: Callable[[], list[int]] | None = None) -> dict[str, Any]:
    """``clients`` kept-alive clients POSTing ``bodies`` in turn for ``seconds`` (a 503 waits 50 ms);
    ``on_midway()`` is sampled halfway through."""
    spread: list[list[int] | None] = [None]

    def midway(deadline: float) -> None:
        if on_midway is not None:
            time.sleep(seconds / 2)
            spread[0] = on_midway()

    reqs = [Request("POST", "/v1/summarize", body) for body in bodies]
    run = load.run(base, clients, load.in_turn(reqs), seconds=seconds, backoff={503: 0.05}, during=midway)
    statuses = run.statuses()
    latencies = run.latencies()
    return {"clients": clients, "per_s": statuses[200] / run.seconds, "ok": statuses[200], "refused": statuses[503],
            "other": sum(n for status, n in statuses.items() if status not in (200, 503)),
            "errors": len(run.errors()), "reconnects": sum(o.will_close for o in run.outcomes),
            "p50_ms": load.percentile(latencies, 50) * 1000, "p99_ms": load.percentile(latencies, 99) * 1000,
            "spread": spread[0], "error_kinds": run.error_kinds()}


def main(argv: list[str] | None = None) -> int:
    from bench.server import start_server, stop_server

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--workers", type=int, default=None, help="default: 1, or 2 with --clients")
    ap.add_argument("--clients", type=int, nargs="*", default=None)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--max-inflight", type=int, default=None,
                    help="SUMMARIZER_MAX_INFLIGHT for the run (a large one measures queueing, not refusal)")
    args = ap.parse_args(argv)
    env = {"SUMMARIZER_CACHE_SIZE": "0", "SUMMARIZER_LOG_LEVEL": "WARNING", "SUMMARIZER_MAX_REQUESTS": "0"}
    if args.max_inflight is not None:
        env["SUMMARIZER_MAX_INFLIGHT"] = str(args.max_inflight)
    workers = args.workers or (2 if args.clients else 1)
    proc, base = start_server(env, workers=workers)
    try:
        texts = [(ROOT / "samples" / name).read_text(encoding="utf-8") for name in ("ko.txt", "en.txt")]
        bodies = [json.dumps({"text": t}).encode() for t in texts]
        for body in bodies:  # warm-up, not timed
            load.closed_loop(base, "/v1/summarize", [body], 1, 5, timeout=30)
        if args.clients:
            port = int(base.rsplit(":", 1)[1])
            print("| clients | answered/s | p50 | p99 | 503s | reconnects | errors "
                  "| connections per worker (mid-run) |")
            print("|---|---|---|---|---|---|---|---|")
            for clients in args.clients:
                r = keepalive_load(base, clients, args.seconds, bodies,
                                   lambda: connections_per_worker(proc.pid, port))
                print(f"| {clients} | {r['per_s']:.1f} | {r['p50_ms']:.0f} ms | {r['p99_ms']:.0f} ms | {r['refused']} "
                      f"| {r['reconnects']} | {r['errors']} | {r['spread']} |", flush=True)
                if r["error_kinds"]:
                    print(f"  errors at {clients} clients: {r['error_kinds']}", file=sys.stderr, flush=True)
            return 0
        for name, text, body in zip(("ko.txt", "en.txt"), texts, bodies):
            run = load.closed_loop(base, "/v1/summarize", [body], 1, args.requests, timeout=30)
            latencies = [t * 1000 for t in run.latencies()]
            bullets = len(json.loads(run.outcomes[-1].body)["bullets"])
            print(f"samples/{name}: {len(text)} chars, {bullets} bullets, "
                  f"p50 {load.percentile(latencies, 50):.1f} ms, p95 {load.percentile(latencies, 95):.1f} ms "
                  f"({args.requests} requests)")
    finally:
        stop_server(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
