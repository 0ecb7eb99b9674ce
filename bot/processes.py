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
from bot.chat_jobs import Outbound, PostNotice
from bot.protocol import Who
from bot.service import Service
from bot.settings import Settings
from flows.understand.categories import warm_up

if TYPE_CHECKING:
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from sqlalchemy.engine import Engine
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
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    from adapters.slack.app import SlackBot

    service = service or build_service(settings)
    chat = Chat(service, trusted_teams=settings.allowed_teams, start_after_link=True,
                lists_cases=True)
    installs = _slack_installs(settings, service.engine)
    if installs is None:
        return SlackBot(settings, chat, listener_executor=listener_executor)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=service.engine)
    states.create_tables()  # a no-op after `casebot db upgrade` (migration 0003)
    return SlackBot(settings, chat, installation_store=installs, state_store=states,
                    listener_executor=listener_executor)


def _slack_installs(settings: Settings, engine: Engine) -> SQLAlchemyInstallationStore | None:
    """With SLACK_CLIENT_ID/SECRET, the OAuth installs in casebot's database; else None."""
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    if not (settings.slack_client_id and settings.slack_client_secret):
        return None
    installs = SQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine)
    installs.create_tables()  # a no-op after `casebot db upgrade` (migration 0003)
    return installs


def build_telegram(settings: Settings, service: Service | None = None,
                   workers: int | None = None) -> tuple[TelegramApp, TelegramBot]:
    """The Telegram application over a `Chat` (TELEGRAM_BOT_TOKEN must be set)."""
    from adapters.telegram.app import build_application

    return build_application(settings, Chat(service or build_service(settings)), workers)


def run_worker(settings: Settings, engine: Engine, *, concurrency: int | None = None) -> None:
    """`casebot worker` (PostgreSQL): the jobs, with the Slack and Telegram clients chat jobs
    post with (those whose credentials are set), until SIGTERM or Ctrl-C."""
    from bot.job_tasks import run_worker as run_jobs

    outbound = worker_outbound(settings, build_service(settings, engine))
    try:
        run_jobs(settings, engine, concurrency=concurrency, outbound=outbound)
    finally:
        outbound.close()


def worker_outbound(settings: Settings, service: Service) -> Outbound:
    """The platform clients of a worker: Slack (the bot token, or the OAuth installs) when
    its credentials are set, Telegram when TELEGRAM_BOT_TOKEN is; each paced by the rate
    budget every process shares."""
    chat = Chat(service)
    out = Outbound(notices={})
    posts: dict[str, PostNotice] = {}
    if settings.slack_bot_token or (settings.slack_client_id and settings.slack_client_secret):
        from adapters.slack.outbound import SlackOutbound

        slack = SlackOutbound.standalone(settings, chat,
                                         _slack_installs(settings, service.engine))
        posts["slack"] = slack.post_notice
        out.alert, out.home = slack.send_alert, slack.publish_home
    if settings.telegram_bot_token:
        from adapters.telegram.outbound import TelegramOutbound

        telegram = TelegramOutbound(settings, chat)
        posts["telegram"] = telegram.post_notice
        out.closers.append(telegram.close)
    out.notices = posts
    return out


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
