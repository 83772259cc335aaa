"""The server as clients see it under overload and over a long mixed run: what is refused, what is lost.

    python -m bench.soak overload [--requests 40] [--workers 2] [--chars 95000]
    python -m bench.soak soak [--seconds 120] [--clients 16] [--workers 2] [--max-requests 150] [--reload-every 0]

Both start the real server (``python -m service serve``, 127.0.0.1, result cache off, default
settings otherwise) and count from the client's side.

``overload``: ``--requests`` summarize requests of distinct articles of ``--chars`` characters
(random sentences from a fixed vocabulary, seeded: no two alike, none page chrome) sent at once, one
connection each. Prints how many were admitted (any answer but 503), the 503s' time to answer
(target: within 50 ms) and whether each carried ``Retry-After``, and the admitted ones' time to
answer against the deadline (``SUMMARIZER_REQUEST_TIMEOUT_S``).

``soak``: ``--clients`` threads on kept-alive connections (http.client, no retries: a connection
the server drops without saying so is a failure here, as it is for a client POSTing) for
``--seconds``, mixing summarize (three sample articles), batch, health and model listing, and bad
inputs: invalid JSON (400), a wrong type (422), a 2 MB body (413, or 429 when over the rate limit),
each client with its own API key and a rate limit some of them pass (429). Workers are recycled
every ``--max-requests`` requests (``SUMMARIZER_MAX_REQUESTS``, jitter 20 %), and with
``--reload-every N`` the master is sent SIGHUP (gunicorn's graceful reload) every N seconds. A
failure is a connection error or an answer outside 200/400/413/422/429/503, or a 429/503 without
``Retry-After``. Target: 0 failures.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from bench import load
from bench.load import Outcome, Request

ROOT = Path(__file__).resolve().parent.parent
EN_WORDS = ("the city council plan new said year market will more bus water school budget minister "
            "report price energy company workers river bridge court police hospital teachers").split()


def distinct_article(seed: int, chars: int) -> str:
    """``chars`` characters of sentences no other seed produces (each ends with its own number)."""
    rng = random.Random(seed)
    parts: list[str] = []
    size = 0
    n = 0
    while size < chars:
        n += 1
        words = " ".join(rng.choice(EN_WORDS) for _ in range(rng.randint(8, 20)))
        sentence = f"{words.capitalize()} {seed}-{n}. "
        parts.append(sentence)
        size += len(sentence)
    return "".join(parts)[:chars]


def overload(base: str, requests: int, chars: int, timeout: float = 120.0) -> dict[str, object]:
    """Send ``requests`` distinct heavy summarize requests at once; what came back, and when."""
    reqs = [Request("POST", "/v1/summarize", json.dumps({"text": distinct_article(1000 + i, chars)}).encode())
            for i in range(requests)]
    run = load.run(base, requests, lambda i: [reqs[i]], per_client=1, keep_alive=False, timeout=timeout)
    answered = [o for o in run.outcomes if o.status]
    refused = [o.seconds for o in answered if o.status == 503]
    refused_after_body = [o.after_body for o in answered if o.status == 503]
    admitted = [o for o in answered if o.status != 503]
    nan = float("nan")
    return {
        "requests": requests,
        "failed": [o.error for o in run.errors()],
        "admitted": len(admitted),
        "admitted_statuses": dict(Counter(o.status for o in admitted)),
        "admitted_max_s": max((o.seconds for o in admitted), default=nan),
        "admitted_p50_s": load.percentile([o.seconds for o in admitted], 50),
        "refused": len(refused),
        "refused_max_ms": max(refused, default=nan) * 1000,
        "refused_p50_ms": load.percentile(refused, 50) * 1000,
        # from the last byte of the body sent to the answer: the server's part of the time
        "refused_after_body_max_ms": max(refused_after_body, default=nan) * 1000,
        "refused_after_body_p50_ms": load.percentile(refused_after_body, 50) * 1000,
        "refused_without_retry_after": sum("retry-after" not in o.headers for o in answered if o.status == 503),
    }


# --- soak --------------------------------------------------------------------------------------

SAMPLES = [(ROOT / "samples" / n).read_text(encoding="utf-8") for n in ("ko.txt", "en.txt", "ko_no_periods.txt")]
EXPECTED = {200, 400, 413, 422, 429, 503}


def _mix(rng: random.Random) -> tuple[str, str, bytes | None]:
    """One request of the mix: (method, path, body)."""
    roll = rng.random()
    if roll < 0.60:
        return "POST", "/v1/summarize", json.dumps({"text": rng.choice(SAMPLES), "max_bullets": 3}).encode()
    if roll < 0.68:
        items = [{"text": rng.choice(SAMPLES)} for _ in range(3)]
        return "POST", "/v1/summarize/batch", json.dumps({"items": items}).encode()
    if roll < 0.76:
        return "GET", rng.choice(["/healthz", "/readyz", "/v1/models"]), None
    if roll < 0.84:
        return "POST", "/v1/summarize", b'{"text": "unterminated'
    if roll < 0.92:
        return "POST", "/v1/summarize", json.dumps({"text": 12345}).encode()
    return "POST", "/v1/summarize", json.dumps({"text": "x" * 2_000_000}).encode()  # 2 MB: over the limit


def _client_mix(i: int) -> Iterator[Request]:
    """Client ``i``'s requests: the mix, seeded by ``i``, with the client's own API key."""
    rng = random.Random(i)
    headers = {"X-API-Key": f"soak-key-{i}"}
    while True:
        yield Request(*_mix(rng), headers=headers)


def _failure(o: Outcome) -> str | None:
    """Why this outcome is a failure, or None."""
    method, path = o.request.method, o.request.path
    if not o.status:
        return f"{method} {path} ({len(o.request.body or b'')} B): {o.error}"
    if o.status not in EXPECTED:
        return f"{method} {path}: status {o.status}"
    if o.status in (429, 503) and not o.headers.get("retry-after"):
        return f"{method} {path}: {o.status} without Retry-After"
    return None


def soak(base: str, seconds: float, clients: int, proc_pid: int | None = None,
         reload_every: float = 0.0) -> dict[str, object]:
    """``clients`` kept-alive clients for ``seconds``; statuses and every client-side failure."""
    reloads = [0]

    def reload(stop_at: float) -> None:
        if reload_every > 0 and proc_pid is not None:
            while time.monotonic() + reload_every < stop_at:
                time.sleep(reload_every)
                os.kill(proc_pid, signal.SIGHUP)  # gunicorn's graceful reload: new workers, old ones drained
                reloads[0] += 1

    # a 429/503 waits less than its Retry-After: keeps the mix going, the rate limit biting
    run = load.run(base, clients, _client_mix, seconds=seconds, timeout=60, backoff={429: 0.2, 503: 0.2},
                   during=reload)
    failures = [f for f in map(_failure, run.outcomes) if f is not None]
    return {"requests": len(run.outcomes), "statuses": dict(sorted(run.statuses().items())),
            "failures": len(failures),
            "failure_examples": sorted(Counter(failures).items(), key=lambda kv: -kv[1])[:10],
            "reloads": reloads[0]}


def _recycled(log_path: str) -> int:
    marks = ("recycling this worker", "Autorestarting worker")  # ours; gunicorn's own max_requests
    return sum(any(m in line for m in marks) for line in Path(log_path).read_text(errors="replace").splitlines())


def main(argv: list[str] | None = None) -> int:
    from bench.server import start_server, stop_server

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    o = sub.add_parser("overload")
    o.add_argument("--requests", type=int, default=40)
    o.add_argument("--chars", type=int, default=95_000)
    o.add_argument("--workers", type=int, default=2)
    s = sub.add_parser("soak")
    s.add_argument("--seconds", type=float, default=120)
    s.add_argument("--clients", type=int, default=16)
    s.add_argument("--workers", type=int, default=2)
    s.add_argument("--max-requests", type=int, default=150)
    s.add_argument("--rate-limit", type=int, default=300, help="per minute per client key")
    s.add_argument("--reload-every", type=float, default=0.0, help="seconds between SIGHUPs (0: none)")
    args = ap.parse_args(argv)
    env = {"SUMMARIZER_CACHE_SIZE": "0", "SUMMARIZER_LOG_LEVEL": "INFO"}
    if args.command == "soak":
        env.update(SUMMARIZER_MAX_REQUESTS=str(args.max_requests),
                   SUMMARIZER_MAX_REQUESTS_JITTER=str(args.max_requests // 5),
                   SUMMARIZER_API_KEYS=",".join(f"soak-key-{i}" for i in range(args.clients)),
                   SUMMARIZER_RATE_LIMIT_PER_MINUTE=str(args.rate_limit))
    proc, base = start_server(env, workers=args.workers)
    try:
        if args.command == "overload":
            from service.config import Settings

            defaults = Settings()
            inflight = defaults.max_inflight or 2 * defaults.threads
            r = overload(base, args.requests, args.chars)
            print(f"overload: {args.requests} requests of {args.chars:,} characters at once, {args.workers} workers, "
                  f"MAX_INFLIGHT {inflight} per worker (at most "
                  f"{args.workers * inflight} admitted), deadline {defaults.request_timeout_s:g} s")
            print(json.dumps(r, indent=1, default=str))
            ok = (not r["failed"] and r["admitted"] <= args.workers * inflight
                  and r["refused_without_retry_after"] == 0
                  and (r["refused"] == 0 or r["refused_max_ms"] <= 50)
                  and r["admitted_max_s"] <= defaults.request_timeout_s)
            print("targets met" if ok else "TARGETS MISSED")
        else:
            r = soak(base, args.seconds, args.clients, proc.pid, args.reload_every)
            r["workers_recycled"] = _recycled(proc.log_path)  # type: ignore[attr-defined]
            print(json.dumps(r, indent=1, default=str))
    finally:
        stop_server(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
