"""PTB's rate limiter (its public extension point, `telegram.ext.BaseRateLimiter`) over the
budget every casebot process shares (`Chat.pace`, store/budget.py).

PTB's own `AIORateLimiter` counts the sends of one process: two Telegram processes (webhook
receivers behind a load balancer, each with its notice sender) would together send twice
Telegram's limit. Here each request that names a chat reserves a slot in the bot's bucket
(Telegram: about 30 messages a second per bot) and in its chat's (20 a minute in a group; a
private chat about one a second, short bursts allowed), and waits for it; requests that name
no chat (getUpdates, getFile, answering a button press or an inline query) are not counted,
as in `AIORateLimiter`. A 429 that gets through anyway is retried after the `retry_after`
Telegram asks for, at most `max_retries` times.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

from bot.chat import Chat
from bot.protocol import Bucket, Settings

log = logging.getLogger(__name__)

Result = bool | dict[str, Any] | list[dict[str, Any]]


def bot_id_of(token: str) -> str:
    """The bot's id: the part of its token before ':' (what the buckets are named by; the
    token itself never is)."""
    return token.split(":", 1)[0]


class SharedRateLimiter(BaseRateLimiter[int]):
    """Waits for the shared budget's slot before each chat request (`pace` answers how many
    seconds; it runs off the event loop, as it may ask the database)."""

    def __init__(self, pace: Callable[[list[Bucket]], float], settings: Settings,
                 bot_id: str, max_retries: int = 0) -> None:
        self.pace = pace
        self.bot_id = bot_id
        self.max_retries = max_retries
        self.per_second = settings.telegram_per_second
        self.group_per_second = settings.telegram_group_per_minute / 60
        self.chat_per_second = settings.telegram_chat_per_second
        self.chat_burst = settings.telegram_chat_burst

    @classmethod
    def over(cls, chat: Chat, settings: Settings, token: str,
             max_retries: int = 0) -> SharedRateLimiter:
        return cls(chat.pace, settings, bot_id_of(token), max_retries)

    async def initialize(self) -> None:
        """Nothing to set up: the budget is the chat layer's."""

    async def shutdown(self) -> None:
        """Nothing to free."""

    def buckets(self, data: dict[str, Any]) -> list[Bucket]:
        """The limits a request counts against: none without a chat; else the bot's and
        its chat's (a group's or channel's: negative ids and @usernames)."""
        chat_id = data.get("chat_id")
        if chat_id is None:
            return []
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)
        prefix = f"telegram:{self.bot_id}"
        buckets = [Bucket(f"{prefix}:bot", self.per_second)]
        if isinstance(chat_id, int) and chat_id > 0:
            buckets.append(Bucket(f"{prefix}:chat:{chat_id}", self.chat_per_second,
                                  self.chat_burst))
        else:
            buckets.append(Bucket(f"{prefix}:group:{chat_id}", self.group_per_second))
        return buckets

    async def process_request(
        self, callback: Callable[..., Coroutine[Any, Any, Result]], args: Any,
        kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        buckets = self.buckets(data)
        tries = (rate_limit_args or self.max_retries) + 1
        for attempt in range(tries):
            if buckets:
                wait = await asyncio.to_thread(self.pace, buckets)
                if wait > 0:
                    await asyncio.sleep(wait)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == tries - 1:
                    raise
                with warnings.catch_warnings():  # an int now, a timedelta in PTB 23
                    warnings.simplefilter("ignore", PTBDeprecationWarning)
                    delay = exc.retry_after
                seconds = delay if isinstance(delay, int | float) else delay.total_seconds()
                log.info("Telegram asked to wait %.1f s before %s", seconds, endpoint)
                await asyncio.sleep(seconds + 0.1)
        raise AssertionError("unreachable")  # the last try returned or raised
