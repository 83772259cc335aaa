"""Connections spread evenly over the gunicorn workers: the least-connected worker accepts.

All workers listen on one socket inherited from the master. asyncio's server accepts every waiting
connection in one go when the socket turns readable, so a burst of keep-alive clients lands on
whichever worker woke first: with 8 clients and 2 workers, ``ss`` showed 8+0, 6+2 and 5+3, one
worker at 95% CPU while the other idled, and the 8-client rows of ``bench.extractive`` below the
1-client rows. Here each worker publishes its open connections on a :class:`ConnectionBoard` (a few
integers of shared memory the master maps before it forks) and accepts one connection at a time,
only while no other live worker has fewer; otherwise it stops watching the socket and looks again
every ``POLL_S``. A worker never defers a waiting connection for more than ``MAX_DEFER_S``, so a
stuck or slow worker delays a new connection by at most that, never refuses it. Connections already
kept alive are evened out too: a worker holding two or more more than the least-connected one
closes a connection after its response (``Connection: close``; the client reconnects), which
matters after a worker is recycled by ``max_requests`` and its successor starts with none.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import mmap
import multiprocessing
import os
import select
import socket
import ssl as ssl_module
from collections.abc import Callable

log = logging.getLogger(__name__)

POLL_S = 0.002  # how often a deferring worker looks at the board again
MAX_DEFER_S = 0.05  # the longest a worker leaves a waiting connection to a less-connected one

_INT = 4  # bytes of one board entry; a slot is (pid, connections)


class ConnectionBoard:
    """Open connections of each live worker, in anonymous shared memory.

    Built in the gunicorn master before it forks (``service/gunicorn_conf.py``); every worker
    inherits the same pages. A worker claims a slot when it starts accepting and frees it when it
    stops; the master frees the slot of a worker that died without doing so (``child_exit``).
    """

    def __init__(self, slots: int) -> None:
        self.slots = max(1, slots)
        self._mem = mmap.mmap(-1, self.slots * 2 * _INT)  # MAP_SHARED | MAP_ANONYMOUS: fork shares it
        self._ints = memoryview(self._mem).cast("i")
        self._lock = multiprocessing.Lock()  # only for claiming: a counter is written by its owner alone

    def claim(self, pid: int) -> int | None:
        """A free slot for ``pid`` (its connections at 0), or None when every slot is taken."""
        with self._lock:
            for slot in range(self.slots):
                owner = self._ints[2 * slot]
                if owner == 0 or not _alive(owner):
                    self._ints[2 * slot], self._ints[2 * slot + 1] = pid, 0
                    return slot
        return None

    def release(self, slot: int) -> None:
        self._ints[2 * slot + 1] = 0
        self._ints[2 * slot] = 0

    def release_pid(self, pid: int) -> None:
        """Free the slot ``pid`` held (the master calls this when a worker exits)."""
        with self._lock:
            for slot in range(self.slots):
                if self._ints[2 * slot] == pid:
                    self.release(slot)

    def publish(self, slot: int, connections: int) -> None:
        self._ints[2 * slot + 1] = connections

    def counts(self) -> dict[int, int]:
        """Open connections by worker pid, for the slots in use."""
        return {self._ints[2 * s]: self._ints[2 * s + 1] for s in range(self.slots) if self._ints[2 * s]}

    def fewest_elsewhere(self, pid: int) -> tuple[int, int] | None:
        """(connections, pid) of the least-connected worker other than ``pid``, or None."""
        best: tuple[int, int] | None = None
        for s in range(self.slots):
            other = self._ints[2 * s]
            if other and other != pid:
                entry = (self._ints[2 * s + 1], other)
                if best is None or entry < best:
                    best = entry
        return best


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_board: ConnectionBoard | None = None


def create_board(workers: int) -> ConnectionBoard | None:
    """The master's board (call before forking): slots for twice the workers, since a recycled
    worker's successor starts while it finishes its last requests. None, with a warning, where the
    shared memory or its lock cannot be made (no /dev/shm): the workers then accept as asyncio
    does, greedily, and the server still runs."""
    global _board
    try:
        _board = ConnectionBoard(2 * workers + 2)
    except OSError as exc:
        log.warning("connections will not be balanced over the workers: %s", exc)
        _board = None
    return _board


def board() -> ConnectionBoard | None:
    """The board this process inherited, or None when the master made none (a test's own loop)."""
    return _board


class BalancedListener:
    """Accepts connections on ``sock`` for ``loop`` one at a time, taking turns through the board.

    Stands in for the ``asyncio.Server`` gunicorn's ASGI worker creates (it calls ``close`` and
    ``wait_closed`` on shutdown). ``open_connections`` is the worker's count of open connections
    (connections accepted here and not yet made are added to it).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, protocol_factory: Callable[[], asyncio.Protocol],
                 sock: socket.socket, ssl: ssl_module.SSLContext | None,
                 open_connections: Callable[[], int], shared: ConnectionBoard | None) -> None:
        self._loop = loop
        self._factory = protocol_factory
        self._sock = sock
        self._ssl = ssl
        self._open = open_connections
        self._board = shared
        self._slot = shared.claim(os.getpid()) if shared is not None else None
        self._pending = 0  # accepted, protocol not made yet
        self._deferred_at: float | None = None  # when a waiting connection was first left to another
        self._watching = False
        self._retry: asyncio.TimerHandle | None = None
        self._closed = asyncio.Event()
        sock.setblocking(False)
        self._watch()

    # --- the board ---------------------------------------------------------------------------
    def connections(self) -> int:
        return self._open() + self._pending

    def publish(self) -> None:
        """Write this worker's open connections to the board (after each accept and each close)."""
        if self._board is not None and self._slot is not None:
            self._board.publish(self._slot, self.connections())

    def my_turn(self) -> bool:
        """True unless another live worker has fewer open connections than this one."""
        if self._board is None or self._slot is None:
            return True
        fewest = self._board.fewest_elsewhere(os.getpid())
        if fewest is None or fewest[0] >= self.connections():
            return True
        if not _alive(fewest[1]):  # died without its slot freed yet: not a worker to wait for
            self._board.release_pid(fewest[1])
            return self.my_turn()
        return False

    def over_share(self) -> bool:
        """True when this worker holds two or more connections more than the least-connected live
        worker: a kept-alive connection is then closed after its response (the client reconnects and
        the other worker takes it). Without this, connections taken while the other worker was
        starting or being recycled (``max_requests``) stayed with this one for good."""
        if self._board is None or self._slot is None:
            return False
        fewest = self._board.fewest_elsewhere(os.getpid())
        return fewest is not None and self.connections() > fewest[0] + 1 and _alive(fewest[1])

    # --- accepting ---------------------------------------------------------------------------
    def _watch(self) -> None:
        if not self._watching and not self._closed.is_set():
            self._loop.add_reader(self._sock.fileno(), self._on_readable)
            self._watching = True

    def _unwatch(self) -> None:
        if self._watching:
            self._loop.remove_reader(self._sock.fileno())
            self._watching = False

    def _on_readable(self) -> None:
        if not self.my_turn():
            now = self._loop.time()
            if self._deferred_at is None:
                self._deferred_at = now
            if now - self._deferred_at < MAX_DEFER_S:
                self._unwatch()
                self._retry = self._loop.call_later(POLL_S, self._look_again)
                return
        self._deferred_at = None
        try:
            conn, _ = self._sock.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return  # another worker took it
        except OSError as exc:  # out of file descriptors and the like: back off as asyncio does
            log.error("accept failed: %s", exc)
            if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                self._unwatch()
                self._retry = self._loop.call_later(1.0, self._watch)
            return
        conn.setblocking(False)
        self._pending += 1
        self.publish()
        self._loop.create_task(self._connect(conn))

    def _look_again(self) -> None:
        self._retry = None
        if self._closed.is_set():
            return
        readable, _, _ = select.select([self._sock], [], [], 0)
        if not readable:  # the waiting connection went to another worker
            self._deferred_at = None
        self._watch()

    async def _connect(self, conn: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._factory, conn, ssl=self._ssl)
        except Exception as exc:  # noqa: BLE001 - a failed handshake loses one connection, not the worker
            log.info("connection dropped before it was made: %s", exc)
            conn.close()
        finally:
            self._pending -= 1
            self.publish()

    # --- what gunicorn's worker calls on an asyncio.Server -------------------------------------
    def close(self) -> None:
        self._unwatch()
        if self._retry is not None:
            self._retry.cancel()
        if self._board is not None and self._slot is not None:
            self._board.release(self._slot)
            self._slot = None
        self._closed.set()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    def is_serving(self) -> bool:
        return not self._closed.is_set()

    def __repr__(self) -> str:
        return f"<BalancedListener {self._sock.getsockname()!r} slot={self._slot}>"

