"""The benchmarks' one load generator and one process monitor (standard library and psutil only).

Load: :func:`run` starts ``clients`` threads, releases them together, and has each send the
requests its :data:`RequestSource` gives, on one kept-alive connection (``http.client``) or a fresh
connection per request, for a number of requests and/or a number of seconds. Every request leaves
an :class:`Outcome` (status, seconds, headers, error); the :class:`Run` holds them all and the wall
time. A failed request never stops its client: it is recorded and the client opens a new
connection. :func:`closed_loop` is the common case of a fixed count of requests that must all be
answered 200.

Figures: :func:`percentile` (linear between points, as ``statistics.quantiles(method="inclusive")``).

Monitor: :func:`tree_memory` (RSS and PSS of a process tree, once), :class:`MemoryMonitor` (their
peaks, polled), :class:`CpuWatch` (the share of the CPUs other processes took meanwhile), and
:func:`connections_per_worker` (a server's established connections per worker process).
"""
from __future__ import annotations

import http.client
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["CpuWatch", "MemoryMonitor", "Outcome", "ProcessMemory", "Request", "RequestSource", "Run",
           "TreeMemory", "closed_loop", "connections_per_worker", "cores", "host_port", "in_turn", "percentile",
           "run", "tree_memory"]

# --- load ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One request to send; a body goes as ``Content-Type: application/json`` unless ``headers`` say otherwise."""

    method: str = "POST"
    path: str = "/v1/summarize"
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


RequestSource = Callable[[int], Iterable[Request]]
"""Given a client's index (0 to clients - 1), the requests that client sends, in order."""


@dataclass
class Outcome:
    """What became of one request. ``status`` 0: no answer came (``error`` says why)."""

    client: int
    request: Request
    status: int = 0
    seconds: float = 0.0  # from starting to send to the answer read in full
    after_body: float = 0.0  # from the last byte sent to the answer read in full: the server's part
    headers: dict[str, str] = field(default_factory=dict)  # names lower-cased
    body: bytes = b""  # kept only with run(keep_bodies=True)
    error: str = ""  # "ExceptionName: message"
    will_close: bool = False  # the server said Connection: close

    @property
    def error_kind(self) -> str:
        return self.error.split(":", 1)[0]


@dataclass
class Run:
    """Every outcome of a :func:`run`, in the order they completed, and its wall time in seconds."""

    outcomes: list[Outcome]
    seconds: float

    def latencies(self, status: int = 200) -> list[float]:
        """Seconds per request answered with ``status``, in completion order."""
        return [o.seconds for o in self.outcomes if o.status == status]

    def statuses(self) -> Counter[int]:
        """Answers per status (requests without an answer are not counted)."""
        return Counter(o.status for o in self.outcomes if o.status)

    def errors(self) -> list[Outcome]:
        """The requests that got no answer."""
        return [o for o in self.outcomes if not o.status]

    def error_kinds(self) -> dict[str, int]:
        """Requests without an answer per exception name."""
        return dict(Counter(o.error_kind for o in self.errors()))

    def check(self, status: int = 200) -> Run:
        """This run, or RuntimeError when any request was not answered with ``status``."""
        bad = [o for o in self.outcomes if o.status != status]
        if bad:
            o = bad[0]
            first = f"{o.status}: {(o.body or o.error.encode())[:300]!r}"
            raise RuntimeError(f"{len(bad)} of {len(self.outcomes)} {o.request.method} {o.request.path} "
                               f"failed, first: {first}")
        return self


def host_port(base: str) -> tuple[str, int]:
    """(host, port) of a base URL such as ``http://127.0.0.1:8000``."""
    url = urlsplit(base)
    return url.hostname or "127.0.0.1", url.port or 80


def in_turn(requests: Sequence[Request], stride: int = 1) -> RequestSource:
    """Each client takes ``requests`` in turn without end: client ``i``'s ``k``-th request is
    ``requests[(i + k * stride) % len(requests)]`` (``stride=clients``: the clients together go
    through the list in order)."""
    def source(i: int) -> Iterator[Request]:
        k = 0
        while True:
            yield requests[(i + k * stride) % len(requests)]
            k += 1

    return source


# the server closed a kept-alive connection while it was idle: worth one new try (retry_idle_close)
_IDLE_CLOSED = (ConnectionResetError, BrokenPipeError)  # http.client.RemoteDisconnected is a ConnectionResetError


class _Connection:
    """One client's connection, opened when needed; dropped after an error or when asked."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def exchange(self, client: int, req: Request, retry_idle_close: bool, keep_body: bool) -> Outcome:
        headers = dict(req.headers)
        if req.body is not None and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
        t0 = time.perf_counter()
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(req.method, req.path, body=req.body, headers=headers)
                sent = time.perf_counter()
                resp = self.conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as err:
                self.close()
                if retry_idle_close and not attempt and isinstance(err, _IDLE_CLOSED):
                    continue
                return Outcome(client, req, seconds=time.perf_counter() - t0, error=f"{type(err).__name__}: {err}")
            done = time.perf_counter()
            if resp.will_close:  # the server said Connection: close: a new connection next time
                self.close()
            return Outcome(client, req, resp.status, done - t0, done - sent,
                           {k.lower(): v for k, v in resp.getheaders()}, data if keep_body else b"",
                           will_close=resp.will_close)
        raise AssertionError("unreachable")


def run(base: str, clients: int, requests: RequestSource, *, per_client: int | None = None,
        seconds: float | None = None, keep_alive: bool = True, retry_idle_close: bool = False,
        timeout: float = 120.0, think_s: float = 0.0, backoff: Mapping[int, float] | None = None,
        keep_bodies: bool = False, during: Callable[[float], None] | None = None) -> Run:
    """``clients`` threads, released together, each sending the requests ``requests(i)`` gives
    until it has sent ``per_client``, ``seconds`` have passed (no new request starts after) or the
    source ends. ``keep_alive``: one connection per client, reopened after an error or a
    ``Connection: close``; otherwise a fresh connection per request. ``retry_idle_close``: a
    request on a connection the server reset is sent once more on a new one (its time counts
    both). ``think_s``: a wait before each request; ``backoff``: a wait after an answer with
    that status. ``during(deadline)`` runs in the calling thread once the clients are released
    (``deadline``: ``time.monotonic()`` at which they stop, inf without ``seconds``)."""
    if per_client is None and seconds is None:
        raise ValueError("run() needs per_client, seconds or both")
    host, port = host_port(base)
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    deadline = [math.inf]
    waits = dict(backoff or {})

    def client(i: int) -> None:
        conn = _Connection(host, port, timeout)
        barrier.wait()
        source = iter(requests(i))
        sent = 0
        try:
            while (per_client is None or sent < per_client) and time.monotonic() < deadline[0]:
                req = next(source, None)
                if req is None:
                    break
                if think_s:
                    time.sleep(think_s)
                outcome = conn.exchange(i, req, retry_idle_close, keep_bodies)
                sent += 1
                if not keep_alive:
                    conn.close()
                with lock:
                    outcomes.append(outcome)
                if outcome.status in waits:
                    time.sleep(waits[outcome.status])
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    if seconds is not None:
        deadline[0] = time.monotonic() + seconds
    barrier.wait()
    t0 = time.perf_counter()
    if during is not None:
        during(deadline[0])
    for t in threads:
        t.join()
    return Run(outcomes, time.perf_counter() - t0)


def closed_loop(base: str, path: str, bodies: Sequence[bytes | None], clients: int, per_client: int,
                method: str = "POST", timeout: float = 1800) -> Run:
    """A closed loop: ``clients`` threads, each sending ``per_client`` requests back to back on a
    keep-alive connection (bodies taken in turn over all clients; None for a request without one;
    a connection the server closed while idle is reopened once). Keeps every response body;
    raises RuntimeError when any request was not a 200."""
    reqs = [Request(method, path, body) for body in bodies]
    return run(base, clients, in_turn(reqs, stride=clients), per_client=per_client, timeout=timeout,
               retry_idle_close=True, keep_bodies=True).check()


# --- figures -------------------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile (0-100) of ``values``, linear between the sorted points (numpy's
    default; ``statistics.quantiles(values, n=100, method="inclusive")[pct - 1]`` for a whole
    ``pct``); nan when empty."""
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile {pct} is not within 0-100")
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * pct / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


# --- monitor -------------------------------------------------------------------------------------


def cores() -> int:
    """The service's own count (affinity capped by a cgroup quota), so threads match what it uses."""
    from service.config import available_cpus

    return available_cpus()


@dataclass(frozen=True)
class ProcessMemory:
    pid: int
    rss: int  # bytes
    pss: int  # bytes; 0 when not read


@dataclass(frozen=True)
class TreeMemory:
    """Memory of each process of a tree (the ones that could be read)."""

    processes: list[ProcessMemory]

    @property
    def rss(self) -> int:
        return sum(p.rss for p in self.processes)

    @property
    def pss(self) -> int:
        return sum(p.pss for p in self.processes)

    @property
    def largest_rss(self) -> int:
        return max((p.rss for p in self.processes), default=0)

    def of(self, pid: int) -> ProcessMemory | None:
        return next((p for p in self.processes if p.pid == pid), None)


def tree_memory(pid: int | None = None, pss: bool = True) -> TreeMemory:
    """RSS, and PSS when ``pss`` (proportional set size: each shared page split between the
    processes that map it; reads /proc/PID/smaps, costlier), of process ``pid`` and all its
    descendants; without ``pid``, of this process's descendants but not this process nor a copy of
    it forked and not yet exec'd (not the work). A process that ends meanwhile is left out."""
    import psutil

    mine: list[str] | None = None
    if pid is None:
        me = psutil.Process()
        mine = me.cmdline()
        procs = me.children(recursive=True)
    else:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    out = []
    for p in procs:
        try:
            if mine is not None and p.cmdline() == mine:
                continue  # forked but not yet exec'd: a copy of this process, not the work
            if pss:
                info = p.memory_full_info()
                out.append(ProcessMemory(p.pid, info.rss, info.pss))
            else:
                out.append(ProcessMemory(p.pid, p.memory_info().rss, 0))
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return TreeMemory(out)


class MemoryMonitor:
    """Peak summed RSS and PSS of a process tree (:func:`tree_memory`: ``pid`` and its descendants,
    or this process's descendants), polled every ``interval`` seconds in a thread while the
    ``with`` block runs; PSS every ``pss_every`` polls.

    PSS splits each shared page between the processes that map it, so a gunicorn master's preloaded
    tables count once over master + workers, where RSS counts them in every process.
    """

    def __init__(self, pid: int | None = None, interval: float = 0.05, pss_every: int = 10) -> None:
        self.pid = pid
        self.interval = interval
        self.pss_every = pss_every
        self.peak = 0
        self.peak_pss = 0
        self.largest = 0  # the largest single process
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def sample(self, pss: bool = False) -> TreeMemory:
        """The tree's memory now; the peaks take it in."""
        mem = tree_memory(self.pid, pss=pss)
        self.peak = max(self.peak, mem.rss)
        self.peak_pss = max(self.peak_pss, mem.pss)
        self.largest = max(self.largest, mem.largest_rss)
        return mem

    def _loop(self) -> None:
        import psutil

        n = 0
        while not self._stop.is_set():
            try:
                self.sample(pss=n % self.pss_every == 0)
            except psutil.NoSuchProcess:  # the root process ended: nothing more to watch, the peaks stay
                return
            n += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> MemoryMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return self.peak / 2**20

    @property
    def peak_pss_mb(self) -> float:
        return self.peak_pss / 2**20

    @property
    def largest_mb(self) -> float:
        return self.largest / 2**20


def _system_cpu() -> tuple[float, float]:
    """Busy and stolen CPU seconds of the whole machine so far."""
    import psutil

    t = psutil.cpu_times()
    busy = t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
    return busy, getattr(t, "steal", 0.0)


def _our_cpu() -> float:
    """CPU seconds used by this process and its descendants, live or reaped."""
    import psutil

    t = os.times()
    total = t.user + t.system + t.children_user + t.children_system
    for p in psutil.Process().children(recursive=True):
        try:
            c = p.cpu_times()
            total += c.user + c.system + c.children_user + c.children_system
        except psutil.Error:
            pass
    return total


class CpuWatch:
    """How much of the machine other processes (not this benchmark) used since it was made."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.busy0, self.steal0 = _system_cpu()
        self.ours0 = _our_cpu()

    def shares(self) -> tuple[float, float]:
        """(others' busy %, stolen %) of all cores over the window."""
        wall = max(1e-6, time.monotonic() - self.t0) * cores()
        busy, steal = _system_cpu()
        others = (busy - self.busy0) - (_our_cpu() - self.ours0)
        return max(0.0, 100 * others / wall), 100 * (steal - self.steal0) / wall


def connections_per_worker(master_pid: int, port: int) -> list[int]:
    """Established connections to ``port`` held by each worker (child) of the server, sorted."""
    import psutil

    counts = []
    for worker in psutil.Process(master_pid).children():
        try:
            conns = worker.net_connections(kind="tcp")
        except psutil.Error:
            continue
        counts.append(sum(1 for c in conns if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port))
    return sorted(counts)
