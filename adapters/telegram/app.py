"""`casebot telegram`: the python-telegram-bot v22 Application (handlers in handlers.py).

Long polling by default; with a webhook URL, casebot's own webhook server (webhook.py, PTB's
custom-webhook pattern) checks the `X-Telegram-Bot-Api-Secret-Token` header against
TELEGRAM_WEBHOOK_SECRET before it reads a request's body, and queues each update on the
Application's `update_queue` (PTB's Updater is used only for polling).

Updates run concurrently across chats and strictly in order within one chat (`PerChatProcessor`).
Link previews are off for every message, so a URL never unfurls. Every update is handled once
(`delivery_id="tg:<update_id>"`, recorded in the database by the chat layer). Every Bot API
call that names a chat waits for its slot in the rate budget all casebot processes share
(ratelimit.py); one that gets 429 anyway is retried after the `retry_after` Telegram asks for.

Telegram gives a bot's updates to one poller: in polling mode this process first becomes the
one poller of its bot among all processes on the database (`Chat.hold_poller`), or exits with
code 2 saying who polls already. Several processes use the webhook. `/healthz` and `/readyz`
are served by the webhook server, and in polling mode on CASEBOT_HEALTH_PORT when it is set.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, MenuButtonCommands, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    Defaults,
    ExtBot,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from adapters.http import HealthServer
from adapters.telegram.handlers import TelegramBot
from adapters.telegram.notices import NoticeSender
from adapters.telegram.plumbing import WORKERS
from adapters.telegram.ratelimit import SharedRateLimiter
from adapters.telegram.webhook import Webhook
from bot.chat import Chat
from bot.protocol import LANGUAGES, N_, Settings, _, choose, say

log = logging.getLogger(__name__)

COMMANDS = [
    ("start", N_("start or show where you are")),
    ("newcase", N_("open a support case (as a reply: described by that message)")),
    ("cases", N_("list your cases")),
    ("case", N_("show one case: /case NUMBER")),
    ("profiles", N_("manage product profiles")),
    ("checkurl", N_("check URL ratings: /checkurl URL…")),
    ("cancel", N_("discard the current request")),
    ("back", N_("go to the previous question")),
    ("language", N_("choose the language: /language ja or /language en")),
    ("help", N_("show the commands")),
]


def commands_in(language: str) -> list[BotCommand]:
    """The command menu in `language` (Telegram shows each user the one of their
    language_code, else the default: English)."""
    return [BotCommand(name, say(_(about), language)) for name, about in COMMANDS]
SEND_TRIES = 5
UPDATES = ["message", "callback_query", "inline_query"]
TelegramApp = Application[Any, Any, Any, Any, Any, Any]  # PTB's defaults throughout


class PerChatProcessor(BaseUpdateProcessor):
    """Concurrent across chats, in arrival order within a chat (asyncio locks are FIFO)."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock, users = self._locks.get(chat.id) or (asyncio.Lock(), 0)
        self._locks[chat.id] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[chat.id]
            if users <= 1:
                del self._locks[chat.id]
            else:
                self._locks[chat.id] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def bot_urls(settings: Settings) -> tuple[str, str]:
    """(base_url, base_file_url) for PTB from TELEGRAM_API_URL / TELEGRAM_FILE_URL.

    The settings hold the server root (default https://api.telegram.org); values that already
    end in /bot (/file/bot) or contain {token} are used as they are.
    """
    api = (settings.telegram_api_url or "https://api.telegram.org").rstrip("/")
    files = (settings.telegram_file_url or api).rstrip("/")
    base = api if ("{token}" in api or api.endswith("/bot")) else api + "/bot"
    if "{token}" in files or files.endswith("/file/bot"):
        file_base = files
    else:
        file_base = files.removesuffix("/bot") + "/file/bot"
    return base, file_base


def notice_bot(settings: Settings, chat: Chat) -> ExtBot[Any]:
    """A Bot beside the Application for what casebot sends unasked (the notice thread; on
    PostgreSQL the worker's jobs, outbound.py): the same API and defaults, paced by the budget
    every process shares."""
    token = settings.telegram_bot_token
    if not token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set.")
    base, file_base = bot_urls(settings)
    return ExtBot(token, base_url=base, base_file_url=file_base,
                  defaults=Defaults(link_preview_options=LinkPreviewOptions(is_disabled=True)),
                  rate_limiter=SharedRateLimiter.over(chat, settings, token, SEND_TRIES))


def build_application(settings: Settings, chat: Chat,
                      workers: int | None = None) -> tuple[TelegramApp, TelegramBot]:
    """The PTB application over `chat` (the composition root, bot/processes.py, builds both)."""
    token = settings.telegram_bot_token
    if not token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set.")
    base, file_base = bot_urls(settings)
    quiet = Defaults(link_preview_options=LinkPreviewOptions(is_disabled=True))
    # Telegram's limits hold per bot and per chat across every process: one shared budget
    limiter = SharedRateLimiter.over(chat, settings, token, SEND_TRIES)
    tg = TelegramBot(chat, WORKERS if workers is None else workers)
    # the notice thread's own Bot: the same API, on the notice thread's own event loop
    tg.make_notice_bot = lambda: notice_bot(settings, chat)
    app = (Application.builder().token(token).base_url(base).base_file_url(file_base)
           .defaults(quiet).rate_limiter(limiter).concurrent_updates(PerChatProcessor())
           .build())
    chat.fetch_files = tg.native.fetch_files  # a message's files, once its person links here
    app.add_handler(CallbackQueryHandler(tg.on_callback))
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE, tg.on_message))
    app.add_handler(InlineQueryHandler(tg.native.on_inline))
    app.add_error_handler(tg.on_error)
    return app, tg


async def serve_app(app: TelegramApp, tg: TelegramBot | None, settings: Settings, *,
                    stop: asyncio.Event, webhook_url: str | None = None, port: int = 8443,
                    listen: str = "0.0.0.0", poll_timeout: int = 10,
                    notice_interval: float | None = None) -> None:
    """Run until `stop` is set: commands registered, polling or webhook, notices delivered."""
    if webhook_url and not settings.telegram_webhook_secret:
        raise ValueError("Webhook mode needs TELEGRAM_WEBHOOK_SECRET (letters, digits, _ and -).")
    loop, lost = asyncio.get_running_loop(), threading.Event()

    def on_lost() -> None:  # the database dropped the lock: stop before another poller starts
        lost.set()
        loop.call_soon_threadsafe(stop.set)

    async with app:
        # the one poller of this bot, or exit (AnotherPoller) before touching anything
        release = (None if webhook_url or tg is None else
                   await asyncio.to_thread(tg.chat.hold_poller, app.bot.id,
                                           app.bot.username or str(app.bot.id), on_lost))
        health = None
        try:
            health = _health_server(app, tg, settings, polling=not webhook_url)
            await _serve(app, tg, settings, stop=stop, webhook_url=webhook_url, port=port,
                         listen=listen, poll_timeout=poll_timeout,
                         notice_interval=notice_interval, ready=_readiness(app, tg))
        finally:
            if health is not None:
                await asyncio.to_thread(health.stop)
            if release is not None:
                release()
    if lost.is_set():
        raise PollerLost("Stopped polling: the database dropped the connection holding this "
                         "bot's poller lock, so another poller may start. Start casebot "
                         "telegram again (a service manager's restart does).")


class PollerLost(RuntimeError):
    """The poller's lock went with its database connection: this process stopped polling."""


def _readiness(app: TelegramApp, tg: TelegramBot | None) -> Callable[[], str | None]:
    """`/readyz`: the application runs (updates are handled) and the chat layer is ready."""
    def ready() -> str | None:
        if not app.running:
            return "the Telegram application has not started yet"
        return tg.chat.ready() if tg is not None else None
    return ready


def _health_server(app: TelegramApp, tg: TelegramBot | None, settings: Settings, *,
                   polling: bool) -> HealthServer | None:
    """Polling serves no HTTP: the probes get a port of their own when one is configured."""
    port = settings.health_port
    return HealthServer(_readiness(app, tg), port) if polling and port is not None else None


async def _serve(app: TelegramApp, tg: TelegramBot | None, settings: Settings, *,
                 stop: asyncio.Event, webhook_url: str | None, port: int, listen: str,
                 poll_timeout: int, notice_interval: float | None,
                 ready: Callable[[], str | None]) -> None:
    """Updates handled and notices sent until `stop` is set; then the notice in hand is
    finished, updates stop arriving and the application stops."""
    if tg is not None:  # before any update: what a person linking here downloads with
        tg.native.serve_files(app.bot, asyncio.get_running_loop())
    # issue 27: the menu in each language casebot speaks; a client in any other language gets
    # the deployment's default language (CASEBOT_DEFAULT_LANGUAGE)
    default = choose(None, None, None, settings.default_language)
    await app.bot.set_my_commands(commands_in(default))
    for language in LANGUAGES:
        if language != default:
            await app.bot.set_my_commands(commands_in(language), language_code=language)
    # the menu button beside the message box lists those commands
    await app.bot.set_chat_menu_button(menu_button=MenuButtonCommands())
    hook = await _start_updates(app, settings, webhook_url, listen=listen, port=port,
                                poll_timeout=poll_timeout, ready=ready)
    await app.start()
    sender = None
    if tg is not None:
        tg.username = app.bot.username or ""
    if tg is not None and not tg.chat.sends_by_jobs:  # PostgreSQL: `casebot worker` sends
        sender = NoticeSender(tg.chat, tg.make_notice_bot or (lambda: app.bot),
                              notice_interval)
        sender.start()
    try:
        await stop.wait()
    finally:
        if sender is not None:
            await asyncio.to_thread(sender.stop)
        if hook is not None:
            await hook.stop()
        elif app.updater is not None and app.updater.running:
            await app.updater.stop()
        await app.stop()
        if tg is not None:
            tg.native.stop_files()
            tg.close()


async def _start_updates(app: TelegramApp, settings: Settings, webhook_url: str | None, *,
                         listen: str, port: int, poll_timeout: int,
                         ready: Callable[[], str | None]) -> Webhook | None:
    """Updates start arriving: at casebot's webhook server (returned, to be stopped), or by
    PTB's Updater polling getUpdates."""
    if webhook_url:
        hook = Webhook(app.bot, app.update_queue, webhook_url,
                       settings.telegram_webhook_secret or "", listen=listen, port=port,
                       ready=ready)
        await hook.start(UPDATES)
        return hook
    assert app.updater is not None
    await app.updater.start_polling(timeout=poll_timeout, poll_interval=0,
                                    allowed_updates=UPDATES)
    return None


def run(settings: Settings, build: Callable[[Settings], tuple[TelegramApp, TelegramBot]],
        webhook_url: str | None = None, port: int = 8443) -> int:
    """`casebot telegram`: 0 after Ctrl-C/SIGTERM, 2 for bad configuration, 1 on failure.
    `build`: the composition root's (bot/processes.py)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry the token
    try:
        app, tg = build(settings)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve_app(app, tg, settings, stop=stop, webhook_url=webhook_url, port=port)

    try:
        asyncio.run(main())
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    except PollerLost as exc:
        print(exc, file=sys.stderr)
        return 1
    except InvalidToken:
        print("Telegram refused TELEGRAM_BOT_TOKEN; check it with @BotFather.", file=sys.stderr)
        return 2
    except TelegramError as exc:
        print(f"Telegram failed: {exc}", file=sys.stderr)
        return 1
    return 0
