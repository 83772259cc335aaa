"""bench.load: the shared load generator against a tiny HTTP server in a thread, its percentile, and
its process monitor against child processes started here."""
from __future__ import annotations

import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from bench import load
from bench.load import Request


class _Handler(BaseHTTPRequestHandler):
    """Echoes the body (or the path); ``/status/N`` answers N, ``/close`` says Connection: close,
    ``/then-close`` closes the connection after answering without saying so, ``/drop`` closes it
    without answering, ``/slow`` takes 50 ms."""

    protocol_version = "HTTP/1.1"  # kept-alive connections
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        path = urlsplit(self.path).path
        with self.server.lock:
            self.server.seen.append((self.command, path, body, self.headers.get("X-Client", ""),
                                     self.headers.get("Content-Type", "")))
        if path == "/drop":
            self.close_connection = True
            return
        status = int(path.rsplit("/", 1)[1]) if path.startswith("/status/") else 200
        if path == "/slow":
            time.sleep(0.05)
        payload = body or path.encode()
        self.send_response(status)
        if status in (429, 503):
            self.send_header("Retry-After", "1")
        self.send_header("Content-Length", str(len(payload)))
        if path == "/close":
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)
        if path == "/then-close":
            self.close_connection = True

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.connections = 0
        self.seen: list[tuple[str, str, bytes, str, str]] = []  # method, path, body, X-Client, Content-Type

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture()
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def _always(req: Request) -> load.RequestSource:
    return lambda _: iter(lambda: req, None)


# --- percentile ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "pct", "expected"), [
    ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
    ([1.0, 2.0, 3.0, 4.0], 25, 1.75),
    ([4.0, 1.0, 3.0, 2.0], 0, 1.0),  # unsorted input
    ([4.0, 1.0, 3.0, 2.0], 100, 4.0),
    ([10.0, 20.0], 95, 19.5),
    ([7.0], 99, 7.0),
    (list(map(float, range(1, 101))), 99, 99.01),
])
def test_percentile_table(values: list[float], pct: float, expected: float) -> None:
    assert load.percentile(values, pct) == pytest.approx(expected)


def test_percentile_agrees_with_statistics_inclusive_and_median() -> None:
    rng = random.Random(0)
    for n in (2, 3, 17, 200):
        values = [rng.expovariate(1.0) for _ in range(n)]
        cuts = statistics.quantiles(values, n=100, method="inclusive")
        for pct in (1, 5, 50, 90, 95, 99):
            assert load.percentile(values, pct) == pytest.approx(cuts[pct - 1], rel=1e-12), (n, pct)
        assert load.percentile(values, 50) == pytest.approx(statistics.median(values), rel=1e-12)


def test_percentile_of_nothing_is_nan_and_out_of_range_is_refused() -> None:
    assert math.isnan(load.percentile([], 50))
    with pytest.raises(ValueError):
        load.percentile([1.0], 101)


# --- the load generator --------------------------------------------------------------------------


def test_count_per_client_on_kept_alive_connections(server: _Server) -> None:
    run = load.run(server.base, 3, _always(Request("POST", "/echo", b"{}")), per_client=4)
    assert len(run.outcomes) == 12
    assert {o.client for o in run.outcomes} == {0, 1, 2}
    assert all(sum(o.client == c for o in run.outcomes) == 4 for c in range(3))
    assert run.statuses() == {200: 12}
    assert len(run.latencies()) == 12 and all(0 < t < 5 for t in run.latencies())
    assert server.connections == 3  # one per client, kept alive
    assert all(o.body == b"" for o in run.outcomes)  # bodies only when asked for


def test_fresh_connections_open_one_per_request(server: _Server) -> None:
    run = load.run(server.base, 2, _always(Request("GET", "/x")), per_client=3, keep_alive=False)
    assert run.statuses() == {200: 6}
    assert server.connections == 6


@pytest.mark.parametrize(("stride", "expected"), [
    (1, {0: [b"0", b"1", b"2", b"0"], 1: [b"1", b"2", b"0", b"1"]}),
    (2, {0: [b"0", b"2", b"1", b"0"], 1: [b"1", b"0", b"2", b"1"]}),
])
def test_in_turn_takes_requests_by_client_and_stride(server: _Server, stride: int,
                                                     expected: dict[int, list[bytes]]) -> None:
    reqs = [Request("POST", "/echo", str(i).encode()) for i in range(3)]
    run = load.run(server.base, 2, load.in_turn(reqs, stride=stride), per_client=4, keep_bodies=True)
    by_client = {c: [o.body for o in run.outcomes if o.client == c] for c in (0, 1)}
    assert by_client == expected


def test_statuses_errors_and_reconnects_are_counted(server: _Server) -> None:
    paths = ["/status/503", "/ok", "/close", "/drop", "/status/422", "/ok"]
    run = load.run(server.base, 1, lambda _: [Request("GET", p) for p in paths], per_client=100)
    assert [o.status for o in run.outcomes] == [503, 200, 200, 0, 422, 200]
    assert run.statuses() == {200: 3, 503: 1, 422: 1}
    assert [o.request.path for o in run.errors()] == ["/drop"]
    assert run.error_kinds() == {"RemoteDisconnected": 1}
    assert [o.will_close for o in run.outcomes] == [False, False, True, False, False, False]
    assert run.outcomes[0].headers["retry-after"] == "1"
    # /close and /drop each end a connection: three in all
    assert server.connections == 3
    with pytest.raises(RuntimeError, match="3 of 6 GET"):
        run.check()


def test_a_connection_closed_while_idle_is_retried_only_when_asked(server: _Server) -> None:
    reqs = [Request("GET", "/then-close"), Request("GET", "/ok")]
    plain = load.run(server.base, 1, lambda _: reqs, per_client=2)
    assert [o.status for o in plain.outcomes] == [200, 0]
    retried = load.run(server.base, 1, lambda _: reqs, per_client=2, retry_idle_close=True)
    assert [o.status for o in retried.outcomes] == [200, 200]


def test_seconds_bound_the_run_and_during_gets_the_deadline(server: _Server) -> None:
    seen: list[float] = []

    def during(deadline: float) -> None:
        seen.append(deadline - time.monotonic())

    run = load.run(server.base, 2, _always(Request("GET", "/slow")), seconds=0.5, during=during)
    assert 0.45 <= run.seconds < 2.0
    assert 0 < seen[0] <= 0.5
    assert 2 <= len(run.outcomes) <= 2 * (0.5 / 0.05 + 1)  # no request starts after the deadline
    assert run.statuses() == {200: len(run.outcomes)}


def test_backoff_and_think_time_are_waited(server: _Server) -> None:
    reqs = [Request("GET", "/status/503"), Request("GET", "/ok")]
    quick = load.run(server.base, 1, lambda _: reqs, per_client=2)
    slowed = load.run(server.base, 1, lambda _: reqs, per_client=2, backoff={503: 0.3})
    thinking = load.run(server.base, 1, lambda _: reqs, per_client=2, think_s=0.2)
    assert slowed.seconds >= 0.3 and slowed.seconds - quick.seconds >= 0.25  # the 503's backoff was waited
    assert thinking.seconds >= 0.4
    # the think time is not in the latencies: they leave out at least most of the two 0.2 s waits
    assert sum(o.seconds for o in thinking.outcomes) <= thinking.seconds - 0.35


def test_headers_and_content_type_go_with_each_request(server: _Server) -> None:
    reqs = [Request("POST", "/a", b"[1]", {"X-Client": "seven"}), Request("GET", "/b"),
            Request("POST", "/c", b"x", {"content-type": "text/plain"})]
    load.run(server.base, 1, lambda _: reqs, per_client=3)
    assert server.seen == [("POST", "/a", b"[1]", "seven", "application/json"), ("GET", "/b", b"", "", ""),
                           ("POST", "/c", b"x", "", "text/plain")]


def test_closed_loop_keeps_bodies_and_raises_on_any_other_status(server: _Server) -> None:
    run = load.closed_loop(server.base, "/echo", [b'"a"', b'"b"'], clients=2, per_client=3)
    assert sorted(json.loads(o.body) for o in run.outcomes) == ["a", "a", "a", "b", "b", "b"]
    with pytest.raises(RuntimeError, match="2 of 2 POST /status/500 failed"):
        load.closed_loop(server.base, "/status/500", [b"{}"], clients=2, per_client=1)


def test_run_needs_a_bound() -> None:
    with pytest.raises(ValueError):
        load.run("http://127.0.0.1:9", 1, _always(Request()))


def test_keepalive_load_figures_match_its_outcomes(server: _Server) -> None:
    from bench.latency import keepalive_load

    r = keepalive_load(server.base, 2, 0.4, [b"{}"], on_midway=lambda: [1, 2])
    assert r["ok"] > 0 and r["refused"] == r["other"] == r["errors"] == r["reconnects"] == 0
    assert r["per_s"] == pytest.approx(r["ok"] / 0.4, rel=0.5)
    assert 0 < r["p50_ms"] <= r["p99_ms"]
    assert r["spread"] == [1, 2]


# --- the monitor ---------------------------------------------------------------------------------

CHILD = "import sys, time; b = bytearray(40 * 2**20); print('ready', flush=True); time.sleep(30)"


@pytest.fixture()
def child() -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_tree_memory_of_a_child(child: subprocess.Popen[str]) -> None:
    mine = load.tree_memory()  # this process's descendants, not this process
    assert os.getpid() not in {p.pid for p in mine.processes}
    one = mine.of(child.pid)
    assert one is not None and one.rss >= 40 * 2**20 and one.pss > 0
    root = load.tree_memory(child.pid, pss=False)
    assert [p.pid for p in root.processes] == [child.pid]
    assert root.pss == 0 and root.rss == root.largest_rss >= 40 * 2**20


def test_memory_monitor_keeps_the_peaks(child: subprocess.Popen[str]) -> None:
    small = subprocess.Popen([sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(30)"],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert small.stdout is not None and small.stdout.readline().strip() == "ready"
        with load.MemoryMonitor(interval=0.01, pss_every=1) as mon:
            time.sleep(0.2)
    finally:
        small.kill()
        small.wait()
    assert mon.peak > mon.largest >= 40 * 2**20  # summed over both children; the larger one alone
    assert mon.peak_pss > 0 and mon.peak_mb == mon.peak / 2**20
    with load.MemoryMonitor(child.pid, interval=0.01) as gone:
        child.kill()
        child.wait()
        time.sleep(0.1)  # the monitor stops once its process has ended, keeping what it saw
    assert not gone._thread.is_alive()


def test_connections_per_worker_counts_a_child_s_established_connections() -> None:
    code = ("import socket, time; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); "
            "print(s.getsockname()[1], flush=True); c, _ = s.accept(); print('ready', flush=True); time.sleep(30)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        with socket.create_connection(("127.0.0.1", port)):
            assert proc.stdout.readline().strip() == "ready"
            counts = load.connections_per_worker(os.getpid(), port)
        assert [c for c in counts if c] == [1]  # the child's end, not this process's
    finally:
        proc.kill()
        proc.wait()


def test_cpu_watch_takes_this_process_out_of_the_machine_s_busy_time() -> None:
    """Others' share is the machine's busy share less this process's: never more than the whole."""
    import psutil

    def busy() -> float:
        t = psutil.cpu_times()
        return t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)

    t0, busy0, cpu0 = time.monotonic(), busy(), time.process_time()
    watch = load.CpuWatch()
    end = time.process_time() + 0.5  # this process busy for 0.5 s: ours, not others'
    while time.process_time() < end:
        pass
    others, steal = watch.shares()
    wall = (time.monotonic() - t0) * load.cores()
    whole = 100 * (busy() - busy0) / wall
    ours = 100 * (time.process_time() - cpu0) / wall  # about 100 / cores % on a quiet machine, less on a busy one
    assert 0 <= others <= whole - 0.5 * ours, (others, whole, ours)  # ours taken out
    assert steal >= 0
