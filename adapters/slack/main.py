"""`casebot slack`: check the configuration, then serve over HTTP or Socket Mode."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from slack_sdk.errors import SlackApiError

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
    bot.start_notices()
    try:
        if socket:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            handler = SocketModeHandler(bot.app, settings.slack_app_token)
            try:
                handler.start()
            except SlackApiError as exc:
                print(f"Slack refused SLACK_APP_TOKEN: {exc.response.get('error')}. Use the "
                      "app-level token (xapp-…) with the connections:write scope.",
                      file=sys.stderr)
                return 1
            finally:
                handler.close()
            return 0
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
        bot.stop()
    return 0
