"""Issue 26: one Telegram poller per bot, across every process on the database.

Real `casebot telegram` processes long-poll the Bot API stand-in: a second one exits with
code 2 and one line saying who polls already; once the first is killed with SIGKILL (no
chance to release anything), a new one takes over. On SQLite both share one CASEBOT_HOME;
on PostgreSQL each has its own, as two machines would. The first also serves `/healthz`
and `/readyz` on CASEBOT_HEALTH_PORT (polling serves no HTTP otherwise).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from store.db import make_engine, upgrade
from tests.e2e.fake_telegram import BOT_USER, FakeTelegram
from tests.e2e.telegram_driver import free_port

pytestmark = pytest.mark.timeout(150)


def until(cond: Callable[[], object], what: str, timeout: float = 45) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """None: SQLite in a CASEBOT_HOME both processes share; else a migrated PostgreSQL URL."""
    if request.param == "sqlite":
        return None
    url = request.getfixturevalue("pg_url")
    assert isinstance(url, str)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


class Pollers:
    def __init__(self, tmp_path: Path, fake: FakeTelegram, database: str | None) -> None:
        self.tmp_path, self.fake, self.database = tmp_path, fake, database
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, **extra: str) -> subprocess.Popen[bytes]:
        home = self.tmp_path / ("home" if self.database is None else f"home-{name}")
        env = {**os.environ, "CASEBOT_HOME": str(home), "TELEGRAM_BOT_TOKEN": self.fake.token,
               "TELEGRAM_API_URL": self.fake.url, **extra}
        for key in ("CASEBOT_DATABASE_URL", "CASEBOT_SMTP_URL", "CASEBOT_HEALTH_PORT"):
            if key not in extra:
                env.pop(key, None)
        if self.database is not None:
            env["CASEBOT_DATABASE_URL"] = self.database
        out = (self.tmp_path / f"{name}.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "telegram"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
        out.close()
        self.procs.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")

    def polls(self) -> int:
        return len(self.fake.polls)

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


@pytest.fixture
def pollers(tmp_path: Path, fake: FakeTelegram, database: str | None) -> Iterator[Pollers]:
    p = Pollers(tmp_path, fake, database)
    yield p
    p.close()


def get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_a_second_poller_exits_2_and_one_takes_over_after_a_kill(pollers: Pollers) -> None:
    health = free_port()
    first = pollers.start("first", CASEBOT_HEALTH_PORT=str(health))
    until(lambda: pollers.polls() > 0 or first.poll() is not None, "the first poller polls")
    assert first.poll() is None, pollers.log("first")
    until(lambda: get(health, "/readyz")[0] == 200, "the first poller is ready")
    assert get(health, "/healthz") == (200, b"ok")
    assert json.loads(get(health, "/readyz")[1]) == {"ready": True}
    assert get(health, "/slack/events")[0] == 404  # the probes only

    second = pollers.start("second")
    assert second.wait(60) == 2, pollers.log("second")
    lines = [line for line in pollers.log("second").splitlines() if line.strip()]
    said = [line for line in lines if line.startswith("Another casebot telegram")]
    expected = re.escape(
        f"Another casebot telegram is already polling for @{BOT_USER['username']} "
        f"(pid {first.pid} on {socket.gethostname()} since HH:MM UTC); one poller per bot: "
        "stop it, or run several with --webhook-url (README, 'Several machines').")
    assert len(said) == 1, pollers.log("second")
    assert re.fullmatch(expected.replace("HH:MM", r"\d\d:\d\d"), said[0]), said[0]
    assert "Traceback" not in pollers.log("second")

    first.send_signal(signal.SIGKILL)  # nothing released on its way out
    first.wait(10)
    seen = pollers.polls()
    third = pollers.start("third")
    until(lambda: pollers.polls() > seen or third.poll() is not None,
          "the next poller takes over")
    assert third.poll() is None, pollers.log("third")

    third.send_signal(signal.SIGTERM)
    assert third.wait(30) == 0, pollers.log("third")
    # ... and a clean exit leaves the role free at once
    seen = pollers.polls()
    fourth = pollers.start("fourth")
    until(lambda: pollers.polls() > seen or fourth.poll() is not None, "a fourth polls")
    assert fourth.poll() is None, pollers.log("fourth")
    fourth.send_signal(signal.SIGINT)
    assert fourth.wait(30) == 0, pollers.log("fourth")
