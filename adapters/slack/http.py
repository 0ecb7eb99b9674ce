"""Slack over HTTP: Bolt's own WSGI adapter served by waitress (see docs/decisions.md).

waitress is a production WSGI server that bounds what a client can make us hold: the request
body is capped before it is read (Slack's payloads are a few KB; anything bigger gets 413
without being buffered), idle or slow connections are closed after `READ_TIMEOUT`, at most
`CONNECTIONS` sockets are open and `THREADS` requests run at once (the rest wait in the
listen backlog). `/healthz` answers 200 for load balancers; everything else is Bolt's
(`/slack/events`, and the OAuth install and redirect pages when OAuth is configured).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

BODY_MAX = 512 * 1024
HEADER_MAX = 64 * 1024
READ_TIMEOUT = 30.0
THREADS = 8
CONNECTIONS = 256
BACKLOG = 128

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def wsgi_app(app: App, path: str = "/slack/events") -> Wsgi:
    bolt = SlackRequestHandler(app, path)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]
                    ) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
            return [b"ok"]
        return bolt(environ, start_response)

    return application


class HttpServer:
    """A waitress server that a thread can run (`serve_forever`) and another stop."""

    def __init__(self, application: Wsgi, host: str, port: int, *, threads: int = THREADS,
                 read_timeout: float = READ_TIMEOUT, body_max: int = BODY_MAX,
                 connections: int = CONNECTIONS) -> None:
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
        self.server_address = (host, int(self._server.getsockname()[1]))

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self._serving.set()
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=poll_interval, map=self._map, count=1)
        finally:
            self._serving.clear()
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop `serve_forever` and wait until it has returned (as socketserver does)."""
        self._stop.set()
        if self._serving.is_set():
            self._stopped.wait(10)

    def server_close(self) -> None:
        self._server.close()
        for channel in list(self._map.values()):
            channel.close()


def serve(bot: Any, host: str = "0.0.0.0", port: int = 3000,
          path: str = "/slack/events") -> HttpServer:
    """An HTTP server for `bot.app` (call `serve_forever`, then `shutdown`, `server_close`)."""
    return HttpServer(wsgi_app(bot.app, path), host, port)
