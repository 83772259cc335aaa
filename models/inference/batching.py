"""Dynamic batching across concurrent requests inside one worker.

Calls for the same model and decoding settings wait up to ``max_wait_ms`` (or until
``max_batch_size`` texts are queued), run as one ``generate`` batch, and each caller gets its own
outputs back. Safe under gunicorn's threaded workers: one scheduler thread per model.

The wait is counted from when the batcher is free, not from the first caller's arrival: under
steady load the callers served by the batch that just finished come straight back with their next
request, and counting from an arrival that happened during that batch started the next batch at
once with only the callers that had arrived meanwhile (8 clients were served in batches that
alternated between sizes like 2 and 6; bench.speed).

Callers still being prepared count too: a batch being formed waits for callers announced
(``models.inference.announce``) and not yet queued, up to ``coming_wait_ms``, as well as for queued
ones. Without this, 8 translate requests arriving at once reached the batcher one sentence split
(kiwipiepy, which holds the GIL) apart, well over the 10 ms wait, and went out in batches of 1, 1,
2 and 6 (``summarizer_batch_size`` in ``/metrics``, Marian shape of bench.speed) instead of 8 and 8.

Callers on their way back count as well: the callers whose last texts were in the batch that just
finished usually come back with their next request (a client of a closed loop, a keep-alive
connection, a map-reduce summary's next round), after the response is written and the next request
read and split: 50-110 ms at 8 clients of the Marian shape, well over the 10 ms wait. Once a batch
had started without some of them, the clients stayed in two groups that took turns (batches of 4
and 5 instead of 8, at about 0.7 of the throughput: bench.speed). So a batch being formed also
waits for as many new callers as the last batch finished, less those that have come since, for at
most ``RETURN_SHARE`` of the last batch's duration (and never longer than ``coming_wait_ms``): the
most such a wait for callers that never come can cost is a tenth of a batch; a lone client, whose
next call is its own return, never waits for it.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any

from ..metrics import observe_batch
from .announce import announced, release
from .seq2seq import GenerationSettings, Seq2SeqModel

# the longest a batch being formed waits, by default, for callers announced and not yet queued
# (SUMMARIZER_BATCH_COMING_WAIT_MS): 8 requests' sentence splits, one after another, took about 250 ms
COMING_WAIT_S = 0.25
# the longest a batch being formed waits for the last batch's callers to come back, as a share of that
# batch's duration (capped by the coming wait)
RETURN_SHARE = 0.1


@dataclass(slots=True)
class _Pending:
    texts: list[str]
    settings: GenerationSettings
    future: Future = field(default_factory=Future)
    arrived: float = field(default_factory=time.monotonic)
    last: bool = True  # the caller's last piece: once it is done, the caller may come back


class BatchingModel:
    """Wraps a :class:`Seq2SeqModel`; ``generate`` is batched with other threads' calls."""

    def __init__(self, model: Seq2SeqModel, max_batch_size: int = 8, max_wait_ms: float = 10.0,
                 coming_wait_ms: float = COMING_WAIT_S * 1000) -> None:
        self.inner = model
        self.max_batch_size = max(1, max_batch_size)
        self.max_wait = max(0.0, max_wait_ms) / 1000.0
        self.coming_wait = max(0.0, coming_wait_ms) / 1000.0
        self._queue: list[_Pending] = []
        self._cond = threading.Condition()
        self._free_since = 0.0  # when the last batch finished
        self._coming = 0  # callers announced (models.inference.announce) that have not queued yet
        self._finished = 0  # callers whose last texts were in the last batch
        self._came = 0  # generate calls since the last batch finished
        self._last_seconds = 0.0  # the last batch's duration
        self._thread = threading.Thread(target=self._loop, name=f"batcher-{model.model_id}", daemon=True)
        self._thread.start()

    def __getattr__(self, name: str) -> Any:  # model_id, spec, backend, count_tokens, ...
        return getattr(self.inner, name)

    def expecting(self) -> contextlib.AbstractContextManager[None]:
        """Announce that this request will call :meth:`generate` within the block (its text is
        being prepared); a batch being formed meanwhile waits for it, up to ``coming_wait_ms``."""
        return announced([self])

    @property
    def batcher(self) -> BatchingModel:
        """This batcher (models.inference.announce.Batched)."""
        return self

    def _announce(self) -> None:
        with self._cond:
            self._coming += 1

    def _release(self) -> None:
        with self._cond:
            self._coming -= 1
            self._cond.notify()

    def generate(self, texts: Sequence[str], settings: GenerationSettings | None = None) -> list[str]:
        """Outputs for ``texts``, generated in batches shared with other callers; a caller with more
        than ``max_batch_size`` texts is queued in pieces of at most that many, so no batch, one
        caller's included, is ever larger (the bound is what keeps a batch's memory in check)."""
        if not texts:
            return []
        clamped = self.inner.clamp(settings)
        size = self.max_batch_size
        pieces = [_Pending(list(texts[i : i + size]), clamped) for i in range(0, len(texts), size)]
        for p in pieces[:-1]:
            p.last = False
        with self._cond:
            self._queue.extend(pieces)
            self._came += 1
            self._cond.notify()
        release(self)  # this request's announcement, if any, is used: it is queued now
        return [out for p in pieces for out in p.future.result()]

    def _take_batch(self) -> list[_Pending]:
        """Block until a batch is due; return the requests that share the first one's settings."""
        with self._cond:
            while not self._queue:
                self._cond.wait()
            first = self._queue[0]
            start = max(first.arrived, self._free_since)
            deadline = start + self.max_wait  # for callers not announced
            last = start + max(self.max_wait, self.coming_wait)  # for announced ones still being prepared
            # for the last batch's callers on their way back
            back = self._free_since + min(self.coming_wait, RETURN_SHARE * self._last_seconds)
            while True:
                same = [p for p in self._queue if p.settings == first.settings]
                if sum(len(p.texts) for p in same) >= self.max_batch_size:
                    break
                now = time.monotonic()
                returning = max(0, self._finished - self._came)
                until = max(deadline, last if self._coming else 0.0, back if returning else 0.0)
                if now >= until:
                    break
                self._cond.wait(until - now)
            batch: list[_Pending] = []
            size = 0
            for p in same:
                if batch and size + len(p.texts) > self.max_batch_size:
                    break
                batch.append(p)
                size += len(p.texts)
            for p in batch:
                self._queue.remove(p)
            return batch

    def _loop(self) -> None:
        while True:
            batch = self._take_batch()
            texts = [t for p in batch for t in p.texts]
            settings = batch[0].settings
            observe_batch(self.inner.model_id, len(texts))
            began = time.monotonic()
            try:
                # one generate call for the whole batch
                outputs = self.inner.generate(texts, replace(settings, batch_size=max(settings.batch_size, len(texts))))
            except BaseException as err:  # noqa: BLE001 - every caller gets the error
                self._finish(batch, began)
                for p in batch:
                    p.future.set_exception(err)
                continue
            at = 0
            self._finish(batch, began)
            for p in batch:
                p.future.set_result(outputs[at : at + len(p.texts)])
                at += len(p.texts)

    def _finish(self, batch: list[_Pending], began: float) -> None:
        """The batch is done: the batcher is free, and its callers may come back."""
        with self._cond:
            self._free_since = time.monotonic()
            self._last_seconds = self._free_since - began
            self._finished = sum(p.last for p in batch)
            self._came = 0
