"""`casebot slack --socket` end to end: the real CLI in a subprocess, in Socket Mode.

Slack's side is played by two stand-ins on 127.0.0.1: the Web API (`apps.connections.open`
hands out the WebSocket URL, chat.postMessage records what the user sees) and the Socket Mode
WebSocket, which pushes envelopes and collects the app's acks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_service
from bot.settings import Settings
from tests.e2e.fake_slack import BOT_TOKEN, SECRET, Driver, FakeSlack, give_profiles, link
from tests.e2e.fake_slack_socket import FakeSlackSocket
from tests.e2e.telegram_driver import free_port

APP_TOKEN = "xapp-1-A1-test"
USER = "U1"
# Settings the child must not inherit from whoever runs the tests (and proxies: the
# Socket Mode client would tunnel 127.0.0.1 through one).
SCRUB = ("SLACK_", "CASEBOT_", "TELEGRAM_", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def start_app(home: Path, api_url: str, log: Path, **extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(SCRUB)}
    if os.environ.get("CASEBOT_DEFAULT_LANGUAGE"):  # the e2e suite's (tests/e2e/pseudo.py)
        env["CASEBOT_DEFAULT_LANGUAGE"] = os.environ["CASEBOT_DEFAULT_LANGUAGE"]
    env.update(extra)
    # no signing secret: Socket Mode doesn't need one, and the CLI must not ask for it
    env.update(CASEBOT_HOME=str(home), SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN,
               SLACK_API_URL=api_url, NO_PROXY="127.0.0.1")
    # cwd: away from any .env file in the project
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "bot.cli", "slack", "--socket"],
                                env=env, cwd=log.parent, stdout=out, stderr=subprocess.STDOUT)


def wait_connected(ws: FakeSlackSocket, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            ws.wait_connected(timeout=0.2)
            return
        except AssertionError:
            assert proc.poll() is None, f"casebot slack --socket exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"never connected:\n{log.read_text()}"


def labels(blocks: list[dict[str, Any]]) -> list[str]:
    return [el["text"]["text"] for b in blocks if b.get("type") == "actions"
            for el in b["elements"] if el.get("type") == "button"]


@pytest.mark.timeout(60)
def test_socket_mode_new_case_and_button(tmp_path: Path) -> None:
    home = tmp_path / "home"
    log = tmp_path / "casebot-slack.log"
    with FakeSlack() as fake, FakeSlackSocket() as ws:
        fake.socket_url = ws.url
        settings = Settings(home=home, slack_bot_token=BOT_TOKEN, slack_api_url=fake.api_url)
        service = build_service(settings)  # migrates the SQLite file the app will use
        link(service, USER, "pat@acme.example")
        give_profiles(service, "pat@acme.example")
        service.engine.dispose()
        slack = Driver(None, fake, SECRET)  # builds Slack's payloads; sends nothing itself

        health = free_port()
        proc = start_app(home, fake.api_url, log, CASEBOT_HEALTH_PORT=str(health))
        try:
            wait_connected(ws, proc, log)
            # Socket Mode serves no HTTP: its probes are on CASEBOT_HEALTH_PORT (issue 26)
            probe = f"http://127.0.0.1:{health}"
            deadline = time.monotonic() + 10
            while True:
                try:
                    with urllib.request.urlopen(probe + "/readyz", timeout=5) as r:
                        assert json.loads(r.read()) == {"ready": True}
                        break
                except (urllib.error.HTTPError, OSError):  # not up or not connected yet
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.1)
            with urllib.request.urlopen(probe + "/healthz", timeout=5) as r:
                assert r.read() == b"ok"
            opened = fake.of("apps.connections.open")
            assert [c.token for c in opened] == [APP_TOKEN]  # the xapp- token, not the bot's

            # a DM "new case": acked with the envelope's id, answered with the first question
            event = json.loads(slack.event_body({
                "type": "message", "channel": "D" + USER, "user": USER, "text": "new case",
                "ts": f"{time.time():.6f}", "channel_type": "im", "team": fake.team_id}))
            sent = ws.push("events_api", event, retry_attempt=0, retry_reason="")
            assert ws.wait_ack(sent) == {"envelope_id": sent}
            first = fake.wait_calls("chat.postMessage", 1)[0]
            assert first.token == BOT_TOKEN
            assert first.args["channel"] == "D" + USER
            assert "Update or add a product profile" in labels(first.args["blocks"])

            # a button press on that question (interactive envelope): the next question
            msg, action = slack.press_action(USER, "Update or add a product profile")
            sent = ws.push("interactive", slack.action_payload(USER, msg, action))
            assert ws.wait_ack(sent) == {"envelope_id": sent}
            # one call (issue 13): the pressed message becomes the answer + the next question
            pressed = fake.wait_calls("chat.update", 1)[0]
            assert pressed.args["ts"] == first.result["ts"]
            assert pressed.args["channel"] == "D" + USER
            assert "Update or add a product profile" in json.dumps(pressed.args["blocks"])
            assert "Add a new profile" in labels(pressed.args["blocks"])
        finally:
            proc.send_signal(signal.SIGTERM)  # a service manager's stop: as Ctrl-C
            try:
                code = proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
                raise AssertionError(f"did not stop on SIGTERM:\n{log.read_text()}") from None
        assert code == 0, log.read_text()
        out = log.read_text()
        assert ws.connects == 1, out  # one session, no reconnect loop
        # nothing secret or typed by the user in the log
        assert APP_TOKEN not in out
        assert BOT_TOKEN not in out
        assert "new case" not in out


@pytest.mark.timeout(60)
def test_a_refused_app_token_is_explained_not_a_traceback(tmp_path: Path) -> None:
    home = tmp_path / "home"
    log = tmp_path / "casebot-slack.log"
    with FakeSlack() as fake:  # no socket_url: apps.connections.open answers with an error
        proc = start_app(home, fake.api_url, log)
        try:
            assert proc.wait(30) == 1
        finally:
            if proc.poll() is None:
                proc.kill()
    text = log.read_text()
    assert "Slack refused SLACK_APP_TOKEN" in text
    assert "xapp-" in text
    assert "Traceback" not in text
