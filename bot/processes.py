"""Composition root of casebot's processes: each chat and the web console, put together.

The only module of bot/ that imports adapters/ and web/ (tests/unit/test_layers.py): the CLI
asks it for what to run, so the core never depends on a chat platform or on the web console.
Each process imports its own adapter when it starts, so `casebot chat` loads no Slack or
Telegram SDK and `casebot cases list` loads none at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.app import build_engine, build_service
from bot.background import start_background
from bot.chat import Chat
from bot.protocol import Who
from bot.service import Service
from bot.settings import Settings
from flows.understand.categories import warm_up

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from adapters.slack.app import SlackBot
    from adapters.telegram.app import TelegramApp
    from adapters.telegram.handlers import TelegramBot


def run_console_chat(settings: Settings, who: Who, describe: str | None) -> int:
    """`casebot chat`: the conversation in this terminal; returns the exit code."""
    from adapters.console.app import ConsoleChat

    threading.Thread(target=warm_up, name="casebot-warm-up", daemon=True).start()
    return ConsoleChat(Chat(build_service(settings)), who, describe=describe).run()


def run_slack(settings: Settings, *, socket: bool, port: int) -> int:
    """`casebot slack`: the Slack app with mail delivery and housekeeping beside it."""
    from adapters.slack.main import run

    return _with_background(settings, lambda: run(settings, build_slack_bot, socket=socket,
                                                  port=port))


def run_telegram(settings: Settings, *, webhook_url: str | None, port: int) -> int:
    """`casebot telegram`: the Telegram bot with mail delivery and housekeeping beside it."""
    from adapters.telegram.app import run

    return _with_background(settings, lambda: run(settings, build_telegram,
                                                  webhook_url=webhook_url, port=port))


def build_slack_bot(settings: Settings, service: Service | None = None, *,
                    listener_executor: Any = None) -> SlackBot:
    """The Slack app over a `Chat`; with SLACK_CLIENT_ID/SECRET its OAuth stores live in
    casebot's database, built here so the adapter never sees the engine."""
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    from adapters.slack.app import SlackBot

    service = service or build_service(settings)
    chat = Chat(service, trusted_teams=settings.allowed_teams, start_after_link=True,
                lists_cases=True)
    if not (settings.slack_client_id and settings.slack_client_secret):
        return SlackBot(settings, chat, listener_executor=listener_executor)
    installs = SQLAlchemyInstallationStore(client_id=settings.slack_client_id,
                                           engine=service.engine)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=service.engine)
    # no-ops after `casebot db upgrade` (migration 0003)
    installs.create_tables()
    states.create_tables()
    return SlackBot(settings, chat, installation_store=installs, state_store=states,
                    listener_executor=listener_executor)


def build_telegram(settings: Settings, service: Service | None = None,
                   workers: int | None = None) -> tuple[TelegramApp, TelegramBot]:
    """The Telegram application over a `Chat` (TELEGRAM_BOT_TOKEN must be set)."""
    from adapters.telegram.app import build_application

    return build_application(settings, Chat(service or build_service(settings)), workers)


def web_console(settings: Settings) -> Starlette:
    """`casebot web`: the operator console as an ASGI application, for a server to run."""
    from web.app import build_web_app

    return build_web_app(settings, build_service(settings))


def _with_background(settings: Settings, serve: Callable[[], int]) -> int:
    """Run a chat adapter with mail delivery and housekeeping beside it."""
    build_engine(settings).dispose()  # migrate an embedded SQLite database before threads start
    warm_up()  # the matcher's index, built before the first message rather than on it
    stop = start_background(settings)
    try:
        return serve()
    finally:
        stop()
