"""Case updates to Telegram chats from `casebot worker` (PostgreSQL jobs, bot/chat_jobs.py).

The worker runs each job in a thread of its own; python-telegram-bot's `Bot` is asynchronous
and its HTTP client belongs to one event loop. So the worker's Telegram side is one `ExtBot`
on one event loop in a thread of its own, and a job hands it a notice and waits for the
outcome. The Bot's rate limiter is the budget every casebot process shares (ratelimit.py), so
workers and webhook receivers together stay under Telegram's limits. Sending one notice is
adapters/telegram/notices.py's `send_notice`, as the chat process's own loop does on SQLite.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future
from typing import Any

from telegram.ext import ExtBot

from adapters.telegram.app import notice_bot
from adapters.telegram.notices import send_notice
from bot.chat import Chat
from bot.protocol import Notice, Outcome, Settings

SEND_TIMEOUT = 300.0  # seconds a job waits for one notice (rate waits and 429s included)


class TelegramOutbound:
    """One Bot on its own event loop; `post_notice` from any thread. Started on first use."""

    def __init__(self, settings: Settings, chat: Chat) -> None:
        self.chat = chat
        self.bot: ExtBot[Any] = notice_bot(settings, chat)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self.lock:
            if self.loop is None:
                loop = asyncio.new_event_loop()
                self.thread = threading.Thread(target=loop.run_forever,
                                               name="telegram-outbound", daemon=True)
                self.thread.start()
                try:
                    asyncio.run_coroutine_threadsafe(self.bot.initialize(), loop).result(60)
                except BaseException:  # Telegram unreachable: the job is retried later
                    loop.call_soon_threadsafe(loop.stop)
                    raise
                self.loop = loop
            return self.loop

    def _run(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self._running_loop())
        return future.result(SEND_TIMEOUT)

    def post_notice(self, notice: Notice) -> tuple[Outcome, list[str]]:
        """Send one notice; the outcome and the ids of the messages sent (also those sent
        before a later part failed: they were seen)."""
        sent: list[str] = []
        outcome = self._run(send_notice(self.bot, notice, sent,
                                        stored_file=self.chat.stored_file))
        return outcome, sent

    def close(self) -> None:
        """Close the Bot's connections and stop its loop."""
        with self.lock:
            loop, self.loop = self.loop, None
        if loop is None:
            return
        asyncio.run_coroutine_threadsafe(self.bot.shutdown(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        if self.thread is not None:
            self.thread.join(10)
        loop.close()
