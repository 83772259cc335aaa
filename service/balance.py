"""Requests spread over the gunicorn workers: a worker busier than another ends kept-alive connections.

All workers accept on one socket inherited from the master, and asyncio accepts every waiting
connection at once when the socket turns readable, so a burst of keep-alive clients lands on
whichever worker woke first: 8 clients went 8+0 over 2 workers (``python -m bench.latency
--clients 8``), one worker at full CPU, the other idle, and 8 clients served no faster than 4.
Each worker publishes the requests it has open (arrived, not yet answered) on a
:class:`Board`, a few integers of shared memory the master maps before it forks
(``on_starting``, a documented gunicorn hook). The server's gate (``service/server.py``) answers
with ``Connection: close`` while its worker holds two or more open requests more than the least
busy live worker (and a quarter more) while that one has a thread idle; the client reconnects,
and the idle worker, whose event loop is free, is the one likely to accept. Nothing of gunicorn's is
touched: it is a response header. With every worker busy (64 clients and more) it stays off: moving
connections then gains nothing (docs/protection.md).
"""
from __future__ import annotations

import logging
import mmap
import multiprocessing
import os

log = logging.getLogger(__name__)

_INT = 4  # bytes of one board entry; a slot is (pid, open requests, draining)
_SLOT = 3


class Board:
    """Open requests of each live worker, and whether a reload is replacing it, in anonymous shared
    memory that forked workers inherit.

    A worker claims a slot when its app is built and the master frees it when the worker exits
    (``child_exit``); a slot whose pid is gone is claimed again.
    """

    def __init__(self, slots: int) -> None:
        self.slots = max(1, slots)
        self._mem = mmap.mmap(-1, self.slots * _SLOT * _INT)  # MAP_SHARED | MAP_ANONYMOUS: fork shares it
        self._ints = memoryview(self._mem).cast("i")
        self._lock = multiprocessing.Lock()  # only for claiming: a count is written by its owner alone

    def claim(self, pid: int) -> int | None:
        """A free slot for ``pid`` (its count at 0), or None when every slot is taken."""
        with self._lock:
            for slot in range(self.slots):
                owner = self._ints[_SLOT * slot]
                if owner == 0 or owner == pid or not _alive(owner):
                    self._ints[_SLOT * slot], self._ints[_SLOT * slot + 1] = pid, 0
                    self._ints[_SLOT * slot + 2] = 0
                    return slot
        return None

    def release_pid(self, pid: int) -> None:
        """Free the slot ``pid`` held (the master calls this when a worker exits)."""
        with self._lock:
            for slot in range(self.slots):
                if self._ints[_SLOT * slot] == pid:
                    self._ints[_SLOT * slot + 1] = 0
                    self._ints[_SLOT * slot] = 0

    def drain_all(self) -> None:
        """Mark every worker now on the board as about to stop (the master, on a reload, before it
        starts the new workers and stops these): their answers say ``Connection: close`` from now on,
        so none of their kept-alive connections ends after an answer that did not say so."""
        for slot in range(self.slots):
            if self._ints[_SLOT * slot]:
                self._ints[_SLOT * slot + 2] = 1

    def draining(self, slot: int) -> bool:
        return bool(self._ints[_SLOT * slot + 2])

    def publish(self, slot: int, count: int) -> None:
        self._ints[_SLOT * slot + 1] = count

    def counts(self) -> dict[int, int]:
        """Open requests by worker pid, for the slots in use."""
        return {self._ints[_SLOT * s]: self._ints[_SLOT * s + 1] for s in range(self.slots) if self._ints[_SLOT * s]}

    def fewest_elsewhere(self, pid: int) -> int | None:
        """Open requests of the least busy live worker other than ``pid``; None when there is none."""
        best: int | None = None
        for s in range(self.slots):
            other, count = self._ints[_SLOT * s], self._ints[_SLOT * s + 1]
            if other and other != pid and (best is None or count < best) and _alive(other):
                best = count
        return best


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_board: Board | None = None


def create_board(workers: int) -> Board | None:
    """The master's board (call before forking): slots for twice the workers, since a recycled
    worker's successor starts while it drains. None, with a warning, where shared memory or its lock
    cannot be made (no /dev/shm): requests then stay where the kernel put them."""
    global _board
    try:
        _board = Board(2 * workers + 2)
    except OSError as exc:
        log.warning("requests will not be balanced over the workers: %s", exc)
        _board = None
    return _board


def board() -> Board | None:
    """The board this process inherited, or None when the master made none (tests, one worker)."""
    return _board


class Share:
    """One worker's place on the board: publishes its open requests, says when it holds too many."""

    def __init__(self, shared: Board | None, threads: int, balance: bool = True) -> None:
        self.pid = os.getpid()
        self.threads = threads  # a worker with fewer open requests than this has a thread idle
        self.balance = balance  # False: never shed for balance (the reload mark still applies)
        self._board = shared
        self._slot = shared.claim(self.pid) if shared is not None else None

    def publish(self, count: int) -> None:
        if self._board is not None and self._slot is not None:
            self._board.publish(self._slot, count)

    def draining(self) -> bool:
        """Whether the master marked this worker to stop (a reload is replacing it)."""
        return self._board is not None and self._slot is not None and self._board.draining(self._slot)

    def over(self, count: int) -> bool:
        """True when this worker, with ``count`` open requests, holds two or more, and a quarter or
        more, than the least busy live worker, and that one has a thread idle: the connection of the
        answer being sent should be closed. When every worker is busy, moving a connection gains
        nothing and costs a reconnect (measured: 354 in 10 s at 256 clients, no faster)."""
        if self._board is None or self._slot is None or not self.balance:
            return False
        fewest = self._board.fewest_elsewhere(self.pid)
        return (fewest is not None and fewest < self.threads and count > fewest + 1
                and 4 * count > 5 * fewest)
