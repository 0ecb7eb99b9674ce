"""Issue 26: `/healthz` (the process runs) and `/readyz` (it can serve) on every server.

Readiness asks the database with a short timeout and compares its schema with this casebot's
migrations; a database that never answers costs each probe at most the timeout and leaves at
most one check running. The WSGI probes (Slack HTTP, the Telegram webhook, the health port
of polling and Socket Mode) and the console's ASGI ones answer before anything else runs.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from adapters.http import HealthServer, with_health
from bot.app import build_service
from bot.settings import Settings
from store.db import make_engine, upgrade
from store.health import Readiness
from web.app import build_web_app


def test_a_migrated_database_is_ready(engine: sa.Engine) -> None:
    assert Readiness(engine).check() is None


def test_a_schema_behind_is_not_ready(db_url: str) -> None:
    engine = make_engine(db_url)
    reason = Readiness(engine).check()
    assert reason is not None
    assert reason.startswith("the database schema is at no revision, this casebot needs")
    assert reason.endswith("run `casebot db upgrade`")
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0012'"))
    assert "is at 0012" in (Readiness(engine).check() or "")
    engine.dispose()


def test_an_unreachable_database_is_not_ready() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    engine = make_engine(f"postgresql+psycopg://casebot:secret-pw@127.0.0.1:{port}/casebot")
    reason = Readiness(engine).check()
    assert reason == "the database cannot be reached (OperationalError)"
    assert "secret-pw" not in reason


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word (a hung database)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def test_a_hung_database_costs_a_probe_the_timeout_and_one_check(silent_server: int) -> None:
    engine = make_engine(f"postgresql+psycopg://casebot@127.0.0.1:{silent_server}/casebot")
    readiness = Readiness(engine, timeout=0.3)
    started = time.monotonic()
    answers = [readiness.check() for _ in range(5)]
    took = time.monotonic() - started
    assert answers == ["the database did not answer within 0.3 s"] * 5
    assert took < 5 * 0.3 + 1.0
    assert sum(t.name == "casebot-readyz" for t in threading.enumerate()) == 1


def call(app: Callable[..., Iterable[bytes]], path: str) -> tuple[str, dict[str, str], bytes]:
    got: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        got.update(status=status, headers=dict(headers))

    body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": "GET"}, start_response))
    return got["status"], got["headers"], body


def test_the_wsgi_probes_answer_before_the_application() -> None:
    reached: list[str] = []

    def application(environ: dict[str, Any], start_response: Callable[..., Any]
                    ) -> Iterable[bytes]:
        reached.append(environ["PATH_INFO"])
        start_response("200 OK", [])
        return [b"app"]

    reason: list[str | None] = [None]
    app = with_health(application, lambda: reason[0])
    assert call(app, "/healthz")[::2] == ("200 OK", b"ok")
    status, headers, body = call(app, "/readyz")
    assert (status, json.loads(body)) == ("200 OK", {"ready": True})
    assert headers["Content-Type"] == "application/json"
    reason[0] = "the database cannot be reached (OperationalError)"
    status, _, body = call(app, "/readyz")
    assert status == "503 Service Unavailable"
    assert json.loads(body) == {"ready": False, "reason": reason[0]}
    assert body.count(b"\n") == 0  # one line
    assert call(app, "/other")[2] == b"app"
    assert reached == ["/other"]


def test_the_health_port_serves_the_probes_only() -> None:
    server = HealthServer(lambda: "the Socket Mode connection to Slack is not up", 0,
                          host="127.0.0.1")
    try:
        base = f"http://127.0.0.1:{server.port}"
        assert httpx.get(base + "/healthz").text == "ok"
        ready = httpx.get(base + "/readyz")
        assert ready.status_code == 503
        assert ready.json()["reason"] == "the Socket Mode connection to Slack is not up"
        assert httpx.get(base + "/").status_code == 404
    finally:
        server.stop()


def test_the_console_probes_skip_the_session_and_the_sign_in(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient

    settings = Settings(home=tmp_path / "home")
    service = build_service(settings)
    with TestClient(build_web_app(settings, service)) as client:
        healthz = client.get("/healthz")
        assert (healthz.status_code, healthz.text) == (200, "ok")
        assert "set-cookie" not in healthz.headers
        readyz = client.get("/readyz")
        assert (readyz.status_code, readyz.json()) == (200, {"ready": True})
        assert "set-cookie" not in readyz.headers
        with service.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '0012'"))
        behind = client.get("/readyz")
        assert behind.status_code == 503
        assert "casebot db upgrade" in behind.json()["reason"]
        assert client.get("/", follow_redirects=False).status_code in (302, 303)  # guarded
