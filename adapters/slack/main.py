"""`casebot slack`: check the configuration, then serve over HTTP or Socket Mode.

SIGTERM (what a service manager or an orchestrator sends) stops it as Ctrl-C does: the
server stops taking requests, the notice round in hand is finished, and the process exits 0.
Socket Mode serves no HTTP: with CASEBOT_HEALTH_PORT its `/healthz` and `/readyz` get a port
of their own (ready: the database answers and the Socket Mode connection is up).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

from slack_sdk.errors import SlackApiError

from adapters.http import HealthServer
from adapters.slack.app import SlackBot
from adapters.slack.http import serve
from bot.protocol import Settings


def _config_error(settings: Settings, socket: bool) -> str | None:
    oauth = bool(settings.slack_client_id and settings.slack_client_secret)
    if not oauth and not settings.slack_bot_token:
        return ("Set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET (installs through OAuth).")
    if not settings.slack_signing_secret and not socket:
        return "Set SLACK_SIGNING_SECRET (Basic Information > App Credentials)."
    if socket and not settings.slack_app_token:
        return ("Socket Mode needs SLACK_APP_TOKEN (an xapp- token with connections:write, "
                "Basic Information > App-Level Tokens).")
    if socket and oauth:
        return "Socket Mode works with SLACK_BOT_TOKEN only; unset SLACK_CLIENT_ID/SECRET."
    if oauth and settings.staff_slack_channel and not settings.staff_slack_team:
        return ("CASEBOT_STAFF_SLACK_CHANNEL needs CASEBOT_STAFF_SLACK_TEAM with OAuth installs: "
                "set it to the id (T…) of the workspace that channel is in.")
    return None


def run(settings: Settings, build: Callable[[Settings], SlackBot], socket: bool = False,
        port: int = 3000) -> int:
    """`casebot slack`: serve until interrupted. Returns the process exit code. `build`: the
    composition root's (bot/processes.py), called once the configuration is known to be whole."""
    problem = _config_error(settings, socket)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    try:
        bot = build(settings)
    except SlackApiError as exc:
        print(f"Slack refused the credentials: {exc.response.get('error')}", file=sys.stderr)
        return 1
    if not bot.chat.sends_by_jobs:  # PostgreSQL: `casebot worker` posts them (jobs)
        bot.start_notices()
    main = threading.current_thread() is threading.main_thread()  # (signals go there only)
    previous = signal.signal(signal.SIGTERM, _interrupt) if main else None  # as Ctrl-C does
    try:
        if socket:
            return _socket_mode(bot, settings)
        server = serve(bot, "0.0.0.0", port)
        print(f"casebot Slack app listening on http://0.0.0.0:{port}/slack/events",
              file=sys.stderr)
        try:
            server.serve_forever(0.2)
        finally:
            server.server_close()
    except KeyboardInterrupt:
        pass
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
        bot.stop()
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _socket_mode(bot: SlackBot, settings: Settings) -> int:
    """Connect over Socket Mode and serve until interrupted."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(bot.app, settings.slack_app_token)

    def ready() -> str | None:
        if not handler.client.is_connected():
            return "the Socket Mode connection to Slack is not up"
        return bot.ready()

    health = (HealthServer(ready, settings.health_port) if settings.health_port is not None
              else None)
    try:
        handler.connect()
        threading.Event().wait()  # until Ctrl-C or SIGTERM (KeyboardInterrupt)
    except SlackApiError as exc:
        print(f"Slack refused SLACK_APP_TOKEN: {exc.response.get('error')}. Use the "
              "app-level token (xapp-…) with the connections:write scope.", file=sys.stderr)
        return 1
    finally:
        if health is not None:
            health.stop()
        handler.close()
    return 0  # (not reached: the wait ends by KeyboardInterrupt)
