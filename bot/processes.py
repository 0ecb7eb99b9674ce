"""Composition root of casebot's processes: each chat and the web console, put together.

The only module of bot/ that imports adapters/ and web/ (tests/unit/test_layers.py): the CLI
asks it for what to run, so the core never depends on a chat platform or on the web console.
Each process imports its own adapter when it starts, so `casebot chat` loads no Slack or
Telegram SDK and `casebot cases list` loads none at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.app import build_engine, build_service
from bot.background import start_background
from bot.service import Who
from bot.settings import Settings

if TYPE_CHECKING:
    from starlette.applications import Starlette


def run_console_chat(settings: Settings, who: Who, describe: str | None) -> int:
    """`casebot chat`: the conversation in this terminal; returns the exit code."""
    from adapters.console.app import ConsoleChat

    service = build_service(settings)
    return ConsoleChat(service, who, describe=describe).run()


def run_slack(settings: Settings, *, socket: bool, port: int) -> int:
    """`casebot slack`: the Slack app with mail delivery and housekeeping beside it."""
    from adapters.slack.main import run

    return _with_background(settings, lambda: run(settings, socket=socket, port=port))


def run_telegram(settings: Settings, *, webhook_url: str | None, port: int) -> int:
    """`casebot telegram`: the Telegram bot with mail delivery and housekeeping beside it."""
    from adapters.telegram.app import run

    return _with_background(settings, lambda: run(settings, webhook_url=webhook_url, port=port))


def web_console(settings: Settings) -> Starlette:
    """`casebot web`: the operator console as an ASGI application, for a server to run."""
    from web.app import build_web_app

    return build_web_app(settings, build_service(settings))


def _with_background(settings: Settings, serve: Callable[[], int]) -> int:
    """Run a chat adapter with mail delivery and housekeeping beside it."""
    build_engine(settings).dispose()  # migrate an embedded SQLite database before threads start
    stop = start_background(settings)
    try:
        return serve()
    finally:
        stop()
