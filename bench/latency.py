"""Latency of one summarize request over HTTP, one client at a time, on the embedded default.

    python -m bench.latency [--requests 200] [--workers 1]

Starts the real server (gunicorn, 127.0.0.1, result cache off), warms it up, then POSTs each
sample article (samples/ko.txt, samples/en.txt) ``--requests`` times back to back on one
keep-alive connection and prints p50 and p95 per article.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

from bench.speed import ROOT


def main(argv: list[str] | None = None) -> int:
    import requests

    from bench.server import start_server, stop_server

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args(argv)
    proc, base = start_server({"SUMMARIZER_CACHE_SIZE": "0", "SUMMARIZER_LOG_LEVEL": "WARNING"},
                              workers=args.workers)
    try:
        session = requests.Session()
        for name in ("ko.txt", "en.txt"):
            text = (ROOT / "samples" / name).read_text(encoding="utf-8")
            for _ in range(5):  # warm-up, not timed
                session.post(f"{base}/v1/summarize", json={"text": text}, timeout=30).raise_for_status()
            latencies = []
            for _ in range(args.requests):
                t0 = time.perf_counter()
                resp = session.post(f"{base}/v1/summarize", json={"text": text}, timeout=30)
                latencies.append((time.perf_counter() - t0) * 1000)
                resp.raise_for_status()
            p95 = statistics.quantiles(latencies, n=100)[94]
            print(f"samples/{name}: {len(text)} chars, {len(resp.json()['bullets'])} bullets, "
                  f"p50 {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms ({args.requests} requests)")
    finally:
        stop_server(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
