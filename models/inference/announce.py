"""Coming model calls, announced to the dynamic batchers before the requests that make them reach
the model (``models.inference.batching``).

A batch being formed waits for announced callers (up to ``SUMMARIZER_BATCH_COMING_WAIT_MS``) as well as for
queued ones. A request is announced twice over: by ``models.guard.GuardedEngine`` as soon as the
HTTP view hands it over (to every batching model of the engine: it does not know yet which the
request needs), and by the engine once it knows which models the request will call
(:func:`calls`: it releases the others). The announcement lives in a context variable, so the
engine call, which runs on another thread in a copy of the caller's context, uses it when it calls
``generate``; leaving the announcing block releases whatever was not used.

Why: 8 translate requests arriving at once reached the engine one kiwipiepy split apart (about 30
ms each on the bench.speed Marian input, holding the GIL), so an announcement made only by the
engine came too late for the first batches: 1, 2, 6 and 8 instead of 8 and 8.

Standard library only: the pipeline imports this module, and nothing here imports torch.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from typing import Protocol


class Announceable(Protocol):
    """What a batcher offers this module (``BatchingModel`` does)."""

    def _announce(self) -> None: ...

    def _release(self) -> None: ...


# announcements of this request not used yet: batcher -> count (shared by copies of the context)
_HELD: ContextVar[dict[Announceable, int] | None] = ContextVar("announced_model_calls", default=None)


class Batched(Protocol):
    """A model that says which batcher its calls go through: every layer between the engine and a
    :class:`~models.inference.batching.BatchingModel` (translator, summarizer, the registry's spec
    view) names it as ``batcher``, and the batcher names itself."""

    @property
    def batcher(self) -> Announceable | None: ...


def batcher_of(user: object) -> Announceable | None:
    """The batching model behind ``user`` (its ``batcher``, see :class:`Batched`), or None where the
    model does not batch (a model without the attribute, such as a test's stand-in, does not)."""
    return getattr(user, "batcher", None)


@contextlib.contextmanager
def announced(users: Iterable[object]) -> Iterator[None]:
    """Announce one coming call to the batcher behind each of ``users`` for the block; a batcher
    this request has already announced to is not announced again."""
    held = _HELD.get()
    token = None
    if held is None:
        held = {}
        token = _HELD.set(held)
    mine: list[Announceable] = []
    for user in users:
        batcher = batcher_of(user)
        if batcher is not None and held.get(batcher, 0) == 0 and batcher not in mine:
            held[batcher] = 1
            batcher._announce()
            mine.append(batcher)
    try:
        yield
    finally:
        for batcher in mine:
            release(batcher, held)
        if token is not None:
            _HELD.reset(token)


@contextlib.contextmanager
def calls(users: Sequence[object]) -> Iterator[None]:
    """This request calls exactly the models of ``users`` within the block: announcements made
    earlier to any other batcher are released (:func:`settle`), these are announced (or kept)."""
    settle(users)
    with announced(users):
        yield


def settle(users: Iterable[object]) -> None:
    """Release this request's announcements to every batcher except those behind ``users``."""
    held = _HELD.get()
    if not held:
        return
    keep = {batcher_of(user) for user in users}
    for batcher in list(held):
        if batcher not in keep:
            release(batcher, held)


def release(batcher: Announceable, held: dict[Announceable, int] | None = None) -> bool:
    """Use or drop this request's announcement to ``batcher``; True when there was one."""
    held = _HELD.get() if held is None else held
    if not held or held.get(batcher, 0) <= 0:
        return False
    held[batcher] -= 1
    batcher._release()
    return True
