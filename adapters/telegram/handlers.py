"""Telegram handlers: parse the update, call the chat API, render, send. No database here.

Choices are reply keyboards (render.py): a tap arrives as the user's own message holding the
button's text, and is read back against the keyboard last drawn for that chat (a bounded
per-chat cache; after a restart, the conversation's current question). So a tap is one update
answered by one Bot API call, the next question with its keyboard. Inline buttons remain only
on messages sent before that change: pressing one says it is out of date and shows the current
question.

The synchronous chat API runs on the chat's warm worker thread (`plumbing.ChatWorkers`: same
chat, same thread, in order), so the event loop never blocks for long. 429s are waited out by
PTB's AIORateLimiter (app.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from telegram import ReplyKeyboardRemove, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from adapters.bounded import RecentSet
from adapters.telegram import keyboards, render
from adapters.telegram.albums import Albums
from adapters.telegram.inbound import (
    TOO_BIG,
    Media,
    media_of,
    text_inbound,
    too_big,
    unsupported_media,
    who_of,
)
from adapters.telegram.native import Native
from adapters.telegram.plumbing import WORKERS, ChatWorkers, together
from bot.chat import Chat
from bot.service import Who
from flows.errors import Invalid
from flows.model import Inbound, Prompt, info
from flows.steps import DONE

log = logging.getLogger(__name__)

CHANNEL = "telegram"
STALE = "That button is out of date."
UNSUPPORTED = ("I can read text messages, documents and photos. Send a file as a document "
               "(📎 → File).")
CACHE_SIZE = 20_000
CHECK_AGAIN = ("I no longer have the URLs of that check (I may have restarted since). Send "
               "/checkurl URL… again and tap Request reclassification on the new answer.")


@dataclass(frozen=True)
class Shown:
    """The keyboard a chat was last sent, the question it answers and the page shown."""

    prompt: Prompt | None
    page: int
    keyboard: keyboards.Keyboard


class TelegramBot:
    """Handlers and a little per-process state (the keyboards shown, album timers)."""

    def __init__(self, chat: Chat, workers: int = WORKERS) -> None:
        self.chat = chat
        self.workers = ChatWorkers(workers)
        # chat id -> the keyboard last sent there; a miss (restart) falls back to the
        # conversation's current question, so a restart never breaks a keyboard in use
        self.keyboards: LRUCache[int, Shown] = LRUCache(maxsize=CACHE_SIZE)
        self.albums = Albums()
        self.processed = RecentSet(1024)  # update ids just handled (what the e2e driver waits for)
        self.username = ""
        self.native = Native(self)  # forwards, /newcase as a reply, inline URL checks

    # -- plumbing ---------------------------------------------------------------------------

    async def run_sync(self, chat_id: int | str, fn: Callable[..., Any], *args: Any,
                       **kwargs: Any) -> Any:
        return await self.workers.run(chat_id, fn, *args, **kwargs)

    def close(self) -> None:
        self.workers.close()

    async def handle(self, who: Who, inbound: Inbound, delivery_id: str) -> list[Prompt]:
        return await self.run_sync(who.chat_ref or who.external_id, self.chat.handle,
                                   who, inbound, delivery_id=delivery_id)

    async def send(self, bot: Any, chat_id: int, who: Who, prompts: list[Prompt]) -> None:
        """The answer to one action: usually one message, carrying the next keyboard."""
        if prompts and all(p.retry for p in prompts):  # nothing saved: the question stands
            for text in render.pack([t for p in prompts for t in render.info_text(p)]):
                await self.say(bot, chat_id, who, text)
            return
        if prompts:
            await self.show(bot, chat_id, render.reply(prompts))

    async def show(self, bot: Any, chat_id: int, out: render.Reply) -> None:
        for text in out.texts:
            await bot.send_message(chat_id, text, reply_markup=out.keyboard.markup)
        self.keyboards[chat_id] = Shown(out.prompt, out.page, out.keyboard)

    async def shown(self, chat_id: int, who: Who) -> Shown:
        """The chat's keyboard; after a restart, its current question's, on every page."""
        shown = self.keyboards.get(chat_id)
        if shown is None:
            prompt = await self.run_sync(chat_id, self.chat.current, who)
            markup = keyboards.keyboard(prompt).markup if prompt else ReplyKeyboardRemove()
            shown = Shown(prompt, 0, keyboards.Keyboard(markup, keyboards.all_buttons(prompt)))
        return shown

    async def say(self, bot: Any, chat_id: int, who: Who, text: str) -> None:
        """A note about the last action (a refused file) with the keyboard already up."""
        try:
            markup = (await self.shown(chat_id, who)).keyboard.markup
        except Exception:  # the store is away: no keyboard is safer than a wrong one
            log.warning("no keyboard for a note", exc_info=True)
            markup = ReplyKeyboardRemove()
        await bot.send_message(chat_id, text, reply_markup=markup)

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
                                       "/start.", reply_markup=ReplyKeyboardRemove())
            return
        if await self.native.takes(update, bot):  # a forward, or /newcase as a reply
            return
        media = media_of(msg)
        await self.albums.flush(chat.id, keep_group=media.group if media else None)
        who = who_of(update)
        delivery = f"tg:{update.update_id}"
        if media is None and msg.text is not None:
            await self.on_text(bot, who, chat.id, msg.text, delivery)
            return
        if media is None:
            if unsupported_media(msg):
                await self.say(bot, chat.id, who, UNSUPPORTED)
            return
        prompts = await self.file_event(bot, who, chat.id, media, delivery)
        if media.group:
            async def send_album() -> None:
                await self.send(bot, chat.id, who, prompts)

            self.albums.defer(chat.id, media.group, send_album)
            return
        await self.send(bot, chat.id, who, prompts)

    async def on_text(self, bot: Any, who: Who, chat_id: int, text: str,
                      delivery: str) -> None:
        """A tap (the text of a button on the chat's keyboard) or typed text."""
        shown = await self.shown(chat_id, who)
        meaning = shown.keyboard.buttons.get(text)
        prompt = shown.prompt
        if meaning is None or (meaning.command is None and prompt is None):
            await self.send(bot, chat_id, who,
                            await self.handle(who, text_inbound(text), delivery))
        elif meaning.command is not None:
            await self.command_tap(bot, who, chat_id, meaning, delivery)
        elif meaning.page is not None and prompt is not None:
            await self.show(bot, chat_id, render.page_reply(prompt, meaning.page))
        elif prompt is not None:
            inbound = Inbound(kind="choice", choice=meaning.choice, step=prompt.step,
                              draft=prompt.draft)
            prompts = await self.handle(who, inbound, delivery)
            prompts = await self.reread_stale(who, text, prompts, delivery)
            first = prompts[0] if len(prompts) == 1 else None
            if (first is not None and prompt.kind == "multi" and meaning.choice != DONE
                    and first.kind == "multi" and first.step == prompt.step
                    and not first.error):  # a toggle: say what is picked, same page
                await self.show(bot, chat_id, render.selection_reply(first, shown.page))
                return
            await self.send(bot, chat_id, who, prompts)

    async def reread_stale(self, who: Who, text: str, prompts: list[Prompt],
                           delivery: str) -> list[Prompt]:
        """A tap read against a keyboard this process drew for a question the request has
        left (another worker moved it on): the user sees the keyboard last sent, so read the
        tap again against the question the request is at; only a tap that is none of its
        buttons stays refused (with that question)."""
        current = prompts[-1] if prompts and prompts[0].stale else None
        again = keyboards.all_buttons(current).get(text) if current is not None else None
        if current is None or again is None or again.choice is None:
            return prompts
        inbound = Inbound(kind="choice", choice=again.choice, step=current.step,
                          draft=current.draft)
        return await self.handle(who, inbound, f"{delivery}:current")

    async def command_tap(self, bot: Any, who: Who, chat_id: int, meaning: keyboards.Meaning,
                          delivery: str) -> None:
        """/checkurl's Request reclassification, with the URLs of the answer it was drawn
        under (after a restart: the person's last check, kept in the database)."""
        urls = list(meaning.urls) or await self.run_sync(chat_id, self.chat.last_checked_urls,
                                                         who)
        if not urls:
            current = await self.run_sync(chat_id, self.chat.current, who)
            await self.send(bot, chat_id, who, [info(CHECK_AGAIN), *filter(None, [current])])
            return
        inbound = Inbound(kind="command", command=meaning.command, args="\n".join(urls))
        await self.send(bot, chat_id, who, await self.handle(who, inbound, delivery))

    async def file_event(self, bot: Any, who: Who, chat_id: int, media: Media,
                         delivery: str) -> list[Prompt]:
        """A file is fetched only when the chat layer says the current question takes it."""
        if not await self.run_sync(chat_id, self.chat.takes_files, who):
            return await self.run_sync(chat_id, self.chat.refuse_file, who,
                                       delivery)
        if too_big(media):
            mb = (media.size or 0) / (1024 * 1024)
            await self.say(bot, chat_id, who, TOO_BIG.format(name=media.name, mb=mb))
            return []
        try:
            tg_file = await bot.get_file(media.file_id)
            data = await tg_file.download_as_bytearray()
            ref = await self.run_sync(chat_id, self.chat.service.files.put_bytes, bytes(data),
                                      media.name)
        except Invalid as exc:
            await self.say(bot, chat_id, who, str(exc))
            return []
        except TelegramError as exc:
            log.warning("file download failed: %s", type(exc).__name__)
            await self.say(bot, chat_id, who, f"I couldn't download {media.name} from "
                           "Telegram. Please send it again, or as a zip under 20 MB.")
            return []
        return await self.handle(who, Inbound(kind="file", file=ref), delivery)

    # -- inline buttons sent before reply keyboards ----------------------------------------

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self._on_callback(update, context)
        finally:
            self.processed.add(update.update_id)

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An old inline button: out of date; its buttons go and the current question (with
        its reply keyboard) is shown, so nobody is stuck on a message from before."""
        query, chat, user = update.callback_query, update.effective_chat, update.effective_user
        if query is None or user is None:
            return
        if chat is None or chat.type != "private":
            await query.answer("Please use me in a private chat.")
            return
        who = who_of(update)
        current = await self.run_sync(chat.id, self.chat.current, who)
        calls = [query.answer(STALE), self.untie(query)]
        if current is not None:
            calls.insert(0, self.send(context.bot, chat.id, who, [current]))
        await together(*calls)

    async def untie(self, query: Any) -> None:
        """Remove an old message's inline buttons (it may be too old to edit: then leave it)."""
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except TelegramError as exc:
            log.info("old buttons left in place: %s", type(exc).__name__)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("update failed: %s", type(context.error).__name__, exc_info=context.error)
