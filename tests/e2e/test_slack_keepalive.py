"""Slack Web API calls reuse one connection (issue 13), against a keep-alive stand-in on
127.0.0.1, and slack_sdk's own handling of errors and 429s still applies."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from slack_sdk.errors import SlackApiError

from adapters.slack.client import make_client
from bot.settings import Settings
from tests.e2e.fake_slack import link, make_profile, slack_rig


class _Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections: ClassVar[set[tuple[str, int]]] = set()
    limited = 0

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        type(self).connections.add(self.client_address)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.endswith("/rate.limited") and type(self).limited < 1:
            type(self).limited += 1
            self.reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"})
        elif self.path.endswith("/bad.method"):
            self.reply(200, {"ok": False, "error": "channel_not_found"})
        else:
            self.reply(200, {"ok": True, "ts": "1.0"})

    def reply(self, status: int, body: dict[str, Any],
              headers: dict[str, Any] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def api() -> Iterator[str]:
    _Api.connections, _Api.limited = set(), 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/"
    server.shutdown()
    server.server_close()


def test_calls_share_one_connection(api: str) -> None:
    client = make_client(Settings(slack_api_url=api), "xoxb-test")
    for _ in range(5):
        assert client.chat_postMessage(channel="D1", text="hi")["ok"]
    assert len(_Api.connections) == 1


def test_errors_and_rate_limits_as_slack_sdk_handles_them(api: str) -> None:
    client = make_client(Settings(slack_api_url=api), "xoxb-test")
    assert client.api_call("rate.limited")["ok"]  # a 429, waited out and retried
    with pytest.raises(SlackApiError):
        client.api_call("bad.method")
    assert len(_Api.connections) == 1


def test_listeners_reuse_connections_over_a_whole_case(tmp_path: Path) -> None:
    """Bolt hands each listener a fresh plain WebClient; casebot's middleware swaps in the
    keep-alive one, so a whole case's calls share a connection per listener thread."""
    with slack_rig(tmp_path) as rig:
        link(rig.service, "U1", "pat@acme.example")
        rig.slack.command("U1", "/case", "new")
        make_profile(rig.slack, "U1")
        for label in ("Windows 10", "Product Issues"):
            rig.slack.press("U1", label)
        rig.slack.say("U1", "Agents stop reporting")
        rig.slack.say("U1", "Since the update")
        rig.slack.press("U1", "High")
        calls = [c for c in rig.fake.calls if c.method in ("chat.postMessage", "chat.update")]
        assert rig.slack.executor is not None
        threads = rig.slack.executor._max_workers + 1  # listener threads, and the app's own
        assert len(calls) >= 12
        assert len(rig.fake.connections) <= threads < len(calls)
