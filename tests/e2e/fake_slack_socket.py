"""A stand-in for Slack's Socket Mode WebSocket endpoint on 127.0.0.1 (tornado, own IOLoop).

Slack's side of Socket Mode: on connect it says hello, then pushes envelopes
`{"envelope_id", "type", "payload"}` and expects each acked with `{"envelope_id": ...}`.
`push()` sends one from any thread; `wait_ack()` waits for the app's answer.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.netutil import bind_sockets
from tornado.web import Application
from tornado.websocket import WebSocketHandler

T = TypeVar("T")


class FakeSlackSocket:
    """One WebSocket endpoint at `url`; records every message the app sends back."""

    def __init__(self, path: str = "/link") -> None:
        self.path = path
        self.received: list[dict[str, Any]] = []
        self.connects = 0
        self._conns: list[WebSocketHandler] = []
        self._cond = threading.Condition()
        self._sockets = bind_sockets(0, "127.0.0.1")
        self.url = f"ws://127.0.0.1:{self._sockets[0].getsockname()[1]}{path}"
        self._loop: IOLoop | None = None
        self._server: HTTPServer | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-slack-socket", daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> FakeSlackSocket:
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("the WebSocket stand-in did not start")
        return self

    def __exit__(self, *exc: Any) -> None:
        loop = self._loop
        if loop is not None:
            loop.add_callback(self._shutdown)
        self._thread.join(5)
        assert not self._thread.is_alive(), "WebSocket stand-in thread still running"

    def _run(self) -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        self._loop = IOLoop.current()
        self._server = HTTPServer(Application([(self.path, self._handler())]))
        self._server.add_sockets(self._sockets)
        self._loop.add_callback(self._ready.set)
        try:
            self._loop.start()
        finally:
            self._loop.close(all_fds=True)

    def _shutdown(self) -> None:
        assert self._server is not None
        assert self._loop is not None
        self._server.stop()
        for conn in list(self._conns):
            conn.close()
        # let the close frames go out before the loop stops
        self._loop.call_later(0.05, self._loop.stop)

    def _handler(self) -> type[WebSocketHandler]:
        fake = self

        class Handler(WebSocketHandler):
            def open(self, *args: Any) -> None:
                with fake._cond:
                    fake._conns.append(self)
                    fake.connects += 1
                    fake._cond.notify_all()
                self.write_message(json.dumps({
                    "type": "hello", "num_connections": 1,
                    "connection_info": {"app_id": "A1"},
                    "debug_info": {"host": "fake", "approximate_connection_time": 18060}}))

            def on_message(self, message: str | bytes) -> None:
                with fake._cond:
                    fake.received.append(json.loads(message))
                    fake._cond.notify_all()

            def on_close(self) -> None:
                with fake._cond:
                    if self in fake._conns:
                        fake._conns.remove(self)
                    fake._cond.notify_all()

        return Handler

    # -- Slack's side ------------------------------------------------------------------------

    def _wait(self, pred: Callable[[], T | None], timeout: float, what: str) -> T:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (got := pred()):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; "
                                         f"received so far: {self.received}")
                self._cond.wait(left)
            return got

    def wait_connected(self, timeout: float = 10.0) -> None:
        self._wait(lambda: self._conns, timeout, "the app to connect")

    def push(self, kind: str, payload: dict[str, Any], **extra: Any) -> str:
        """Send an envelope (events_api, interactive, slash_commands); returns its id."""
        envelope_id = str(uuid.uuid4())
        message = json.dumps({"envelope_id": envelope_id, "type": kind, "payload": payload,
                              "accepts_response_payload": kind != "events_api", **extra})
        with self._cond:
            conn = self._conns[-1] if self._conns else None
        if conn is None or self._loop is None:
            raise AssertionError("no app connected")
        self._loop.add_callback(conn.write_message, message)
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        return self._wait(lambda: next((m for m in self.received
                                        if m.get("envelope_id") == envelope_id), None),
                          timeout, f"the ack of {envelope_id}")
