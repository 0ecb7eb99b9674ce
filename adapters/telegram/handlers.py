"""Telegram handlers: parse the update, call the chat API, render, send. No database here.

The synchronous chat API runs on the chat's warm worker thread (same chat, same thread, in
order), so the event loop never blocks. Bot API calls that don't depend on each other go out
together. 429s are waited out by PTB's AIORateLimiter (app.py), not here."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cachetools import LRUCache
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from adapters.bounded import RecentSet
from adapters.telegram import render
from adapters.telegram.albums import Albums
from adapters.telegram.inbound import (
    TOO_BIG,
    Media,
    media_of,
    parse_press,
    text_inbound,
    too_big,
    unsupported_media,
    who_of,
)
from adapters.telegram.native import Native
from adapters.telegram.plumbing import together
from adapters.telegram.render import Signer, Target
from bot.chat import Chat
from bot.service import Who
from flows.errors import Invalid
from flows.model import Inbound, Prompt
from flows.steps import DONE

log = logging.getLogger(__name__)

CHANNEL = "telegram"
STALE = "That button is out of date."
UNSUPPORTED = ("I can read text messages, documents and photos. Send a file as a document "
               "(📎 → File).")
CACHE_SIZE = 20_000
WORKERS = 4
CHECK_AGAIN = ("I no longer have the URLs of that check (I may have restarted since). Send "
               "/checkurl URL… again and press Request reclassification on the new answer.")


class TelegramBot:
    """Handlers and a little per-process state (a bounded render cache, album timers)."""

    def __init__(self, chat: Chat, token: str, workers: int = WORKERS) -> None:
        self.chat = chat
        self.workers = [ThreadPoolExecutor(1, thread_name_prefix=f"casebot-tg-{i}")
                        for i in range(max(0, workers))]
        self.signer = Signer(token)
        # callback_data -> the prompt its keyboard was drawn for; a miss (restart) falls back
        # to the conversation's current prompt, so a restart never breaks a live button.
        self.cache: LRUCache[tuple[int, str], Prompt] = LRUCache(maxsize=CACHE_SIZE)
        self.albums = Albums()
        self.processed = RecentSet(1024)  # update ids just handled (what the e2e driver waits for)
        self.username = ""
        self.native = Native(self)  # forwards, /newcase as a reply, inline URL checks

    # -- plumbing ---------------------------------------------------------------------------

    def remember(self, chat_id: int, prompt: Prompt, markup: Any) -> None:
        if markup is None:
            return
        for row in markup.inline_keyboard:
            for button in row:
                self.cache[(chat_id, button.callback_data)] = prompt

    async def run_sync(self, chat_id: int | str, fn: Callable[..., Any], *args: Any,
                       **kwargs: Any) -> Any:
        """`fn` on the chat's warm worker thread (`workers=0`: `asyncio.to_thread`)."""
        if not self.workers:
            return await asyncio.to_thread(fn, *args, **kwargs)
        worker = self.workers[hash(str(chat_id)) % len(self.workers)]
        return await asyncio.get_running_loop().run_in_executor(
            worker, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        for worker in self.workers:
            worker.shutdown(wait=False)

    async def handle(self, who: Who, inbound: Inbound, delivery_id: str) -> list[Prompt]:
        return await self.run_sync(who.chat_ref or who.external_id, self.chat.handle,
                                   who, inbound, delivery_id=delivery_id)

    async def send(self, bot: Any, chat_id: int, user_id: int, prompts: list[Prompt]) -> None:
        target = Target(chat_id, user_id)
        for prompt in prompts:
            if prompt.kind in ("info", "done"):
                parts = render.info_text(prompt)
                offer = render.command_keyboard(prompt, self.signer, target)
                for i, chunk in enumerate(parts):
                    await bot.send_message(chat_id, chunk,
                                           reply_markup=offer if i == len(parts) - 1 else None)
                self.remember(chat_id, prompt, offer)
                continue
            markup = render.keyboard(prompt, self.signer, target)
            await bot.send_message(chat_id, render.text(prompt), reply_markup=markup)
            self.remember(chat_id, prompt, markup)

    # -- messages ---------------------------------------------------------------------------

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self._on_message(update, context)
        finally:
            self.processed.add(update.update_id)

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if msg is None or chat is None or user is None or user.is_bot:
            return
        bot = context.bot
        if chat.type != "private":
            if (msg.text or "").startswith("/"):
                await bot.send_message(chat.id, "I open support cases in a private chat only: "
                                       f"message me at https://t.me/{bot.username} and send "
                                       "/start.")
            return
        if await self.native.takes(update, bot):  # a forward, or /newcase as a reply
            return
        media = media_of(msg)
        await self.albums.flush(chat.id, keep_group=media.group if media else None)
        who = who_of(update)
        delivery = f"tg:{update.update_id}"
        if media is not None:
            prompts = await self.file_event(bot, who, chat.id, media, delivery)
        elif msg.text is not None:
            prompts = await self.handle(who, text_inbound(msg.text), delivery)
        else:
            if unsupported_media(msg):
                await bot.send_message(chat.id, UNSUPPORTED)
            return
        if media is not None and media.group:
            group_prompts = prompts

            async def send_album() -> None:
                await self.send(bot, chat.id, user.id, group_prompts)

            self.albums.defer(chat.id, media.group, send_album)
            return
        await self.send(bot, chat.id, user.id, prompts)

    async def file_event(self, bot: Any, who: Who, chat_id: int, media: Media,
                         delivery: str) -> list[Prompt]:
        """A file is fetched only when the chat layer says the current question takes it."""
        if not await self.run_sync(chat_id, self.chat.takes_files, who):
            return await self.run_sync(chat_id, self.chat.refuse_file, who,
                                       delivery)
        if too_big(media):
            mb = (media.size or 0) / (1024 * 1024)
            await bot.send_message(chat_id, TOO_BIG.format(name=media.name, mb=mb))
            return []
        try:
            tg_file = await bot.get_file(media.file_id)
            data = await tg_file.download_as_bytearray()
            ref = await self.run_sync(chat_id, self.chat.service.files.put_bytes, bytes(data),
                                      media.name)
        except Invalid as exc:
            await bot.send_message(chat_id, str(exc))
            return []
        except TelegramError as exc:
            log.warning("file download failed: %s", type(exc).__name__)
            await bot.send_message(chat_id, f"I couldn't download {media.name} from Telegram. "
                                   "Please send it again, or as a zip under 20 MB.")
            return []
        return await self.handle(who, Inbound(kind="file", file=ref), delivery)

    # -- buttons ----------------------------------------------------------------------------

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self._on_callback(update, context)
        finally:
            self.processed.add(update.update_id)

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, chat, user = update.callback_query, update.effective_chat, update.effective_user
        if query is None or user is None:
            return
        bot = context.bot
        if chat is None or chat.type != "private":
            await query.answer("Please use me in a private chat.")
            return
        press = parse_press(query.data)
        target = Target(chat.id, user.id)
        who = who_of(update)
        if press is not None and press.action == "k":
            await self.command_press(update, bot, press, target, who)
            return
        prompt = self.cache.get((chat.id, query.data or "")) if press else None
        if press is not None and prompt is None:
            prompt = await self.run_sync(chat.id, self.chat.current, who)
        choice = (self.signer.check(target, prompt, press.action, press.n, press.tag)
                  if press is not None and prompt is not None else None)
        if press is None or prompt is None or choice is None:
            await query.answer(STALE)
            return
        if press.action == "p":
            markup = render.keyboard(prompt, self.signer, target, page=press.n)
            self.remember(chat.id, prompt, markup)
            await together(query.answer(), query.edit_message_reply_markup(reply_markup=markup))
            return
        inbound = Inbound(kind="choice", choice=choice.id, step=prompt.step, draft=prompt.draft)
        prompts = await self.handle(who, inbound, f"tg:{update.update_id}")
        if not prompts:  # a redelivery of a press already handled
            await query.answer()
            return
        first = prompts[0]
        if first.stale:
            await query.answer(STALE)
            return
        if (prompt.kind == "multi" and choice.id != DONE and len(prompts) == 1
                and first.kind == "multi" and first.step == prompt.step and not first.error):
            markup = render.keyboard(first, self.signer, target,
                                     page=render.page_of(prompt, press.n))
            self.remember(chat.id, first, markup)
            await together(query.answer(), query.edit_message_reply_markup(reply_markup=markup))
            return
        # the next question is the first call out; the answer to the press goes with it, and
        # the pressed message is tidied alongside, never before (issue 13)
        calls = [self.send(bot, chat.id, user.id, prompts), query.answer()]
        refused = any(p.error and p.step == prompt.step for p in prompts)
        if not refused:
            label = choice.label
            if prompt.kind == "multi":
                labels = {c.id: c.label for c in prompt.choices}
                label = ", ".join(labels.get(s, s) for s in prompt.selected) or "none"
            calls.append(self.show_chosen(query, render.text(prompt), label))
        await together(*calls)

    async def show_chosen(self, query: Any, fallback: str, label: str) -> None:
        """Edit the pressed message: its text plus the chosen value, no buttons."""
        original = getattr(query.message, "text", None) or fallback
        await query.edit_message_text(render.chosen(original, label), reply_markup=None)

    async def command_press(self, update: Update, bot: Any, press: Any, target: Target,
                            who: Who) -> None:
        """A command button under an info answer: /checkurl's Request reclassification."""
        query = update.callback_query
        assert query is not None
        choice_id = self.signer.check_command(target, press.draft8, press.n, press.tag)
        command = render.COMMAND_BUTTONS.get(choice_id or "")
        if command is None:
            await query.answer(STALE)
            return
        shown = self.cache.get((int(target.chat_id), query.data or ""))
        urls = list(shown.data.get("urls") or []) if shown is not None else []
        if render.urls_digest(urls) != press.draft8:
            urls = await self.run_sync(target.chat_id, self.chat.last_checked_urls, who)
        if not urls or render.urls_digest(urls) != press.draft8:
            await together(query.answer("Please check the URLs again."),
                           bot.send_message(target.chat_id, CHECK_AGAIN))
            return
        inbound = Inbound(kind="command", command=command, args="\n".join(urls))
        prompts = await self.handle(who, inbound, f"tg:{update.update_id}")
        label = shown.choices[0].label if shown is not None and shown.choices else \
            "Request reclassification"
        calls = [self.send(bot, int(target.chat_id), int(target.user_id), prompts),
                 query.answer()]
        if prompts:
            calls.append(self.show_chosen(query, "", label))
        await together(*calls)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("update failed: %s", type(context.error).__name__, exc_info=context.error)
