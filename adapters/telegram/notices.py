"""Operator updates to Telegram chats, through the chat layer's claim-and-ack API.

A notice about a case is its text (split when long), its command buttons (Solved / Still
broken, the survey's 1–5) as inline buttons under the last part, and the operator's files as
documents. The ack names every message sent, so the customer's reply to any of them reaches
the case (bot/chat.py `ack_notice`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from telegram.error import BadRequest, Forbidden, TelegramError

from adapters.telegram import keyboards, render
from bot.chat import Chat
from bot.protocol import Notice, Outcome

log = logging.getLogger(__name__)

CHANNEL = "telegram"
StoredFile = Callable[[str], AbstractContextManager[Path]]
WAIT_STEP = 1.0  # seconds


async def send_notice(bot: Any, notice: Notice, sent: list[str] | None = None, *,
                      stored_file: StoredFile | None = None) -> Outcome:
    """Send one notice; the ids of the messages sent are added to `sent` (also when a later
    part fails: those were seen). `stored_file`: a notice file's bytes as a local file, by
    sha256 (`Chat.stored_file`; without it, the file's `path`)."""
    sent = [] if sent is None else sent
    try:
        chat_id = int(notice.chat_ref or notice.external_id)
        parts = render.chunks(notice.text)
        buttons = keyboards.inline(notice.buttons)
        for n, chunk in enumerate(parts):
            markup = buttons if n == len(parts) - 1 else None
            message = await bot.send_message(chat_id, chunk, reply_markup=markup)
            sent.append(str(message.message_id))
        for file in notice.files:
            with (stored_file(file.sha256) if stored_file is not None
                  else contextlib.nullcontext(Path(file.path))) as path:
                message = await bot.send_document(chat_id, path, filename=file.name)
            sent.append(str(message.message_id))
    except (Forbidden, BadRequest, ValueError, OSError) as exc:
        log.warning("case update not delivered: %s", type(exc).__name__)
        return Outcome.GIVE_UP
    except TelegramError as exc:
        log.warning("case update not delivered yet: %s", type(exc).__name__)
        return Outcome.RETRY
    return Outcome.SENT


async def deliver_notices(chat: Chat, bot: Any) -> int:
    sent = 0
    for notice in await asyncio.to_thread(chat.claim_notices, CHANNEL):
        refs: list[str] = []
        outcome = await send_notice(bot, notice, refs, stored_file=chat.stored_file)
        await asyncio.to_thread(chat.ack_notice, notice.id, outcome, refs)
        sent += outcome is Outcome.SENT
    return sent


class NoticeSender:
    """The notice loop on a thread of its own, with its own event loop and Bot.

    On the application's event loop, every step of a delivery (the wake-up, the claim, the
    send, the ack) waits its turn behind every user's update: with 100 users stepping through
    requests at once an operator's reply took seconds to leave (bench/conversation.py). Here
    nothing else runs on the loop, so a reply leaves as soon as the store wakes it.
    """

    def __init__(self, chat: Chat, make_bot: Callable[[], Any],
                 interval: float | None = None) -> None:
        self.chat = chat
        self.make_bot = make_bot
        self.interval = interval
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="telegram-notices", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Finish the notice in hand, then stop (within one wait step)."""
        self.stopping.set()
        self.thread.join(WAIT_STEP * 2 + 30)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        async with self.make_bot() as bot:
            while not self.stopping.is_set():
                try:
                    await deliver_notices(self.chat, bot)
                except Exception:  # the loop must outlive a store outage
                    log.exception("delivering case updates failed")
                self._pause()

    def _pause(self) -> None:
        """Until woken, the interval passed or stopping; blocking is fine on this loop."""
        interval = self.chat.notice_interval if self.interval is None else self.interval
        deadline = time.monotonic() + interval
        while not self.stopping.is_set():
            left = min(WAIT_STEP, deadline - time.monotonic())
            if left <= 0 or self.chat.wait_for_notices(left):
                return
