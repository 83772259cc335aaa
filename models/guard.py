"""Backpressure and deadlines around an engine.

At most ``max_inflight`` calls run at once in this worker; one more is refused at once with
:class:`Overloaded` (a 503 with Retry-After) instead of queueing without bound. A call that runs
past ``timeout_s`` is answered with :class:`DeadlineExceeded`; its work finishes in the background
and keeps its slot until then, so a flood of slow requests cannot pile up work.

The deadline counts from :data:`arrived_at` when the caller set it (the HTTP server sets it when the
request arrives, so the wait for a thread counts), else from the call. A call whose deadline has
already passed is refused without starting.
"""
from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from .contracts import (
    EngineWrapper,
    SummarizeRequest,
    SummaryEngine,
    SummaryResult,
    TranslationResult,
)
from .errors import DeadlineExceeded, Overloaded
from .inference.announce import announced

T = TypeVar("T")

# time.monotonic() when the request behind the current call arrived; None: the call itself
arrived_at: contextvars.ContextVar[float | None] = contextvars.ContextVar("arrived_at", default=None)


class GuardedEngine(EngineWrapper[SummaryEngine]):
    """Wraps an engine's ``summarize`` and ``translate`` with a bound and a deadline."""

    def __init__(self, engine: SummaryEngine, max_inflight: int = 8, timeout_s: float = 60.0) -> None:
        super().__init__(engine)
        self.max_inflight = max(1, max_inflight)
        self.timeout_s = timeout_s
        self._slots = threading.BoundedSemaphore(self.max_inflight)
        self._pool = ThreadPoolExecutor(self.max_inflight, thread_name_prefix="engine")

    def _run(self, fn: Callable[..., T], *args: Any) -> T:
        timeout: float | None = None
        if self.timeout_s > 0:
            start = arrived_at.get()
            timeout = self.timeout_s - (0.0 if start is None else time.monotonic() - start)
            if timeout <= 0:
                raise self._late()
        if not self._slots.acquire(blocking=False):
            raise Overloaded(
                f"the service is busy ({self.max_inflight} requests in progress in this worker); retry shortly",
                {"max_inflight": self.max_inflight},
            )

        def work() -> T:
            try:
                return fn(*args)
            finally:
                self._slots.release()

        # announced to every model's batcher now, before the thread hop and the text's splitting; the
        # engine keeps the announcements of the models it calls (models.inference.announce)
        with announced(self._model_users()):
            try:
                future = self._pool.submit(contextvars.copy_context().run, work)
            except BaseException:
                self._slots.release()
                raise
            try:
                return future.result(timeout=timeout)
            except FutureTimeout:
                raise self._late() from None

    def _late(self) -> DeadlineExceeded:
        return DeadlineExceeded(f"the request took longer than {self.timeout_s:g} s and was abandoned",
                                {"timeout_s": self.timeout_s})

    def _model_users(self) -> list[object]:
        """The engine's translators and summarizers (none for an engine without models)."""
        return [*self.inner.translators.values(), *self.inner.summarizers.values()]

    def summarize(self, req: SummarizeRequest) -> SummaryResult:
        return self._run(self.inner.summarize, req)

    def translate(
        self, text: str, source_lang: str, target_lang: str, html: str | None = None
    ) -> TranslationResult:
        return self._run(self.inner.translate, text, source_lang, target_lang, html)
