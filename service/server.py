"""The default server path: requests are read by gunicorn's asyncio worker, never by a thread.

gunicorn runs ``service.asgi:app`` with ``-k service.server.Worker`` (service/gunicorn_conf.py).

gunicorn's threaded worker (``gthread``) hands a connection to a thread as soon as its first bytes
arrive, and the thread then blocks until the request is complete: 40 clients sending one header
line a second starved every worker (measured in ``bench/slow_clients.py``; README "Protection and
limits"). Here gunicorn's own ASGI worker reads headers and body on its event loop, where a slow
client costs a few kilobytes, and only a complete request reaches Flask, which runs unchanged in a
pool of ``SUMMARIZER_THREADS`` threads per worker (a2wsgi's WSGI-to-ASGI bridge).

``SUMMARIZER_READ_TIMEOUT_S`` bounds both reads: the first request's headers must arrive within it
(later requests on a kept-alive connection are bounded by ``SUMMARIZER_KEEPALIVE_S``, as gunicorn
does), and the whole body within it again; past either the connection gets 408 and is closed.
"""
from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from ssl import SSLContext
from typing import Any

from gunicorn.asgi.protocol import ASGIProtocol
from gunicorn.workers import gasgi

from .balance import BalancedListener, board
from .config import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _error_json(code: str, message: str, details: dict[str, Any]) -> bytes:
    """The service's one error shape (service/errors.py), for answers given before Flask runs."""
    return json.dumps({"error": {"code": code, "message": message, "details": details},
                       "request_id": None}).encode("utf-8")


class HeaderDeadlineProtocol(ASGIProtocol):
    """gunicorn's HTTP/1 protocol with a deadline for a new connection's first request headers.

    gunicorn's keepalive timer bounds the headers of every later request on a connection, but not
    the first one: without this, a client can hold a connection open forever by trickling headers.
    """

    header_timeout_s: float = 10.0  # set from SUMMARIZER_READ_TIMEOUT_S by Worker

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._header_deadline: asyncio.TimerHandle | None = self.worker.loop.call_later(
            self.header_timeout_s, self._headers_too_slow)
        self.worker.connections_changed()

    def _cancel_header_deadline(self) -> None:
        handle = getattr(self, "_header_deadline", None)
        if handle is not None:
            handle.cancel()
            self._header_deadline = None

    def _on_headers_complete(self) -> Any:
        self._cancel_header_deadline()
        return super()._on_headers_complete()

    def _will_close(self, request: Any, response_requires_close: bool) -> bool:
        # gunicorn's one place for the keep-alive decision: also close when this worker holds more
        # than its share of the connections (service/balance.py)
        return super()._will_close(request, response_requires_close) or self.worker.over_share()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_deadline()
        super().connection_lost(exc)
        self.worker.connections_changed()

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self._closed or self._current_request is not None:
            return
        self.log.info("closing a connection whose request headers took over %g s", self.header_timeout_s)
        body = _error_json("request_timeout",
                           f"the request headers did not arrive within {self.header_timeout_s:g} s",
                           {"timeout_s": self.header_timeout_s})
        self._safe_write(b"HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        self._keepalive_timeout()  # closes the transport and wakes the connection's task


class Worker(gasgi.ASGIWorker):
    """gunicorn's ASGI worker serving connections with :class:`HeaderDeadlineProtocol`, accepting
    them in turn with the other workers (:mod:`service.balance`)."""

    listeners: list[BalancedListener]

    def _setup_event_loop(self) -> None:
        super()._setup_event_loop()
        self.listeners = []

        async def create_server(protocol_factory: Callable[[], asyncio.Protocol], *, sock: socket.socket,
                                ssl: SSLContext | None = None, **_: Any) -> BalancedListener:
            listener = BalancedListener(self.loop, protocol_factory, sock, ssl, lambda: self.nr_conns, board())
            self.listeners.append(listener)
            return listener

        # gasgi's _serve makes its servers with loop.create_server(sock=...): ours in their place
        self.loop.create_server = create_server

    def over_share(self) -> bool:
        """Whether this worker should close a kept-alive connection after its response."""
        return any(listener.over_share() for listener in getattr(self, "listeners", ()))

    def connections_changed(self) -> None:
        """Publish this worker's open connections (a connection was made or lost)."""
        for listener in getattr(self, "listeners", ()):
            listener.publish()

    def init_process(self) -> None:
        HeaderDeadlineProtocol.header_timeout_s = Settings.from_env().read_timeout_s
        # gasgi builds each connection's protocol from this module-level name; in this worker
        # process it is ours (a test sends headers too slowly to a real server to prove it)
        gasgi.ASGIProtocol = HeaderDeadlineProtocol
        super().init_process()


class BufferedBody:
    """ASGI middleware: the whole body is read on the event loop, within ``timeout_s``, before the
    app sees the request, so no application thread ever waits on a slow client.

    At most ``max_bytes + 1`` bytes are kept: a longer body is cut there and handed on, and Flask
    answers 413 with the usual error shape (as it does for a declared Content-Length over the limit,
    which is handed on without reading the body at all).
    """

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self.app(scope, _replay(b"", receive), send)
            return
        try:
            body = await asyncio.wait_for(self._read(receive), self.timeout_s)
        except TimeoutError:
            await _respond(send, 408, _error_json(
                "request_timeout", f"the request body did not arrive within {self.timeout_s:g} s",
                {"timeout_s": self.timeout_s}))
            return
        if body is None:
            return  # the client went away
        # the body is whole now: a chunked one is handed on with its length, as WSGI expects
        headers = [(k, v) for k, v in scope.get("headers") or []
                   if k not in (b"content-length", b"transfer-encoding")]
        scope = {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_bytes or not message.get("more_body", False):
                return b"".join(chunks)[: self.max_bytes + 1]


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` as one message, then waits for the disconnect."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def create_asgi_app(settings: Settings | None = None) -> ASGIApp:
    """The Flask app (``service.wsgi``) behind :class:`BufferedBody`, run in ``threads`` threads."""
    from a2wsgi import WSGIMiddleware

    from .wsgi import app as flask_app

    settings = settings or flask_app.config["SETTINGS"]
    # a2wsgi types a WSGI app's environ as its own TypedDict and an ASGI app by its event TypedDicts,
    # narrower than Flask's dict[str, Any] and this module's MutableMapping: the same protocols
    bridge = WSGIMiddleware(flask_app, workers=settings.threads)  # type: ignore[arg-type]
    return BufferedBody(bridge, settings.max_body_bytes, settings.read_timeout_s)  # type: ignore[arg-type]
