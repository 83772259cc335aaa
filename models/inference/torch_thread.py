"""Every torch call of a process on one thread.

torch computes on CPU with OpenMP (GNU libgomp), and libgomp keeps one team of worker threads per
thread that starts parallel work. Once the threads of all teams outnumber the online CPUs, libgomp
"throttles" them: a worker waiting for the next parallel region spins 100 times instead of 300,000
(its ``env.c``, with ``OMP_WAIT_POLICY`` unset) and then sleeps in the kernel, to be woken for
every region. A worker that loaded a
model on one thread (the main thread, or the background loader) and generated on another (the
batcher's) had two teams of 2 on 2 CPUs. ``python -m bench.int8`` (the Marian shape of
``bench.speed``, torch dynamic int8, batch 8, three rounds on 2 cores of an AMD EPYC): the service's
model on one thread 340 tokens/s with 9 voluntary context switches a batch, generating on a thread
other than the loading one 275 tokens/s with 12,507 (docs/speed.md, "One torch thread"). Served over
HTTP at 8 clients, the same runtime had reached 0.64 of its in-process throughput at batch 8.

So loading and generating with torch (:class:`models.inference.seq2seq.Seq2SeqModel`) run through
:func:`run`: on one thread per process, started on first use (after a fork, the child starts its
own). Concurrent callers queue for it, as they would for the CPUs: two torch calls side by side on
the same cores only share them. CTranslate2 keeps its own thread pool and does not come here.

Standard library only: nothing here imports torch.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_ident: int | None = None  # the torch thread's id, once it has started


def _mark() -> None:
    global _ident
    _ident = threading.get_ident()


def _forget() -> None:  # in a forked child: the parent's thread is not there
    global _executor, _ident, _lock
    _executor, _ident, _lock = None, None, threading.Lock()


os.register_at_fork(after_in_child=_forget)


def run(fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    """``fn(*args, **kwargs)`` on the process's torch thread, its result or its exception; called
    from that thread (a torch call inside a torch call), it runs at once."""
    global _executor
    if threading.get_ident() == _ident:
        return fn(*args, **kwargs)
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="torch", initializer=_mark)
        executor = _executor
    return executor.submit(fn, *args, **kwargs).result()


def thread_id() -> int | None:
    """The torch thread's id, or None before its first call (for tests)."""
    return _ident
