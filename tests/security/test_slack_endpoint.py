"""Issue 11, finding 5: the Slack HTTP endpoint caps the body before reading it, closes slow
or idle connections, and runs a bounded number of requests at once.

The attacks: a `Content-Length` of a gigabyte before the signature check (memory), a client
that sends a few bytes and waits (sockets, threads), and many requests at once (threads).
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from adapters.http import HttpServer
from adapters.slack.http import BODY_MAX, wsgi_app
from tests.e2e.fake_slack import slack_rig

pytestmark = pytest.mark.serial  # times rates or latencies: `make test` runs these alone

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


@contextmanager
def running(server: HttpServer) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def raw(address: str, data: bytes, wait: float = 5.0) -> bytes:
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
        return b"".join(chunks)


def test_an_oversized_body_is_refused_before_it_is_read(tmp_path: Path) -> None:
    with slack_rig(tmp_path) as rig, running(
            HttpServer(wsgi_app(rig.bot.app), "127.0.0.1", 0, body_max=BODY_MAX)) as address:
        head = (f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {1024 ** 3}\r\n\r\n").encode()
        started = time.monotonic()
        answer = raw(address, head + b"{" * 1024)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
        assert time.monotonic() - started < 3  # answered without waiting for a gigabyte
        assert BODY_MAX <= 1024 * 1024  # Slack's payloads are a few KB
        assert rig.fake.of("chat.postMessage") == []


def test_a_slow_client_is_disconnected() -> None:
    def app(environ: WSGIEnvironment,
            start_response: StartResponse) -> list[bytes]:  # pragma: no cover - never reached
        start_response("200 OK", [])
        return [b""]

    with running(HttpServer(app, "127.0.0.1", 0, read_timeout=1)) as address:
        started = time.monotonic()
        answer = raw(address, b"POST /slack/events HTTP/1.1\r\nHost: x\r\n", wait=10)
        took = time.monotonic() - started
    # closed by the server, not by us
    assert answer == b"", (answer, took)
    assert took < 8, (answer, took)


def test_requests_run_with_bounded_concurrency() -> None:
    active, peak, lock = [0], [0], threading.Lock()

    def slow(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.3)
        with lock:
            active[0] -= 1
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    with running(HttpServer(slow, "127.0.0.1", 0, threads=2)) as address:
        def get() -> None:
            with urllib.request.urlopen(f"http://{address}/healthz", timeout=10) as r:
                r.read()

        clients = [threading.Thread(target=get) for _ in range(8)]
        for c in clients:
            c.start()
        for c in clients:
            c.join(15)
    assert peak[0] == 2


def _healthz_from(address: str, source: str, timeout: float) -> bytes:
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=timeout,
                                  source_address=(source, 0)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return sock.recv(1024)


def test_slow_clients_cannot_hold_every_connection() -> None:
    """Issue 22, finding 4: connections trickling one header line at a time are never idle,
    so they filled waitress's connection limit and /healthz and every Slack event timed out.
    Now one address holds at most `per_client` connections and a request must arrive whole
    within `request_deadline`. (127.0.0.1 is a local reverse proxy's address, so not capped:
    the attacker comes from 127.0.0.2 and the health check from 127.0.0.3.)"""
    def ok(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    server = HttpServer(ok, "127.0.0.1", 0, connections=32, per_client=4,
                        request_deadline=1.0, read_timeout=30)
    with running(server) as address:
        host, port = address.split(":")
        slow = []
        for _ in range(40):  # more than the server's whole connection limit
            sock = socket.create_connection((host, int(port)), timeout=5,
                                            source_address=("127.0.0.2", 0))
            sock.sendall(b"POST /slack/events HTTP/1.1\r\n")
            slow.append(sock)
        stop = threading.Event()

        def trickle() -> None:
            while not stop.wait(0.2):
                for sock in slow:
                    with suppress(OSError):  # closed by the server: as it should be
                        sock.sendall(b"X-Slow: 1\r\n")

        trickler = threading.Thread(target=trickle, daemon=True)
        trickler.start()
        try:
            time.sleep(0.5)
            started = time.monotonic()
            answer = _healthz_from(address, "127.0.0.3", timeout=5)
            took = time.monotonic() - started
            assert answer.startswith(b"HTTP/1.1 200"), answer[:80]
            assert took < 2, took
            time.sleep(2.0)  # past the request deadline: the trickling ones are closed too
            closed = 0
            for sock in slow:
                sock.settimeout(0.5)
                try:
                    closed += sock.recv(1) == b""
                except OSError:
                    closed += 1
            assert closed == len(slow)
        finally:
            stop.set()
            trickler.join(2)
            for sock in slow:
                sock.close()



def test_a_local_reverse_proxy_is_not_capped() -> None:
    def ok(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    with running(HttpServer(ok, "127.0.0.1", 0, per_client=2)) as address:
        host, port = address.split(":")
        held = [socket.create_connection((host, int(port)), timeout=5) for _ in range(6)]
        try:
            assert _healthz_from(address, "127.0.0.1", timeout=5).startswith(b"HTTP/1.1 200")
        finally:
            for sock in held:
                sock.close()
