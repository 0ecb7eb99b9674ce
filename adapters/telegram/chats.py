"""The chats' side of the Telegram adapter: one worker hop to the chat API per update, the
keyboard last drawn in each chat, and sending a `Reply` there.

What the message handlers (handlers.py) and Telegram's own ways in (native.py) share. The
synchronous chat API runs on the chat's warm worker thread (`plumbing.ChatWorkers`: same
chat, same thread, in order), so the event loop never blocks for long; everything one update
needs from the chat layer is done in that one hop (taps.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from cachetools import LRUCache
from telegram import ReplyKeyboardRemove

from adapters.telegram import render
from adapters.telegram.plumbing import WORKERS, ChatWorkers
from adapters.telegram.taps import Shown
from bot.chat import Chat
from bot.protocol import Reply, Who

log = logging.getLogger(__name__)

CACHE_SIZE = 20_000


class Chats:
    def __init__(self, chat: Chat, workers: int = WORKERS) -> None:
        self.chat = chat
        self.workers = ChatWorkers(workers)
        # chat id -> the keyboard last sent there; a miss (restart) is read again from the
        # conversation's current question, so a restart never breaks a keyboard in use
        self.keyboards: LRUCache[int, Shown] = LRUCache(maxsize=CACHE_SIZE)

    async def run(self, chat_id: int | str, fn: Callable[..., Any], *args: Any,
                  **kwargs: Any) -> Any:
        """The update's one hop to its chat's worker thread."""
        return await self.workers.run(chat_id, fn, *args, **kwargs)

    def close(self) -> None:
        self.workers.close()

    async def send(self, bot: Any, chat_id: int, who: Who, reply: Reply) -> None:
        """The answer to one action: its notices beside the keyboard already up, then
        usually one message carrying the next keyboard."""
        for notice in reply.notices:
            await self.say(bot, chat_id, who, notice)
        prompts = reply.prompts
        if prompts and all(p.retry for p in prompts):  # nothing saved: the question stands
            for text in render.pack([t for p in prompts for t in render.info_text(p)]):
                await self.say(bot, chat_id, who, text)
            return
        if prompts:
            await self.show(bot, chat_id, render.reply(prompts), who)

    async def show(self, bot: Any, chat_id: int, out: render.Outgoing,
                   who: Who | None = None) -> None:
        """Send the messages; one holding a submit confirmation is remembered as being
        about its case, so the customer's reply to it reaches the case."""
        for index, text in enumerate(out.texts):
            sent = await bot.send_message(chat_id, text, reply_markup=out.markup(index))
            number = out.cases.get(index)
            if number is not None and who is not None:
                await self.run(chat_id, self.chat.remember, who, number, str(sent.message_id))
        self.keyboards[chat_id] = Shown(out.prompt, out.page, out.keyboard)

    async def say(self, bot: Any, chat_id: int, who: Who, text: str) -> None:
        """A note about the last action (a refused file) with the keyboard already up; after
        a restart, the current question's (read without writing)."""
        shown = self.keyboards.get(chat_id)
        if shown is None:
            view = await self.run(chat_id, self.chat.view, who)
            shown = Shown.of(view.question, view.language)
        markup = shown.keyboard.markup if shown is not None else ReplyKeyboardRemove()
        await bot.send_message(chat_id, text, reply_markup=markup)
