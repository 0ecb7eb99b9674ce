"""Telegram handlers: parse the update, make its one hop to the chat API, render, send.

Choices are reply keyboards (render.py): a tap arrives as the user's own message holding the
button's text, and is read back against the keyboard last drawn for that chat (taps.py). So a
tap is one update answered by one Bot API call, the next question with its keyboard. A file
is fetched only when the chat layer finds that the question takes files, or the message is
about a case. 429s are waited out by PTB's AIORateLimiter (app.py).

After Submit the case is a conversation: the customer's reply to any message about a case
(the confirmation, an operator's message) carries that message's id as `Inbound.thread`, and
its own id as `Inbound.ref` (a redelivered update is stored once). Inline buttons are the
commands about a case (Solved / Still broken, 1–5, "Add to case N" / "New case"): a press is
the command with its arguments, and the pressed message loses its buttons. An inline button
of any other kind is from before reply keyboards: pressing one says it is out of date and
shows the current question."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram import ReplyKeyboardRemove, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from adapters.bounded import RecentSet
from adapters.telegram import keyboards
from adapters.telegram.albums import Albums
from adapters.telegram.chats import Chats
from adapters.telegram.inbound import Media, media_of, unsupported_media, who_of
from adapters.telegram.native import Native
from adapters.telegram.plumbing import WORKERS, together
from adapters.telegram.taps import Answer, answer_text
from bot.chat import Chat
from bot.protocol import N_, Inbound, PendingFile, Reply, Who, _, say

log = logging.getLogger(__name__)

STALE = N_("That button is out of date.")
UNSUPPORTED = N_("I can read text messages, documents and photos. Send a file as a document "
                 "(📎 → File).")
PRIVATE_ONLY = N_("I open support cases in a private chat only: message me at {link} and send "
                  "/start.")
PRIVATE_PRESS = N_("Please use me in a private chat.")


@dataclass(frozen=True)
class About:
    """What a message is about: the message it replies to (`thread`, "" for none) and its
    own id in the chat layer's terms (`ref`: "chat:message", a redelivery is stored once)."""

    thread: str = ""
    ref: str = ""


class TelegramBot:
    """Handlers and a little per-process state (the keyboards shown, album timers)."""

    def __init__(self, chat: Chat, workers: int = WORKERS) -> None:
        self.chat = chat
        self.chats = Chats(chat, workers)
        self.albums = Albums()
        self.processed = RecentSet(1024)  # update ids handled (what the e2e driver waits for)
        self.username = ""
        # builds the Bot the notice thread sends with (app.py; None: a test's own bot)
        self.make_notice_bot: Callable[[], Any] | None = None
        # forwards, /newcase as a reply, inline mode
        self.native = Native(self.chats, lambda update_id: self.processed.add(update_id))

    def close(self) -> None:
        self.chats.close()

    async def said(self, chat_id: int, who: Who, text: str) -> str:
        """`text` in the person's language, read off the loop (outside the flows: a refusal,
        an out-of-date button)."""
        language = await self.chats.run(chat_id, self.chat.language_of, who)
        return say(text, str(language))

    def said_in_group(self, who: Who, text: str) -> str:
        """`text` in the sender's Telegram language, else the deployment's: a group is
        answered without reading the store (a slow step elsewhere never holds it up)."""
        return say(text, self.chat.platform_language(who))

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
                text = _(PRIVATE_ONLY, link=f"https://t.me/{bot.username}")
                await bot.send_message(chat.id, self.said_in_group(who_of(update), text),
                                       reply_markup=ReplyKeyboardRemove())
            return
        if await self.native.takes(update, bot):  # a forward, or /newcase as a reply
            return
        media = media_of(msg)
        await self.albums.flush(chat.id, keep_group=media.group if media else None)
        who = who_of(update)
        delivery = f"tg:{update.update_id}"
        # message ids count per chat; the chat layer dedupes by id across a channel
        about = About(str(msg.reply_to_message.message_id) if msg.reply_to_message else "",
                      f"{chat.id}:{msg.message_id}")
        if media is None and msg.text is not None:
            await self.on_text(bot, who, chat.id, msg.text, delivery, about)
            return
        if media is None:
            if unsupported_media(msg):
                await self.chats.say(bot, chat.id, who,
                                     await self.said(chat.id, who, _(UNSUPPORTED)))
            return
        reply = await self.file_event(bot, who, chat.id, media, delivery, about,
                                      msg.caption or "")
        if media.group:
            async def send_album() -> None:
                await self.chats.send(bot, chat.id, who, reply)

            self.albums.defer(chat.id, media.group, send_album)
            return
        await self.chats.send(bot, chat.id, who, reply)

    async def on_text(self, bot: Any, who: Who, chat_id: int, text: str,
                      delivery: str, about: About | None = None) -> None:
        """A tap (the text of a button on the chat's keyboard) or typed text."""
        about = about or About()
        answer: Answer = await self.chats.run(chat_id, answer_text, self.chat, who, text,
                                              self.chats.keyboards.get(chat_id), delivery,
                                              thread=about.thread, ref=about.ref)
        if answer.message is not None:
            await self.chats.show(bot, chat_id, answer.message)
        elif answer.reply is not None:
            await self.chats.send(bot, chat_id, who, answer.reply)

    async def file_event(self, bot: Any, who: Who, chat_id: int, media: Media,
                         delivery: str, about: About | None = None,
                         caption: str = "") -> Reply:
        """A file, by its file_id: the chat layer has it downloaded (native.py) only when the
        question takes files or it is about a case (a reply to a message about one, or
        sent while a case waits for an answer)."""
        about = about or About()
        upload = Inbound(kind="file", text=caption, thread=about.thread, ref=about.ref,
                         pending_files=(PendingFile(media.file_id, media.name, media.size),))
        reply: Reply = await self.chats.run(chat_id, self.chat.handle, who, upload,
                                            delivery_id=delivery, fetch=self.native.uploads)
        return reply

    # -- inline buttons: commands about a case, or from before reply keyboards -------------

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
            await query.answer(self.said_in_group(who_of(update), _(PRIVATE_PRESS)))
            return
        who = who_of(update)
        command = keyboards.command_pressed(query.data) if isinstance(query.data, str) \
            else None
        if command is not None:
            await self.on_press(context.bot, query, who, chat.id, command,
                                f"tg:{update.update_id}")
            return
        current = (await self.chats.run(chat.id, self.chat.view, who)).question
        calls = [query.answer(await self.said(chat.id, who, _(STALE))), self.untie(query)]
        if current is not None:
            calls.insert(0, self.chats.send(context.bot, chat.id, who, Reply([current])))
        await together(*calls)

    async def on_press(self, bot: Any, query: Any, who: Who, chat_id: int,
                       command: tuple[str, str], delivery: str) -> None:
        """Solved / Still broken / 1–5 / "Add to case N" / "New case": the command with its
        arguments. The pressed message loses its buttons, so a second press cannot go
        unnoticed; a press that is out of date is answered by the chat layer."""
        name, args = command
        reply: Reply = await self.chats.run(
            chat_id, self.chat.handle, who, Inbound(kind="command", command=name, args=args),
            delivery_id=delivery)
        if reply.prompts and all(p.retry for p in reply.prompts):  # nothing saved
            await query.answer()  # the buttons stay, to press again
        else:
            await together(query.answer(), self.untie(query))
        await self.chats.send(bot, chat_id, who, reply)

    async def untie(self, query: Any) -> None:
        """Remove an old message's inline buttons (it may be too old to edit: then leave it)."""
        try:
            await query.edit_message_reply_markup(reply_markup=None)
        except TelegramError as exc:
            log.info("old buttons left in place: %s", type(exc).__name__)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("update failed: %s", type(context.error).__name__, exc_info=context.error)
