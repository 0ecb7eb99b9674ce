"""Telegram's own ways in (issue 15): forwarding messages to the bot, `/newcase` as a reply to
a message, and inline mode (`@bot URL…` in any chat answers with the URLs' ratings).

Forwards arriving close together (several selected and forwarded at once, or an album) are
one request: they are gathered until the chat has been quiet for `FORWARD_QUIET` seconds, and
any other message from that chat first sends the gathered ones on. Their files are fetched
only for a linked contact, by file_id (`fetch_files`, which the chat layer calls on whichever
process sees the person linked, with the bot and loop of that process's running application).

Inline queries come from any chat and anyone: the answer is built from the query text alone
(`Chat.rate_urls` takes no identity), so it can never show a case or a contact.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import (
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    MessageOriginChannel,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from adapters.telegram import files as tfiles
from adapters.telegram.chats import Chats
from adapters.telegram.inbound import TOO_BIG, Media, media_of, text_inbound, too_big, who_of
from bot.protocol import (
    ENGLISH,
    Fetched,
    FileRef,
    FromMessage,
    Invalid,
    PendingFile,
    Who,
    _,
    none_fetched,
)

log = logging.getLogger(__name__)

FORWARD_QUIET = 1.0
INLINE_CACHE_SECONDS = 60
DOWNLOAD_WAIT = 120.0
MESSAGE_FILE_FAILED = ("I couldn't download {name} from Telegram; send it again when the "
                       "question asks for files.")
UPLOAD_FAILED = ("I couldn't download {name} from Telegram. Please send it again, or as a zip "
                 "under 20 MB.")


@dataclass(frozen=True)
class Part:
    """One message a request is described by: its text (or caption), file and link."""

    text: str
    media: Media | None
    source: str = ""


def part_of(message: Message) -> Part:
    origin = message.forward_origin
    source = ""
    if isinstance(origin, MessageOriginChannel) and origin.chat.username:
        source = f"https://t.me/{origin.chat.username}/{origin.message_id}"
    return Part(message.text or message.caption or "", media_of(message), source)


@dataclass
class _Burst:
    parts: list[Part]
    first_update: int
    task: asyncio.Task[None] | None = None
    sending: bool = False
    done: Callable[[list[Part], int], Awaitable[None]] | None = field(default=None, repr=False)


class Forwards:
    """At most one gathering burst per chat (bounded by the chats forwarding right now)."""

    def __init__(self) -> None:
        self.pending: dict[int, _Burst] = {}

    def __bool__(self) -> bool:
        return bool(self.pending)

    def add(self, chat_id: int, part: Part, update_id: int,
            done: Callable[[list[Part], int], Awaitable[None]]) -> None:
        burst = self.pending.get(chat_id)
        if burst is None or burst.sending:
            burst = _Burst([], update_id, done=done)
            self.pending[chat_id] = burst
        elif burst.task is not None:
            burst.task.cancel()
        burst.parts.append(part)

        async def later() -> None:
            await asyncio.sleep(FORWARD_QUIET)
            await self._send(chat_id, burst)

        burst.task = asyncio.get_running_loop().create_task(later())

    async def _send(self, chat_id: int, burst: _Burst) -> None:
        burst.sending = True
        try:
            assert burst.done is not None
            await burst.done(burst.parts, burst.first_update)
        finally:
            if self.pending.get(chat_id) is burst:
                self.pending.pop(chat_id, None)

    async def flush(self, chat_id: int) -> None:
        """Send a gathering burst now (before a message that is not a forward)."""
        burst = self.pending.get(chat_id)
        if burst is None:
            return
        if burst.sending:
            if burst.task is not None:
                await asyncio.shield(burst.task)
            return
        if burst.task is not None:
            burst.task.cancel()
        await self._send(chat_id, burst)


class Native:
    def __init__(self, chats: Chats, handled: Callable[[int], None]) -> None:
        self.chats = chats
        self.handled = handled  # an update id is done with (what the e2e driver waits for)
        self.forwards = Forwards()
        self.running: tuple[Any, asyncio.AbstractEventLoop] | None = None  # bot, loop

    def serve_files(self, bot: Any, loop: asyncio.AbstractEventLoop) -> None:
        """The running application's bot and loop: what `fetch_files` downloads with."""
        self.running = (bot, loop)

    def stop_files(self) -> None:
        self.running = None

    async def takes(self, update: Update, bot: Any) -> bool:
        """Handle a forward or `/newcase` replying to a message; False for anything else.

        A forward while a request is open is an answer like any message (a forwarded file at
        the attachments step is attached), so only forwards with no request open start one."""
        msg, chat, user = update.effective_message, update.effective_chat, update.effective_user
        assert msg is not None
        assert chat is not None
        assert user is not None
        who = who_of(update)
        if msg.forward_origin is not None and (
                chat.id in self.forwards.pending
                or (await self.chats.run(chat.id, self.chats.chat.view, who)).question is None):
            async def done(parts: list[Part], first: int) -> None:
                await self.start(bot, who, chat.id, parts, f"tg:fwd:{first}")

            self.forwards.add(chat.id, part_of(msg), update.update_id, done)
            return True
        await self.forwards.flush(chat.id)
        reply = msg.reply_to_message
        asked = text_inbound(msg.text) if msg.text else None
        if reply is not None and asked is not None and asked.kind == "command" and \
                asked.command == "newcase" and not asked.args:
            await self.start(bot, who, chat.id, [part_of(reply)],
                             f"tg:{update.update_id}")
            return True
        return False

    async def start(self, bot: Any, who: Who, chat_id: int, parts: list[Part],
                    delivery: str) -> None:
        """A request described by these messages: their texts, their files (fetched by the
        chat layer once the person is known to be a linked contact), the first link back to
        one of them."""
        text = "\n\n".join(p.text.strip() for p in parts if p.text.strip())
        media = [p.media for p in parts if p.media is not None]
        source = next((p.source for p in parts if p.source), "")
        pending = tuple(PendingFile(m.file_id, m.name, m.size) for m in media)
        reply = await self.chats.run(chat_id, self.chats.chat.handle, who,
                                     FromMessage(text, source=source, files=pending),
                                     delivery_id=delivery)
        await self.chats.send(bot, chat_id, who, reply)

    def fetch_files(self, who: Who, pending: tuple[PendingFile, ...]) -> Fetched:
        """The chat layer's way to fetch a message's files once its person is linked (on a
        chat worker thread of this process, maybe not the one that saw the message): they are
        downloaded in the application's event loop."""
        return self._fetch(who, pending, MESSAGE_FILE_FAILED)

    def uploads(self, who: Who, pending: tuple[PendingFile, ...]) -> Fetched:
        """Files sent to the chat, fetched when the question takes them."""
        return self._fetch(who, pending, UPLOAD_FAILED)

    def _fetch(self, who: Who, pending: tuple[PendingFile, ...], failed: str) -> Fetched:
        running = self.running
        if running is None:
            return none_fetched(pending)
        bot, loop = running
        notes: list[str] = []
        future = asyncio.run_coroutine_threadsafe(
            self.download_all(bot, who, pending, notes, failed), loop)
        try:
            return future.result(DOWNLOAD_WAIT), notes
        except TimeoutError:
            future.cancel()
            log.warning("files not downloaded within %.0f s", DOWNLOAD_WAIT)
            return none_fetched(pending)

    async def download_all(self, bot: Any, who: Who, pending: tuple[PendingFile, ...],
                           notes: list[str], failed: str) -> list[FileRef]:
        """Each file stored; one that can't be fetched becomes a note instead."""
        refs = []
        for file in pending:
            try:
                refs.append(await self.download(bot, who, file, failed))
            except Invalid as exc:
                notes.append(str(exc))
        return refs

    async def download(self, bot: Any, who: Who, file: PendingFile, failed: str) -> FileRef:
        """getFile, then the bytes streamed (off the loop) into the room the chat layer
        reserved for this file from the file_size Telegram declared."""
        if too_big(Media(file.id, file.name, file.size, None)):
            raise Invalid(_(TOO_BIG, name=file.name, mb=f"{(file.size or 0) / 2**20:.1f}"))
        try:
            found = await bot.get_file(file.id)
        except TelegramError as exc:
            log.warning("file download failed: %s", type(exc).__name__)
            raise Invalid(failed.format(name=file.name)) from exc
        ref: FileRef = await asyncio.to_thread(
            tfiles.stream, str(found.file_path or ""), bot.base_file_url, self.chats.chat,
            who, file, failed)
        return ref

    # -- inline mode --------------------------------------------------------------------------

    async def on_inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            query = update.inline_query
            if query is None:
                return
            # the asker's language: their own /language choice when they are a contact, else
            # their Telegram's (the ratings themselves are the same for anyone)
            language = await asyncio.to_thread(self.chats.chat.language_of, who_of(update))
            rated = await asyncio.to_thread(self.chats.chat.rate_urls, query.query, language)
            results = [InlineQueryResultArticle(
                id=str(n), title=lines[0], description="\n".join(lines[1:])[:200],
                input_message_content=InputTextMessageContent("\n".join(lines)))
                for n, lines in enumerate(rated)]
            # Telegram caches an answer for everyone who types the same query: only English
            # answers are shared, one in another language is kept for its asker
            await query.answer(results, cache_time=INLINE_CACHE_SECONDS,
                               is_personal=language != ENGLISH)
        finally:
            self.handled(update.update_id)
