"""The default server path: gunicorn's own ASGI worker, and the bounds in an ASGI middleware of ours.

gunicorn runs ``service.asgi:app`` with its bundled ``asgi`` worker class and documented settings
only (service/gunicorn_conf.py). Its event loop reads every request, headers and body, where a slow
client costs a socket and a few kilobytes; only a complete request reaches Flask, which runs
unchanged in threads through a2wsgi's WSGI-to-ASGI bridge. :class:`Gate` stands between the two:

- **Admission**: a work request (a POST under ``/v1/``: summarize, batch, translate) is admitted
  only while fewer than ``SUMMARIZER_MAX_INFLIGHT`` are in this worker (running or waiting for one of
  ``SUMMARIZER_THREADS`` threads); the next is answered 503 ``overloaded`` with ``Retry-After`` as
  soon as its headers are in, on the event loop, without waiting for anything, its body included
  (read and discarded after the answer). Health, metrics, docs and other reads run
  in a small lane of their own, so a probe never queues behind summaries.
- **Bodies**: read whole on the event loop within ``SUMMARIZER_READ_TIMEOUT_S`` (past it: 408 and
  the connection closed), cut one byte past ``SUMMARIZER_MAX_BODY_BYTES`` (Flask answers 413).
- **Deadline**: counted from the request's arrival (:data:`models.guard.arrived_at`, which a2wsgi
  carries into the thread), so time spent waiting for a thread counts; the guard answers 504 when the
  work runs past it, and the gate itself one second later if the request never reached the guard.
- **Nothing lost at the edges**: a request refused before its body was read (413 for a body over
  the limit, or 401/403/429 for such a body) gets ``Connection: close`` and its body is read and
  discarded, up to :data:`LINGER_FACTOR` times the limit, before the connection ends, so the client
  reads its status instead of a broken pipe. The worker recycles itself after
  ``SUMMARIZER_MAX_REQUESTS`` (+ jitter) requests served (refusals do not count): every later response
  says ``Connection: close``, and once every answer that kept its connection open has ended (steady
  traffic never leaves an instant with no request open) the worker sends itself SIGTERM, gunicorn's
  documented graceful stop (gunicorn's own ``max_requests`` is off: it could close a kept-alive
  connection after a response that had not announced it). On a reload (SIGHUP) the master marks
  the old workers on the board before it starts the new ones, and their answers say
  ``Connection: close`` from then on.
- **Spread**: a worker holding clearly more open requests than the least busy one, while that one
  has a thread idle, answers with ``Connection: close``, so the client reconnects, most likely to
  the idle worker (:mod:`service.balance`; ``SUMMARIZER_BALANCE_WORKERS``).
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import signal
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from models.guard import arrived_at

from .balance import Share, board
from .config import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("service.server")

LIGHT_THREADS = 2  # threads per worker for everything that is not work (health, metrics, docs, models)
LIGHT_MAX_INFLIGHT = 64  # such requests at once per worker before 503: they are cheap, but not free
DEADLINE_GRACE_S = 1.0  # the gate answers 504 this long after the guard would have
LINGER_FACTOR = 8  # a refused body is read and discarded up to this many times the body limit
REFUSALS = frozenset({408, 413, 429, 503})  # answers that do not count toward recycling


def is_work(scope: Scope) -> bool:
    """A request that runs the pipeline (summarize, batch, translate) and so is admitted by count."""
    return scope.get("method") == "POST" and str(scope.get("path", "")).startswith("/v1/")


def _error_json(code: str, message: str, details: dict[str, Any]) -> bytes:
    """The service's one error shape (service/errors.py), for answers given before Flask runs."""
    return json.dumps({"error": {"code": code, "message": message, "details": details},
                       "request_id": None}).encode("utf-8")


class _Body:
    """The request body, read on the event loop; remembers whether the client sent all of it."""

    def __init__(self, receive: Receive) -> None:
        self.receive = receive
        self.complete = False
        self.gone = False

    async def read(self, max_bytes: int) -> bytes | None:
        """The body, cut at ``max_bytes + 1``; None when the client went away."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                self.gone = True
                return None
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            if not message.get("more_body", False):
                self.complete = True
            if self.complete or size > max_bytes:
                return b"".join(chunks)[: max_bytes + 1]

    async def discard(self, max_bytes: int, timeout_s: float) -> None:
        """Read and drop what is left of the body (at most ``max_bytes``, within ``timeout_s``), so a
        client still sending reads the answer already sent instead of a reset connection."""
        left = max_bytes

        async def drain() -> None:
            nonlocal left
            while not (self.complete or self.gone) and left > 0:
                message = await self.receive()
                if message["type"] == "http.disconnect":
                    self.gone = True
                    return
                left -= len(message.get("body", b""))
                self.complete = not message.get("more_body", False)

        try:
            await asyncio.wait_for(drain(), timeout_s)
        except TimeoutError:
            pass

    def replay(self, body: bytes) -> Receive:
        """A ``receive`` for the app: ``body`` as one message, then the disconnect, when it comes."""
        sent = False

        async def again() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await self.receive()

        return again


class _Reply:
    """The app's ``send``: notes the status, adds ``Connection: close`` when the connection must end
    after this answer, and goes quiet once the gate has answered in the app's place (504)."""

    def __init__(self, send: Send, must_close: Callable[[], bool],
                 on_status: Callable[[int], None] = lambda status: None,
                 on_keep: Callable[[], None] = lambda: None) -> None:
        self._send = send
        self._must_close = must_close
        self._on_status = on_status
        self._on_keep = on_keep  # called when an answer starts that leaves the connection open
        self.status: int | None = None
        self.muted = False
        self.close = False  # end the connection after this answer whatever must_close says
        # called once, just before the last byte of the app's answer goes out (the final body message, or
        # the one that completes the declared Content-Length): the client may send its next request on
        # this connection as soon as it has the answer, before a2wsgi has sent its closing message
        self.on_done: Callable[[], None] | None = None
        self._length: int | None = None  # the answer's Content-Length
        self._sent = 0

    @property
    def started(self) -> bool:
        return self.status is not None

    async def __call__(self, message: Message) -> None:
        if self.muted:
            return
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self._on_status(self.status)
            headers = list(message.get("headers") or [])
            if self.close or self._must_close():
                if not any(k.lower() == b"connection" for k, _ in headers):
                    message = {**message, "headers": [*headers, (b"connection", b"close")]}
            elif not any(k.lower() == b"connection" and v.lower() == b"close" for k, v in headers):
                self._on_keep()
            length = next((v for k, v in headers if k.lower() == b"content-length"), None)
            self._length = int(length) if length is not None and length.isdigit() else None
        elif message["type"] == "http.response.body" and self.on_done is not None:
            self._sent += len(message.get("body", b""))
            if not message.get("more_body", False) or (self._length is not None and self._sent >= self._length):
                done, self.on_done = self.on_done, None
                done()
        await self._send(message)

    def take_over(self) -> _Reply:
        """Silence the app's answer from now on; the returned reply answers in its place."""
        self.muted = True
        return _Reply(self._send, self._must_close, self._on_status, self._on_keep)

    async def error(self, status: int, code: str, message: str, details: dict[str, Any],
                    retry_after: int | None = None) -> None:
        from .observability import GATE_ANSWERS

        GATE_ANSWERS.labels(status=str(status)).inc()
        body = _error_json(code, message, details)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if retry_after is not None:
            headers.append((b"retry-after", str(retry_after).encode()))
        await self({"type": "http.response.start", "status": status, "headers": headers})
        await self({"type": "http.response.body", "body": body})


class Gate:
    """ASGI middleware: bodies read within a time limit, work admitted by count with a deadline from
    arrival, refused bodies drained, and the worker recycled without dropping a kept-alive answer.

    ``work`` runs admitted work requests, ``light`` everything else (two a2wsgi bridges over the one
    Flask app, each with its own threads). One instance per worker process.
    """

    def __init__(self, work: ASGIApp, light: ASGIApp, settings: Settings,
                 recycle_after: int | None = None, stop: Callable[[], None] | None = None,
                 share: Share | None = None) -> None:
        self.work = work
        self.light = light
        self.max_inflight = settings.max_inflight_effective
        self.max_body = settings.max_body_bytes
        self.read_timeout_s = settings.read_timeout_s
        self.deadline_s = settings.request_timeout_s
        self.recycle_after = recycle_after  # requests served before this worker recycles; None: never
        self.admitted = 0  # work requests in this worker: running, waiting for a thread, or abandoned
        self.light_admitted = 0
        self.served = 0
        self.keeping = 0  # requests not yet ended whose answer left the connection open
        self.draining = False
        self.open = 0  # requests between arrival and their last answer byte
        self._share = share  # this worker's place on the board of open requests (service/balance.py)
        # gunicorn's documented graceful stop of one worker; the master starts another in its place
        self._stop = stop or (lambda: os.kill(os.getpid(), signal.SIGTERM))
        self._stop_sent = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.light(scope, receive, send)  # a2wsgi closes websockets
            return
        arrival = time.monotonic()
        body = _Body(receive)
        kept = False

        def keep() -> None:
            nonlocal kept
            kept = True
            self.keeping += 1

        # an answer sent before the whole body was read ends the connection: the client cannot
        # send another request behind the unread rest
        reply = _Reply(send, lambda: self.draining or not body.complete or self._over_share(), self._answered,
                       keep)
        self._opened(+1)
        try:
            await self._serve(scope, body, reply, arrival)
            if not (body.complete or body.gone) and reply.started and reply.status != 408:
                await body.discard(LINGER_FACTOR * self.max_body, self.read_timeout_s)
        finally:
            if kept:
                self.keeping -= 1
            self._opened(-1)
            self._maybe_stop()

    def _opened(self, change: int) -> None:
        self.open += change
        if self._share is not None:
            self._share.publish(self.open)

    def _over_share(self) -> bool:
        """This worker holds more than its share of open requests, or a reload is replacing it."""
        return self._share is not None and (self._share.draining() or self._share.over(self.open))

    async def _serve(self, scope: Scope, body: _Body, reply: _Reply, arrival: float) -> None:
        work = is_work(scope)
        if work and self.admitted >= self.max_inflight:
            await self._refuse(reply)  # before the body: the refusal waits for nothing
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            data = b""  # Flask answers 413 (or 401/403/429 first) from the declared length alone
        else:
            try:
                got = await asyncio.wait_for(body.read(self.max_body), self.read_timeout_s)
            except TimeoutError:
                await reply.error(408, "request_timeout",
                                  f"the request body did not arrive within {self.read_timeout_s:g} s",
                                  {"timeout_s": self.read_timeout_s})
                return
            if got is None:
                return  # the client went away
            data = got
            # the body is whole now: a chunked one is handed on with its length, as WSGI expects
            headers = [(k, v) for k, v in scope.get("headers") or []
                       if k not in (b"content-length", b"transfer-encoding")]
            scope = {**scope, "headers": [*headers, (b"content-length", str(len(data)).encode())]}
        if not work:
            await self._light(scope, body.replay(data), reply)
            return
        if self.admitted >= self.max_inflight:  # filled while this body arrived
            await self._refuse(reply)
            return
        await self._admit(scope, body.replay(data), reply, arrival)

    async def _refuse(self, reply: _Reply) -> None:
        reply.close = True  # the retry comes on a new connection, which a less busy worker may take
        await reply.error(503, "overloaded",
                          f"the service is busy ({self.max_inflight} requests in progress in this "
                          "worker); retry shortly", {"max_inflight": self.max_inflight}, retry_after=1)

    async def _light(self, scope: Scope, receive: Receive, reply: _Reply) -> None:
        if self.light_admitted >= LIGHT_MAX_INFLIGHT:
            await reply.error(503, "overloaded", "the service is busy; retry shortly",
                              {"max_inflight": LIGHT_MAX_INFLIGHT}, retry_after=1)
            return
        self.light_admitted += 1
        try:
            await self.light(scope, receive, reply)
        finally:
            self.light_admitted -= 1

    async def _admit(self, scope: Scope, receive: Receive, reply: _Reply, arrival: float) -> None:
        self.admitted += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self.admitted -= 1
                self._maybe_stop()

        # the slot is free once the answer is out (the client may already be sending its next request),
        # or, for work answered by the gate instead (504), only when the work itself ends
        reply.on_done = release
        token = arrived_at.set(arrival)  # the task copies the context; a2wsgi hands it to the thread
        try:
            task = asyncio.ensure_future(self.work(scope, receive, reply))
        except BaseException:
            release()
            raise
        finally:
            arrived_at.reset(token)
        task.add_done_callback(lambda t: release())
        task.add_done_callback(self._failed_late)
        timeout = None if self.deadline_s <= 0 else arrival + self.deadline_s + DEADLINE_GRACE_S - time.monotonic()
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if done:
            task.result()
            return
        if reply.started:
            await task  # the answer is on its way
            return
        # the work never reached the guard's deadline (it waited for a thread): answer for it; it keeps
        # its admission until it ends, and the guard turns it away at once when it does get a thread
        await reply.take_over().error(504, "deadline_exceeded",
                                      f"the request took longer than {self.deadline_s:g} s and was abandoned",
                                      {"timeout_s": self.deadline_s})

    @staticmethod
    def _failed_late(task: asyncio.Future[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("work request failed", exc_info=task.exception())

    def _answered(self, status: int) -> None:
        """An answer starts: count it (refusals aside); the one that reaches the recycling count
        already says Connection: close, as does every later one."""
        if status in REFUSALS:
            return
        self.served += 1
        if self.recycle_after is not None and not self.draining and self.served >= self.recycle_after:
            self.draining = True
            log.info("recycling this worker after %d requests: this and later answers close their connection",
                     self.served)

    def _maybe_stop(self) -> None:
        """Once draining, and every answer that left its connection open has ended, stop this worker
        gracefully (gunicorn starts another, and lets the requests still here finish: each of their
        answers says ``Connection: close``). Not waiting for an idle moment, which steady traffic
        never leaves. The signal waits a moment, so every connection has taken its keep-alive
        decision on its last answer."""
        if self.draining and not self._stop_sent and self.keeping == 0:
            self._stop_sent = True
            asyncio.get_running_loop().call_later(0.05, self._stop)


def below_the_loop(app: Any, nice: int) -> Any:
    """``app`` (WSGI) run at a lower CPU priority: each thread that calls it raises its own nice value
    by ``nice`` once (Linux schedules threads, so the worker's event loop keeps its priority).

    The work threads are CPU-bound; the event loop answers refusals, health checks and slow clients.
    At equal priority it waited for a CPU behind them: 40 heavy requests at once on 2 workers got
    their 503s at a median p50 of 67 ms over 6 runs, 41 ms over 9 with the work at nice 10
    (docs/protection.md).
    Priority is relative to the other threads of the container or host, never raised; 0 leaves it.
    """
    if nice <= 0:
        return app
    local = threading.local()

    def lowered(environ: Any, start_response: Any) -> Any:
        if not getattr(local, "done", False):
            local.done = True
            try:
                tid = threading.get_native_id()
                os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
            except OSError as exc:  # not allowed here: run at the same priority
                log.warning("work threads keep the event loop's CPU priority: %s", exc)
        return app(environ, start_response)

    return lowered


def create_asgi_app(settings: Settings | None = None, flask_app: Any = None) -> Gate:
    """The Flask app (``service.wsgi`` unless given) behind :class:`Gate`: work in ``threads``
    threads, everything else in :data:`LIGHT_THREADS`. Called in each worker after fork."""
    from a2wsgi import WSGIMiddleware

    if flask_app is None:
        from .wsgi import app as flask_app
    settings = settings or flask_app.config["SETTINGS"]
    # a2wsgi types a WSGI app's environ as its own TypedDict and an ASGI app by its event TypedDicts,
    # narrower than Flask's dict[str, Any] and this module's MutableMapping: the same protocols
    work = WSGIMiddleware(below_the_loop(flask_app, settings.work_nice), workers=settings.threads)
    light = WSGIMiddleware(flask_app, workers=LIGHT_THREADS)
    recycle = None
    if settings.max_requests > 0:
        recycle = settings.max_requests + random.randint(0, max(0, settings.max_requests_jitter))  # nosec B311
    share = Share(board(), settings.threads, balance=settings.balance_workers)
    return Gate(work, light, settings, recycle, share=share)  # type: ignore[arg-type]
