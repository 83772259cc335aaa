"""Backpressure and deadlines around an engine.

At most ``max_inflight`` calls run at once in this worker; one more is refused at once with
:class:`Overloaded` (a 503 with Retry-After) instead of queueing without bound. A call that runs
past ``timeout_s`` is answered with :class:`DeadlineExceeded`; its work finishes in the background
and keeps its slot until then, so a flood of slow requests cannot pile up work.
"""
from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from .contracts import SummarizeRequest, SummaryResult, TranslationResult
from .errors import DeadlineExceeded, Overloaded
from .inference.announce import announced
from .pipeline import Engine

T = TypeVar("T")


class GuardedEngine:
    """Wraps an engine's ``summarize`` and ``translate`` with a bound and a deadline."""

    def __init__(self, engine: Engine, max_inflight: int = 8, timeout_s: float = 60.0) -> None:
        self.inner = engine
        self.max_inflight = max(1, max_inflight)
        self.timeout_s = timeout_s
        self._slots = threading.BoundedSemaphore(self.max_inflight)
        self._pool = ThreadPoolExecutor(self.max_inflight, thread_name_prefix="engine")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _run(self, fn: Callable[..., T], *args: Any) -> T:
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
                return future.result(timeout=self.timeout_s if self.timeout_s > 0 else None)
            except FutureTimeout:
                raise DeadlineExceeded(
                    f"the request took longer than {self.timeout_s:g} s and was abandoned",
                    {"timeout_s": self.timeout_s},
                ) from None

    def _model_users(self) -> list[object]:
        """The engine's translators and summarizers (none for an engine without models)."""
        return [*getattr(self.inner, "translators", {}).values(), *getattr(self.inner, "summarizers", {}).values()]

    def summarize(self, req: SummarizeRequest) -> SummaryResult:
        return self._run(self.inner.summarize, req)

    def translate(
        self, text: str, source_lang: str, target_lang: str, html: str | None = None
    ) -> TranslationResult:
        return self._run(self.inner.translate, text, source_lang, target_lang, html)
