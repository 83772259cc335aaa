"""Connections spread over the workers (service/balance.py): the board, one listener on a real
socket and event loop, and the real server with two workers."""
from __future__ import annotations

import asyncio
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import psutil
import pytest

from bench.server import start_server, stop_server
from service import balance
from service.balance import MAX_DEFER_S, BalancedListener, ConnectionBoard


@pytest.fixture()
def other_worker() -> Iterator[int]:
    """The pid of a live process standing in for another worker."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc.pid
    proc.kill()
    proc.wait()


def test_board_slots_are_claimed_published_and_freed(other_worker: int) -> None:
    board = ConnectionBoard(3)
    mine = board.claim(os.getpid())
    theirs = board.claim(other_worker)
    assert mine is not None and theirs is not None and mine != theirs
    board.publish(mine, 3)
    board.publish(theirs, 1)
    assert board.counts() == {os.getpid(): 3, other_worker: 1}
    assert board.fewest_elsewhere(os.getpid()) == (1, other_worker)
    assert board.fewest_elsewhere(other_worker) == (3, os.getpid())
    board.release_pid(other_worker)
    assert board.counts() == {os.getpid(): 3}
    assert board.fewest_elsewhere(os.getpid()) is None


def test_a_dead_workers_slot_is_claimed_again() -> None:
    board = ConnectionBoard(1)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert board.claim(dead.pid) == 0
    assert board.claim(os.getpid()) == 0  # the only slot, held by a pid that no longer runs
    assert board.counts() == {os.getpid(): 0}
    assert board.claim(os.getppid()) is None  # held by a live process: no slot left


def test_the_board_is_shared_with_a_forked_child() -> None:
    board = ConnectionBoard(2)
    pid = os.fork()
    if pid == 0:  # the child plays a worker: claims a slot and publishes 5 connections
        slot = board.claim(os.getpid())
        board.publish(slot, 5)
        os._exit(0)
    os.waitpid(pid, 0)
    assert board.counts() == {pid: 5}


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


class _Loop:
    """A listener with a fake 'other worker' on its board, served on an event loop thread."""

    def __init__(self, board: ConnectionBoard | None) -> None:
        self.sock = _listening_socket()
        self.loop = asyncio.new_event_loop()
        self.accepted: list[float] = []
        self.open = 0
        accepted = self.accepted

        class Proto(asyncio.Protocol):
            def connection_made(proto, transport: asyncio.BaseTransport) -> None:  # noqa: N805
                accepted.append(time.monotonic())

        self.listener = BalancedListener(self.loop, Proto, self.sock, None, lambda: len(accepted), board)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def connect(self) -> socket.socket:
        return socket.create_connection(self.sock.getsockname(), timeout=5)

    def wait_accepted(self, n: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.accepted) < n and time.monotonic() < deadline:
            time.sleep(0.005)
        assert len(self.accepted) >= n, f"{len(self.accepted)} of {n} connections accepted"

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.listener.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.sock.close()


def test_the_listener_takes_turns_and_sheds_only_over_its_share(other_worker: int) -> None:
    board = ConnectionBoard(4)
    theirs = board.claim(other_worker)
    board.publish(theirs, 2)
    served = _Loop(board)
    clients = []
    try:
        for n in (1, 2, 3):  # 0, 1 and 2 open here against 2 there: this worker's turn each time
            clients.append(served.connect())
            served.wait_accepted(n)
        assert served.listener.my_turn() is False  # 3 here, 2 there
        assert served.listener.over_share() is False  # one more than the other is within the share
        board.publish(theirs, 1)
        assert served.listener.over_share() is True  # two more: close a kept-alive connection
        board.publish(theirs, 5)
        assert served.listener.my_turn() is True and served.listener.over_share() is False
        assert board.counts()[os.getpid()] == 3
    finally:
        for c in clients:
            c.close()
        served.close()


def test_a_connection_waits_for_a_less_connected_worker_at_most_max_defer(other_worker: int) -> None:
    board = ConnectionBoard(4)
    board.publish(board.claim(other_worker), 0)  # a worker with none that never accepts (it sleeps)
    served = _Loop(board)
    clients = []
    try:
        clients.append(served.connect())
        served.wait_accepted(1)  # 0 here, 0 there: taken at once
        started = time.monotonic()
        clients.append(served.connect())
        served.wait_accepted(2)  # 1 here, 0 there: left for the other worker, then taken anyway
        waited = served.accepted[1] - started
        assert MAX_DEFER_S * 0.9 <= waited < MAX_DEFER_S + 0.5, waited
    finally:
        for c in clients:
            c.close()
        served.close()


def test_a_slot_left_by_a_killed_worker_does_not_hold_connections_back() -> None:
    board = ConnectionBoard(4)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    board.publish(board.claim(dead.pid), 0)
    served = _Loop(board)
    clients = []
    try:
        started = time.monotonic()
        for n in (1, 2, 3):
            clients.append(served.connect())
            served.wait_accepted(n)
        assert served.accepted[-1] - started < MAX_DEFER_S  # the dead worker's 0 was not waited for
        assert dead.pid not in board.counts()
    finally:
        for c in clients:
            c.close()
        served.close()


def test_without_a_board_the_listener_accepts_every_connection() -> None:
    assert balance.board() is None  # this process is no gunicorn master
    served = _Loop(None)
    clients = []
    try:
        for _ in range(5):
            clients.append(served.connect())
        served.wait_accepted(5)
        assert served.listener.my_turn() and not served.listener.over_share()
    finally:
        for c in clients:
            c.close()
        served.close()


def _per_worker(master_pid: int, port: int) -> list[int]:
    """Established connections to ``port`` held by each worker of the server."""
    counts = []
    for worker in psutil.Process(master_pid).children():
        conns = [c for c in worker.net_connections(kind="tcp")
                 if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port]
        counts.append(len(conns))
    return counts


def test_keep_alive_clients_are_spread_over_two_workers() -> None:
    proc, base = start_server({"SUMMARIZER_LOAD_IN_BACKGROUND": "false", "SUMMARIZER_MAX_REQUESTS": "0"},
                              workers=2)
    port = int(base.rsplit(":", 1)[1])
    conns: list[http.client.HTTPConnection] = []
    try:
        # both workers up: two connections held one after the other land one on each
        deadline = time.monotonic() + 60
        while True:
            pair = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(2)]
            for c in pair:
                c.request("GET", "/healthz")
                c.getresponse().read()
            time.sleep(0.1)
            if sorted(_per_worker(proc.pid, port)) == [1, 1]:
                conns.extend(pair)
                break
            for c in pair:
                c.close()
            assert time.monotonic() < deadline, "the second worker never took a connection"
            time.sleep(0.5)
        # then six clients at once, as a burst of keep-alive clients arrives
        burst = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(6)]
        barrier = threading.Barrier(len(burst))

        def first_request(c: http.client.HTTPConnection) -> None:
            barrier.wait()
            c.request("GET", "/healthz")
            c.getresponse().read()

        threads = [threading.Thread(target=first_request, args=(c,)) for c in burst]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        conns.extend(burst)
        for c in conns:  # a second request on each: a worker over its share closes after answering
            c.request("GET", "/healthz")
            c.getresponse().read()
        for c in conns:  # and one more, on the reopened connections
            c.request("GET", "/healthz")
            c.getresponse().read()
        time.sleep(0.2)
        counts = _per_worker(proc.pid, port)
        assert sum(counts) == 8 and max(counts) - min(counts) <= 1, counts
    finally:
        for c in conns:
            c.close()
        stop_server(proc)


def test_without_shared_memory_there_is_no_board_and_no_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_lock() -> None:
        raise OSError("no /dev/shm here")

    monkeypatch.setattr(balance.multiprocessing, "Lock", no_lock)
    monkeypatch.setattr(balance, "_board", None)
    assert balance.create_board(2) is None and balance.board() is None
