"""Operator updates to Telegram chats, through the chat layer's claim-and-ack API."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import BadRequest, Forbidden, TelegramError

from adapters.telegram import render
from bot.chat import Chat
from bot.protocol import Notice, Outcome

log = logging.getLogger(__name__)

CHANNEL = "telegram"


async def send_notice(bot: Any, notice: Notice) -> Outcome:
    try:
        for chunk in render.chunks(notice.text):
            await bot.send_message(int(notice.chat_ref or notice.external_id), chunk)
    except (Forbidden, BadRequest, ValueError) as exc:
        log.warning("case update not delivered: %s", type(exc).__name__)
        return Outcome.GIVE_UP
    except TelegramError as exc:
        log.warning("case update not delivered yet: %s", type(exc).__name__)
        return Outcome.RETRY
    return Outcome.SENT


async def deliver_notices(chat: Chat, bot: Any) -> int:
    sent = 0
    for notice in await asyncio.to_thread(chat.claim_notices, CHANNEL):
        outcome = await send_notice(bot, notice)
        await asyncio.to_thread(chat.ack_notice, notice.id, outcome)
        sent += outcome is Outcome.SENT
    return sent


async def notices_loop(chat: Chat, bot: Any, interval: float) -> None:
    while True:
        try:
            await deliver_notices(chat, bot)
        except asyncio.CancelledError:
            raise
        except Exception:  # the loop must outlive a store outage
            log.exception("delivering case updates failed")
        await asyncio.sleep(interval)
