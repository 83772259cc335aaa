"""Tier 3: the real gunicorn server started by the serve command, on 127.0.0.1."""
from __future__ import annotations

from typing import Any

import pytest
import requests

from bench.server import ROOT, start_server, stop_server

# --- service.server.Gate in-process: admission, recycling, refused bodies (no server, no threads) ---


def _scope(method: str = "POST", path: str = "/v1/summarize", length: int | None = 2) -> dict:
    headers = [] if length is None else [(b"content-length", str(length).encode())]
    return {"type": "http", "method": method, "path": path, "headers": headers}


class _Client:
    """One request's receive (the body in ``pieces``) and send (collects the answer)."""

    def __init__(self, pieces: list[bytes], more: bool = False) -> None:
        self.pieces = list(pieces)
        self.more = more  # the last piece says more is coming (and none does)
        self.sent: list[dict] = []
        self.read = 0

    async def receive(self) -> dict:
        if not self.pieces:
            import asyncio

            await asyncio.sleep(3600)
        piece = self.pieces.pop(0)
        self.read += len(piece)
        return {"type": "http.request", "body": piece, "more_body": bool(self.pieces) or self.more}

    async def send(self, message: dict) -> None:
        self.sent.append(message)

    @property
    def status(self) -> int:
        return self.sent[0]["status"]

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.sent[0]["headers"])


def _gate(work, settings_overrides: dict | None = None, **kwargs):  # noqa: ANN001, ANN202
    from dataclasses import replace

    from service.config import Settings
    from service.server import Gate

    settings = replace(Settings(), **{"threads": 1, "max_inflight": 2, **(settings_overrides or {})})
    return Gate(work, _ok_app, settings, **kwargs)


async def _ok_app(scope, receive, send) -> None:  # noqa: ANN001
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def test_gate_admits_max_inflight_and_refuses_the_next_at_once() -> None:
    import asyncio

    async def run() -> list[int]:
        release = asyncio.Event()

        async def work(scope, receive, send) -> None:  # noqa: ANN001
            await release.wait()
            await _ok_app(scope, receive, send)

        gate = _gate(work)
        clients = [_Client([b"{}"]) for _ in range(4)]
        tasks = [asyncio.ensure_future(gate(_scope(), c.receive, c.send)) for c in clients[:2]]
        await asyncio.sleep(0.01)
        assert gate.admitted == 2
        await asyncio.wait_for(gate(_scope(), clients[2].receive, clients[2].send), 0.05)  # not waiting
        await asyncio.wait_for(gate(_scope("GET", "/healthz", None), clients[3].receive, clients[3].send), 0.05)
        release.set()
        await asyncio.gather(*tasks)
        assert gate.admitted == 0
        assert clients[2].headers[b"retry-after"] == b"1" and clients[2].headers[b"connection"] == b"close"
        return [c.status for c in clients]

    assert asyncio.run(run()) == [200, 200, 503, 200]  # health is not work: not counted, not refused


def test_gate_refuses_at_capacity_before_the_body_arrives_and_then_drains_it() -> None:
    """With every slot taken, a request whose body is still on its way is answered 503 at once (was:
    the body was read first, so the refusal waited for the client's upload), and the body is then read
    and discarded so the client, still sending, reads its answer."""
    import asyncio

    async def run() -> tuple[int, bytes, int]:
        release = asyncio.Event()

        async def work(scope, receive, send) -> None:  # noqa: ANN001
            await release.wait()
            await _ok_app(scope, receive, send)

        gate = _gate(work, {"max_inflight": 1})
        busy = _Client([b"{}"])
        task = asyncio.ensure_future(gate(_scope(), busy.receive, busy.send))
        await asyncio.sleep(0.01)
        slow = _Client([])
        upload: asyncio.Queue[dict] = asyncio.Queue()  # headers in, not one body byte yet

        async def receive() -> dict:
            message = await upload.get()
            slow.read += len(message["body"])
            return message

        late = asyncio.ensure_future(gate(_scope(length=30), receive, slow.send))
        await asyncio.sleep(0.05)
        answered = len(slow.sent)  # the 503 is out although the body has not come
        upload.put_nowait({"type": "http.request", "body": b"x" * 10, "more_body": True})
        upload.put_nowait({"type": "http.request", "body": b"y" * 20, "more_body": False})
        release.set()
        await asyncio.wait_for(asyncio.gather(task, late), 2)
        return slow.status, slow.headers.get(b"connection", b""), answered + 100 * slow.read

    status, connection, seen = asyncio.run(run())
    assert status == 503 and connection == b"close"
    assert seen == 2 + 100 * 30  # answered (start + body) before the body, then all 30 bytes drained


def test_gate_frees_a_slot_when_the_answer_is_out_not_when_the_call_returns() -> None:
    """A kept-alive client sends its next request as soon as it has the answer, while the app's call
    (a2wsgi's) is still returning: that request is admitted (it got a 503 at 8 clients on 8 slots)."""
    import asyncio

    async def run() -> list[int]:
        returned = asyncio.Event()

        async def work(scope, receive, send) -> None:  # noqa: ANN001
            # as a2wsgi answers: the whole body (Content-Length) with more_body, the closing message later
            await receive()
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
            await send({"type": "http.response.body", "body": b"ok", "more_body": True})
            await returned.wait()  # the answer is out; the call has not returned yet
            await send({"type": "http.response.body", "body": b""})

        gate = _gate(work, {"max_inflight": 1})
        first, second = _Client([b"{}"]), _Client([b"{}"])
        task = asyncio.ensure_future(gate(_scope(), first.receive, first.send))
        while len(first.sent) < 2:
            await asyncio.sleep(0.001)
        gate.work = _ok_app
        await asyncio.wait_for(gate(_scope(), second.receive, second.send), 1)
        returned.set()
        await task
        assert gate.admitted == 0
        return [first.status, second.status]

    assert asyncio.run(run()) == [200, 200]


def test_gate_recycles_after_requests_served_with_connection_close() -> None:
    import asyncio

    stops: list[int] = []

    async def run() -> list[tuple[int, bytes | None]]:
        gate = _gate(_ok_app, recycle_after=3, stop=lambda: stops.append(1))
        out = []
        for status_app in (_ok_app, _ok_app, _refuse_429, _ok_app, _ok_app):
            gate.work = status_app
            c = _Client([b"{}"])
            await gate(_scope(), c.receive, c.send)
            out.append((c.status, c.headers.get(b"connection")))
        await asyncio.sleep(0.1)
        return out

    # the 429 does not count: the third served request turns the worker to draining, and it and every
    # later answer close their connection; the worker is stopped once idle, once
    assert asyncio.run(run()) == [(200, None), (200, None), (429, None), (200, b"close"), (200, b"close")]
    assert stops == [1]


async def _refuse_429(scope, receive, send) -> None:  # noqa: ANN001
    await send({"type": "http.response.start", "status": 429, "headers": [(b"retry-after", b"1")]})
    await send({"type": "http.response.body", "body": b"slow down"})


def test_gate_reads_and_discards_a_refused_body_and_closes() -> None:
    """A body over the limit: the app answers from the declared length; the gate then reads the rest
    (so the client, still sending, gets to read the answer) and says Connection: close."""
    import asyncio

    limit = 1024
    pieces = [b"x" * 512] * 6  # 3 KB declared and sent: over the limit

    async def run() -> _Client:
        gate = _gate(_refuse_429, {"max_body_bytes": limit})
        c = _Client(pieces)
        await gate(_scope(length=3072), c.receive, c.send)
        return c

    c = asyncio.run(run())
    assert c.status == 429 and c.headers[b"connection"] == b"close"
    assert c.read == 3072  # all of it read after the answer, none of it kept


def test_gate_answers_408_when_the_body_is_too_slow() -> None:
    import asyncio

    async def run() -> _Client:
        gate = _gate(_ok_app, {"read_timeout_s": 0.1})
        c = _Client([b"{"], more=True)  # then nothing more
        await asyncio.wait_for(gate(_scope(length=10), c.receive, c.send), 2)
        return c

    c = asyncio.run(run())
    assert c.status == 408 and c.headers[b"connection"] == b"close"


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


# --- the server's own bounds (issue 25), on a real multi-worker gunicorn with a slowed engine ------

SHORT = "The council approved the plan on Monday. Buses will run every ten minutes. The plan costs 40 million."


def _at_once(base: str, n: int, body: dict, timeout: float = 60) -> list[tuple[int, dict, float]]:
    """``n`` POSTs to /v1/summarize released together, one connection each: (status, headers, seconds)."""
    import threading
    import time

    out: list[tuple[int, dict, float]] = []
    barrier = threading.Barrier(n)

    def one() -> None:
        barrier.wait()
        t0 = time.monotonic()
        r = requests.post(f"{base}/v1/summarize", json=body, timeout=timeout)
        out.append((r.status_code, {**{k.lower(): v for k, v in r.headers.items()},
                                    "code": r.json().get("error", {}).get("code")},
                    time.monotonic() - t0))

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 10)
    return out


def test_overload_admits_max_inflight_per_worker_and_refuses_the_rest_at_once() -> None:
    """2 workers, default THREADS (4) and MAX_INFLIGHT (8), an engine taking 2 s a call: of 40
    requests at once at most 16 are admitted, and every other one is a 503 long before a thread
    frees (was: all 40 queued for the bridge's threads and answered 200 after up to 20 s)."""
    from service.config import Settings

    limit = 2 * Settings().max_inflight_effective
    proc, base = start_server({"BENCH_ENGINE_DELAY_S": "2.0", "SUMMARIZER_CACHE_SIZE": "0",
                               "SUMMARIZER_LOG_LEVEL": "WARNING"}, workers=2, app="bench.server:slowed_app()")
    try:
        results = _at_once(base, 40, {"text": SHORT})
    finally:
        stop_server(proc)
    admitted = [r for r in results if r[0] != 503]
    refused = [r for r in results if r[0] == 503]
    print(f"\n40 at once: {len(admitted)} admitted (max {max(r[2] for r in admitted):.1f} s), {len(refused)} refused "
          f"(max {max((r[2] for r in refused), default=0) * 1000:.0f} ms)")
    assert len(results) == 40
    assert 0 < len(admitted) <= limit and all(r[0] == 200 for r in admitted)
    assert all(r[1]["code"] == "overloaded" and r[1]["retry-after"] == "1" for r in refused)
    # refused before any thread frees (the engine holds each for 2 s); on an idle machine within 50 ms
    assert max(r[2] for r in refused) < 1.0
    # 4 threads a worker: the admitted are answered in at most two rounds of 2 s
    assert max(r[2] for r in admitted) < 4 * 2.0 + 2.0


def test_the_deadline_counts_from_arrival() -> None:
    """One thread, a 2 s deadline, an engine taking 1.5 s: of 3 requests at once the first is a 200;
    the others wait for the thread, and the wait counts, so each is answered by about 2 s (504), not
    2 s after its work started (was: 3.5 s and 5.5 s)."""
    proc, base = start_server({"BENCH_ENGINE_DELAY_S": "1.5", "SUMMARIZER_THREADS": "1",
                               "SUMMARIZER_MAX_INFLIGHT": "3", "SUMMARIZER_REQUEST_TIMEOUT_S": "2",
                               "SUMMARIZER_CACHE_SIZE": "0", "SUMMARIZER_LOG_LEVEL": "WARNING"},
                              workers=1, app="bench.server:slowed_app()")
    try:
        results = sorted(_at_once(base, 3, {"text": SHORT}), key=lambda r: r[2])
    finally:
        stop_server(proc)
    print(f"\ndeadline 2 s: {[(r[0], round(r[2], 2)) for r in results]}")
    assert results[0][0] == 200
    assert [r[0] for r in results[1:]] == [504, 504]
    assert all(r[1]["code"] == "deadline_exceeded" for r in results[1:])
    assert max(r[2] for r in results) < 2.0 + 1.0 + 0.6  # the gate's own answer comes 1 s after the deadline


def _raw_post(port: int, body_size: int, headers: str = "", chunk: int = 65536, pause_s: float = 0.01) -> bytes:
    """POST a JSON body of ``body_size`` bytes in pieces with pauses (so the server answers while it
    is still arriving), then read the whole answer; raises OSError if the server cut us off."""
    import socket
    import time

    body = b'{"text": "' + b"x" * (body_size - 12) + b'"}'
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(f"POST /v1/summarize HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n{headers}"
                  f"Content-Length: {len(body)}\r\n\r\n".encode())
        for i in range(0, len(body), chunk):
            s.sendall(body[i:i + chunk])
            time.sleep(pause_s)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            data = s.recv(65536)
            if not data:
                break
            answer += data
        return answer


def test_a_refusal_before_the_body_is_read_reaches_the_client() -> None:
    """A 2 MB body (over the 1 MB limit) sent in pieces: the 413, and the 429 once over the rate
    limit, are read by the client, not lost to a reset connection (was: answered and closed before the
    body arrived: a broken pipe)."""
    proc, base = start_server({"SUMMARIZER_RATE_LIMIT_PER_MINUTE": "2", "SUMMARIZER_LOG_LEVEL": "WARNING"}, workers=1)
    port = int(base.rsplit(":", 1)[1])
    try:
        answers = [_raw_post(port, 2_000_000) for _ in range(3)]
    finally:
        stop_server(proc)
    statuses = [a.split(b" ", 2)[1] for a in answers]
    assert statuses == [b"413", b"413", b"429"], answers
    assert all(b"connection: close" in a.lower() for a in answers)
    assert b"retry-after" in answers[2].lower() and b'"rate_limited"' in answers[2]


def _log_count(proc: Any, *needles: str) -> int:
    from pathlib import Path

    lines = Path(proc.log_path).read_text(errors="replace").splitlines()
    return sum(any(n in line for n in needles) for line in lines)


def _kept_alive_client(port: int, body: str, key: str | None, expect: int, failures: list[str],
                       closes: list[int], count: int | None = None, seconds: float | None = None,
                       stop: Any = None) -> None:
    """POSTs on one kept-alive connection (a new one each time the server says Connection: close),
    ``count`` of them or for ``seconds`` (or until ``stop``, a threading.Event, is set); every answer
    other than ``expect`` or failed call is noted."""
    import http.client
    import time

    headers = {"Content-Type": "application/json", **({"X-API-Key": key} if key else {})}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    end = time.monotonic() + (seconds or 0)
    sent = 0
    while ((count is not None and sent < count) or (seconds is not None and time.monotonic() < end)) \
            and not (stop is not None and stop.is_set()):
        sent += 1
        try:
            conn.request("POST", "/v1/summarize", body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status != expect:
                failures.append(f"{resp.status}")
            if resp.will_close:
                closes[0] += 1
                conn.close()
        except (OSError, http.client.HTTPException) as err:
            failures.append(type(err).__name__)
            conn.close()
    conn.close()


def test_a_worker_recycles_under_steady_load_and_no_answer_is_lost() -> None:
    """SUMMARIZER_MAX_REQUESTS=20 (no jitter), one worker, eight clients on kept-alive connections
    sending with no pause until the worker has been replaced twice (at most 40 s): it is (was: it
    waited for an instant with no request open, which steady traffic never left, and served 1,861
    requests in 6 s without recycling), each connection it ends was told so (Connection: close),
    and no request fails."""
    import json
    import threading
    import time

    proc, base = start_server({"SUMMARIZER_MAX_REQUESTS": "20", "SUMMARIZER_MAX_REQUESTS_JITTER": "0",
                               "SUMMARIZER_LOAD_IN_BACKGROUND": "false", "SUMMARIZER_LOG_LEVEL": "INFO"}, workers=1)
    port = int(base.rsplit(":", 1)[1])
    body = json.dumps({"text": SHORT})
    failures: list[str] = []
    closes = [0]
    try:
        stop = threading.Event()
        threads = [threading.Thread(target=_kept_alive_client, args=(port, body, None, 200, failures, closes),
                                    kwargs={"seconds": 40.0, "stop": stop}) for _ in range(8)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 40
        while _log_count(proc, "Worker exiting") < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(0.5)  # a little traffic on the replacement too
        stop.set()
        for t in threads:
            t.join(60)
        exits = _log_count(proc, "Worker exiting")
        print(f"\n{exits} workers recycled, {closes[0]} answers said Connection: close, failures: {failures}")
        assert failures == []
        assert exits >= 2 and closes[0] >= 1
    finally:
        stop_server(proc)


def test_refusals_do_not_count_toward_recycling() -> None:
    """SUMMARIZER_MAX_REQUESTS=20, one worker: once a fresh worker serves, 40 requests refused by the
    rate limit (429) do not start its recycling (they counted before)."""
    import json
    import time

    proc, base = start_server({"SUMMARIZER_MAX_REQUESTS": "20", "SUMMARIZER_MAX_REQUESTS_JITTER": "0",
                               "SUMMARIZER_LOAD_IN_BACKGROUND": "false",
                               "SUMMARIZER_API_KEYS": "limited", "SUMMARIZER_RATE_LIMIT_PER_MINUTE": "45",
                               "SUMMARIZER_RATE_LIMIT_STORAGE": "file",  # one count across the recycled workers
                               "SUMMARIZER_LOG_LEVEL": "INFO"}, workers=1)
    port = int(base.rsplit(":", 1)[1])
    body = json.dumps({"text": SHORT})
    failures: list[str] = []
    closes = [0]
    try:
        if time.time() % 60 > 30:  # the limited key's requests all in one fixed window
            time.sleep(61 - time.time() % 60)
        _kept_alive_client(port, body, "limited", 200, failures, closes, count=45)  # the minute is used up
        assert failures == []
        # every worker that began recycling has gone, and its successor listens
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            recycling = _log_count(proc, "recycling this worker")
            exits = _log_count(proc, "Worker exiting")
            if recycling >= 1 and exits == recycling and _log_count(proc, "ASGI server listening") == exits + 1:
                break
            time.sleep(0.2)
        before = _log_count(proc, "recycling this worker")
        assert before >= 1 and _log_count(proc, "Worker exiting") == before
        _kept_alive_client(port, body, "limited", 429, failures, closes, count=40)  # refusals
        time.sleep(0.5)
        assert failures == []
        assert _log_count(proc, "recycling this worker") == before
    finally:
        stop_server(proc)


def test_work_threads_run_below_the_event_loop() -> None:
    """After a summarize request, the worker thread that ran it has nice 10 (SUMMARIZER_WORK_NICE's
    default) and the worker's main thread, the event loop's, keeps 0: refusals and health checks do
    not wait for a CPU behind the work."""
    import os

    import psutil

    proc, base = start_server({"SUMMARIZER_LOAD_IN_BACKGROUND": "false", "SUMMARIZER_LOG_LEVEL": "WARNING"},
                              workers=1)
    try:
        r = requests.post(f"{base}/v1/summarize", json={"text": SHORT}, timeout=30)
        assert r.status_code == 200
        worker = psutil.Process(proc.pid).children()[0]
        nices = {t.id: os.getpriority(os.PRIO_PROCESS, t.id) for t in worker.threads()}
    finally:
        stop_server(proc)
    assert nices[worker.pid] == 0, nices
    assert 10 in nices.values(), nices
