"""The HTTP server both chat adapters serve from: waitress with limits a client cannot get past.

waitress is a production WSGI server that bounds what a client can make us hold: the request
body is capped before it is read (a `Content-Length` over `body_max` gets 413 without being
buffered; a chunked body is cut off at `body_max`), idle connections are closed after
`READ_TIMEOUT`, at most `CONNECTIONS` sockets are open and `THREADS` requests run at once (the
rest wait in the listen backlog).

Three limits waitress does not have are added here:

- through its `channel_class` (issue 22, finding 4: 256 connections each sending a header line
  every 10 s were never idle, so they held every connection slot and `/healthz` and Slack's
  events timed out): a request must arrive whole within `REQUEST_DEADLINE` of its first byte,
  and one client address holds at most `PER_CLIENT` connections (further ones are closed at
  once). Loopback is not capped: a reverse proxy on the same host connects from it for every
  client, and then enforces the per-client limits itself (README, "Behind a reverse proxy").
- through the channel's `parser_class` (issue 22, finding 5), an optional `admit_body` check on
  a request's parsed headers, run before a byte of its body is read: a request it refuses gets
  403 and its connection is closed, so a client without the Telegram webhook's secret cannot
  make the process buffer anything beyond its headers.

Slack (adapters/slack/http.py) and the Telegram webhook (adapters/telegram/webhook.py) each
pass their own WSGI application and body cap.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer, create_server
from waitress.utilities import Error

BODY_MAX = 512 * 1024
HEADER_MAX = 64 * 1024
READ_TIMEOUT = 30.0
THREADS = 8
CONNECTIONS = 256
BACKLOG = 128
REQUEST_DEADLINE = 10.0  # seconds from a request's first byte to its last (a few KB)
PER_CLIENT = 32  # connections one client address may hold
UNCAPPED = frozenset({"127.0.0.1", "::1"})  # a local reverse proxy speaks for many clients

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

AdmitBody = Callable[[Mapping[str, str]], bool]
"""Whether a request's body may be read, from its headers as waitress parsed them (names upper
case, `-` as `_`: `X_TELEGRAM_BOT_API_SECRET_TOKEN`). Asked only for requests that have a
body; False answers 403 before any of it is read."""


class Forbidden(Error):
    """waitress's error answer for a request refused on its headers."""

    code = 403
    reason = "Forbidden"


class _HeaderCheckedParser(HTTPRequestParser):
    """waitress's request parser, asking `admits_body` once the headers are in and before the
    body: a refused request is complete at once, with a 403 and no body read."""

    _asked = False

    def admits_body(self, headers: Mapping[str, str]) -> bool:
        """The server's `admit_body` check (each server's subclass, `_parser_class`)."""
        return True

    def received(self, data: bytes) -> int:
        consumed = super().received(data)
        if self.headers_finished and not self._asked:
            self._asked = True
            has_body = self.content_length > 0 or self.chunked
            if self.error is None and has_body and not self.admits_body(self.headers):
                self.error = Forbidden("")
                self.completed = True
                self.expect_continue = False  # no "100 Continue": the answer is 403
        return consumed


def _parser_class(admit_body: AdmitBody) -> type[HTTPRequestParser]:
    class Parser(_HeaderCheckedParser):
        def admits_body(self, headers: Mapping[str, str]) -> bool:
            return admit_body(headers)

    return Parser


class _BoundedChannel(HTTPChannel):
    """A connection that remembers when its current request began, and refuses to be one
    more than `per_client` from the same address."""

    per_client = PER_CLIENT
    uncapped = UNCAPPED

    def __init__(self, server: Any, sock: Any, addr: Any, adj: Any, map: Any = None) -> None:
        super().__init__(server, sock, addr, adj, map)
        self.request_began: float | None = None
        peer = _peer(addr)
        if peer in self.uncapped:
            return
        same = sum(1 for ch in (map or {}).values()
                   if isinstance(ch, _BoundedChannel) and _peer(ch.addr) == peer)
        if same > self.per_client:
            self.handle_close()

    def received(self, data: bytes) -> bool:
        if self.request is None and self.request_began is None:
            self.request_began = time.monotonic()
        done: bool = super().received(data)
        if self.request is None:  # nothing partly read: the next request's clock starts later
            self.request_began = None
        return done


def _peer(addr: Any) -> str:
    return str(addr[0]) if isinstance(addr, tuple) and addr else str(addr)


def _channel_class(per_client: int, uncapped: frozenset[str],
                   admit_body: AdmitBody | None) -> type[_BoundedChannel]:
    """This server's own channel (and parser) class: waitress makes one channel per connection
    from the class, and one parser per request from the channel's `parser_class`."""
    class Channel(_BoundedChannel):
        """A connection to this server."""

    Channel.per_client = per_client
    Channel.uncapped = uncapped
    if admit_body is not None:
        Channel.parser_class = _parser_class(admit_body)
    return Channel


Ready = Callable[[], str | None]
"""Whether the process can serve: None when it can, else one line saying why not."""


def with_health(application: Wsgi, ready: Ready | None = None) -> Wsgi:
    """`application` behind the load balancer's two probes, answered before anything else
    about a request is looked at (no authentication: they say nothing secret):

    - `GET /healthz`: 200 "ok" while the process runs (no database call);
    - `GET /readyz`: 200 `{"ready": true}` when `ready()` finds nothing wrong, else 503
      `{"ready": false, "reason": "…"}` (the database does not answer, its schema is
      behind, the adapter has not started yet)."""

    def health_first(environ: dict[str, Any], start_response: Callable[..., Any]
                     ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == "/healthz":
            return _answer(start_response, "200 OK", "text/plain", b"ok")
        if path == "/readyz":
            reason = ready() if ready is not None else None
            if reason is None:
                return _answer(start_response, "200 OK", "application/json",
                               b'{"ready": true}')
            body = json.dumps({"ready": False, "reason": reason}).encode()
            return _answer(start_response, "503 Service Unavailable", "application/json", body)
        return application(environ, start_response)

    return health_first


def _answer(start_response: Callable[..., Any], status: str, kind: str,
            body: bytes) -> list[bytes]:
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body))),
                            ("Cache-Control", "no-store")])
    return [body]


def _not_found(environ: dict[str, Any], start_response: Callable[..., Any]
               ) -> Iterable[bytes]:
    return _answer(start_response, "404 Not Found", "text/plain", b"Not Found")


class HealthServer:
    """`/healthz` and `/readyz` alone, on a thread of their own: for the processes that
    serve no HTTP otherwise (Telegram polling, Slack Socket Mode) when CASEBOT_HEALTH_PORT
    is set."""

    def __init__(self, ready: Ready, port: int, host: str = "0.0.0.0") -> None:
        self.server = HttpServer(with_health(_not_found, ready), host, port, threads=2)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.2,),
                                       name="casebot-health", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)
        self.server.server_close()


class HttpServer:
    """A waitress server that a thread can run (`serve_forever`) and another stop."""

    def __init__(self, application: Wsgi, host: str, port: int, *, threads: int = THREADS,
                 read_timeout: float = READ_TIMEOUT, body_max: int = BODY_MAX,
                 connections: int = CONNECTIONS, request_deadline: float = REQUEST_DEADLINE,
                 per_client: int = PER_CLIENT, uncapped: frozenset[str] = UNCAPPED,
                 admit_body: AdmitBody | None = None) -> None:
        self._map: dict[int, Any] = {}
        self._stop, self._serving, self._stopped = (threading.Event(), threading.Event(),
                                                    threading.Event())
        self._server = create_server(
            application, map=self._map, host=host, port=port, threads=threads,
            connection_limit=connections, channel_timeout=read_timeout,
            cleanup_interval=max(1, int(read_timeout // 2)), backlog=BACKLOG,
            max_request_body_size=body_max, max_request_header_size=HEADER_MAX,
            ident="casebot", expose_tracebacks=False)
        assert isinstance(self._server, BaseWSGIServer)  # one host and port: one socket
        self._server.channel_class = _channel_class(per_client, uncapped, admit_body)
        self.request_deadline = request_deadline
        self.server_address = (host, int(self._server.getsockname()[1]))

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self._serving.set()
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=min(poll_interval, 0.5), map=self._map, count=1)
                self._close_late_requests()
        finally:
            self._serving.clear()
            self._stopped.set()

    def _close_late_requests(self) -> None:
        """Close connections whose request has been arriving for longer than the deadline
        (a slow client trickling headers is never idle, so `READ_TIMEOUT` never fires)."""
        late = time.monotonic() - self.request_deadline
        for channel in list(self._map.values()):
            began = getattr(channel, "request_began", None)
            if began is not None and began < late and not channel.requests:
                channel.will_close = True

    def shutdown(self) -> None:
        """Stop `serve_forever` and wait until it has returned (as socketserver does)."""
        self._stop.set()
        if self._serving.is_set():
            self._stopped.wait(10)

    def server_close(self) -> None:
        self._server.close()
        for channel in list(self._map.values()):
            channel.close()
