"""Operator updates to Telegram chats, through the chat layer's claim-and-ack API.

A notice about a case is its text (split when long), its command buttons (Solved / Still
broken, the survey's 1–5) as inline buttons under the last part, and the operator's files as
documents. The ack names every message sent, so the customer's reply to any of them reaches
the case (bot/chat.py `ack_notice`).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from telegram.error import BadRequest, Forbidden, TelegramError

from adapters.telegram import keyboards, render
from bot.chat import Chat
from bot.protocol import Notice, Outcome

log = logging.getLogger(__name__)

CHANNEL = "telegram"
WAIT_STEP = 1.0  # seconds


async def send_notice(bot: Any, notice: Notice, sent: list[str] | None = None) -> Outcome:
    """Send one notice; the ids of the messages sent are added to `sent` (also when a later
    part fails: those were seen)."""
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
            message = await bot.send_document(chat_id, Path(file.path), filename=file.name)
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
        outcome = await send_notice(bot, notice, refs)
        await asyncio.to_thread(chat.ack_notice, notice.id, outcome, refs)
        sent += outcome is Outcome.SENT
    return sent


async def notices_loop(chat: Chat, bot: Any, interval: float | None = None) -> None:
    """Deliver, then wait until a notice may be waiting (`Chat.wait_for_notices`: woken at
    once on PostgreSQL, a poll on SQLite; `interval` at most, None: the chat layer's)."""
    while True:
        try:
            await deliver_notices(chat, bot)
        except asyncio.CancelledError:
            raise
        except Exception:  # the loop must outlive a store outage
            log.exception("delivering case updates failed")
        await pause(chat, interval)


async def pause(chat: Chat, interval: float | None) -> None:
    """Until woken or `interval` passed, waiting on a worker thread in steps of at most
    `WAIT_STEP` (a thread cannot be cancelled: a stopping bot waits one step at most)."""
    loop = asyncio.get_running_loop()
    deadline = None if interval is None else loop.time() + interval
    while True:
        step = None if deadline is None else min(WAIT_STEP, max(0.0, deadline - loop.time()))
        woken = await asyncio.to_thread(chat.wait_for_notices, step)
        if woken or deadline is None or loop.time() >= deadline:
            return
