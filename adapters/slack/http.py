"""Slack over HTTP: Bolt's own WSGI adapter served by casebot's waitress server (adapters/http.py,
see docs/decisions.md).

Slack's payloads are a few KB: bodies over `BODY_MAX` get 413 before they are read. The other
limits (request deadline, connections per client, bounded threads) are the shared server's.
`/healthz` (the process runs) and `/readyz` (its database answers and its schema is at head:
`SlackBot.ready`) answer load balancers; everything else is Bolt's (`/slack/events`, and the
OAuth install and redirect pages when OAuth is configured). Bolt checks every request's
signature itself, on the body, so there is no header check before it.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from adapters.http import HttpServer, Ready, Wsgi, with_health

BODY_MAX = 512 * 1024


def wsgi_app(app: App, path: str = "/slack/events", ready: Ready | None = None) -> Wsgi:
    return with_health(SlackRequestHandler(app, path), ready)


def serve(bot: Any, host: str = "0.0.0.0", port: int = 3000,
          path: str = "/slack/events") -> HttpServer:
    """An HTTP server for `bot.app` (call `serve_forever`, then `shutdown`, `server_close`)."""
    return HttpServer(wsgi_app(bot.app, path, getattr(bot, "ready", None)), host, port,
                      body_max=BODY_MAX)
