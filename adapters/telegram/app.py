"""`casebot telegram`: the python-telegram-bot v22 Application. The only Telegram-SDK code.

Long polling by default; with a webhook URL, PTB's webhook server checks the
`X-Telegram-Bot-Api-Secret-Token` header against TELEGRAM_WEBHOOK_SECRET on every request
(telegram/ext/_utils/webhookhandler.py, `_validate_post`: 403 when missing or different).

Updates run concurrently across chats and strictly in order within one chat (`PerChatProcessor`).
The synchronous `Service.handle` runs in a worker thread so the event loop never blocks: each
chat has a shard, each shard one warm thread (created once per process, so there is no pool
hand-off and a chat's database work stays on one thread). Bot API calls that don't depend on
each other (answering a press, editing its message, sending the next question) go out
together. Link previews are off for every message, so a URL never unfurls. Every
update is handled once (`delivery_id="tg:<update_id>"`, recorded in the database). Bot API
calls that get 429 wait the `retry_after` Telegram asks for and try again.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import signal
import sys
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from cachetools import LRUCache
from sqlmodel import Session
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from adapters.telegram import render
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
from adapters.telegram.render import Signer, Target
from bot import notices
from bot.service import OUT_OF_DATE, NotLinked, Service, Who
from bot.settings import PER_USER_ENTRIES, Settings
from bot.verification import (
    awaiting_code,
    confirm_verification,
    looks_like_code,
    start_verification,
)
from flows.errors import Invalid
from flows.model import Inbound, Prompt, info
from flows.steps import DONE
from store import repo
from store.tables import ChatNotice

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("start", "start or show where you are"),
    BotCommand("newcase", "open a support case"),
    BotCommand("cases", "list your cases"),
    BotCommand("case", "show one case: /case NUMBER"),
    BotCommand("profiles", "manage product profiles"),
    BotCommand("checkurl", "check URL ratings: /checkurl URL…"),
    BotCommand("cancel", "discard the current request"),
    BotCommand("back", "go to the previous question"),
    BotCommand("help", "show the commands"),
]
STALE = "That button is out of date."
WELCOME = ("Hello! I open support cases for you. First I need to know who you are: what is your "
           "work email address? I'll mail you an 8-digit code to confirm it.")
WAITING = ("Send the 8-digit code from the email I sent you, or send your work email address "
           "again to get a new code.")
UNSUPPORTED = ("I can read text messages, documents and photos. Send a file as a document "
               "(📎 → File).")
ALBUM_QUIET = 0.8
CACHE_SIZE = 20_000
SEND_TRIES = 5
WORKERS = 4
CHECK_AGAIN = ("I no longer have the URLs of that check (I may have restarted since). Send "
               "/checkurl URL… again and press Request reclassification on the new answer.")


class PerChatProcessor(BaseUpdateProcessor):
    """Concurrent across chats, in arrival order within a chat (asyncio locks are FIFO)."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock, users = self._locks.get(chat.id) or (asyncio.Lock(), 0)
        self._locks[chat.id] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[chat.id]
            if users <= 1:
                del self._locks[chat.id]
            else:
                self._locks[chat.id] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def call(fn: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
    """A Bot API call that honours 429 Too Many Requests (RetryAfter) a few times."""
    for attempt in range(SEND_TRIES):
        try:
            return await fn(*args, **kwargs)
        except RetryAfter as exc:
            if attempt == SEND_TRIES - 1:
                raise
            wait = _seconds(exc._retry_after)
            log.info("Telegram asked to retry after %.1fs", wait)
            await asyncio.sleep(wait)
    return None


async def together(*calls: Awaitable[Any]) -> None:
    """Independent Bot API calls at once; the first failure is raised after all have ended."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


class _Album:
    """An album's deferred reply: `send` after a quiet moment, unless a newer update comes."""

    def __init__(self, group: str, send: Callable[[], Awaitable[None]]) -> None:
        self.group = group
        self.send = send
        self.sending = False
        self.task: asyncio.Task[None]


class TelegramBot:
    """Handlers and the small amount of per-process state (a render cache, album timers)."""

    def __init__(self, service: Service, token: str, workers: int = WORKERS) -> None:
        self.service = service
        self.workers = [ThreadPoolExecutor(1, thread_name_prefix=f"casebot-tg-{i}")
                        for i in range(max(0, workers))]
        self.signer = Signer(token)
        # callback_data -> the prompt its keyboard was drawn for; a miss (restart) falls back
        # to the conversation's current prompt, so a restart never breaks a live button.
        self.cache: OrderedDict[tuple[int, str], Prompt] = OrderedDict()
        # per-user memory is bounded (issue 11): the oldest entries go first
        self.albums: LRUCache[int, _Album] = LRUCache(PER_USER_ENTRIES)
        self.processed: LRUCache[int, bool] = LRUCache(PER_USER_ENTRIES)
        self.username = ""

    # -- plumbing ---------------------------------------------------------------------------

    def remember(self, chat_id: int, prompt: Prompt, markup: Any) -> None:
        if markup is None:
            return
        for row in markup.inline_keyboard:
            for button in row:
                self.cache[(chat_id, button.callback_data)] = prompt
                self.cache.move_to_end((chat_id, button.callback_data))
        while len(self.cache) > CACHE_SIZE:
            self.cache.popitem(last=False)

    async def run_sync(self, chat_id: int | str, fn: Callable[..., Any], *args: Any,
                       **kwargs: Any) -> Any:
        """`fn` on the chat's warm worker thread (same chat, same thread, in order).

        With no workers (`workers=0`, kept to compare in bench/) it is `asyncio.to_thread`.
        """
        if not self.workers:
            return await asyncio.to_thread(fn, *args, **kwargs)
        worker = self.workers[hash(str(chat_id)) % len(self.workers)]
        return await asyncio.get_running_loop().run_in_executor(
            worker, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        for worker in self.workers:
            worker.shutdown(wait=False)

    async def handle(self, who: Who, inbound: Inbound, delivery_id: str) -> list[Prompt] | None:
        """Service.handle in a thread; None when the user is not linked yet."""
        try:
            return await self.run_sync(who.chat_ref or who.external_id, self.service.handle,
                                       who, inbound, delivery_id=delivery_id)
        except NotLinked:
            return None

    async def send(self, bot: Any, chat_id: int, user_id: int, prompts: list[Prompt]) -> None:
        target = Target(chat_id, user_id)
        for prompt in prompts:
            if prompt.kind in ("info", "done"):
                parts = render.info_text(prompt)
                offer = render.command_keyboard(prompt, self.signer, target)
                for i, chunk in enumerate(parts):
                    await call(bot.send_message, chat_id, chunk,
                               reply_markup=offer if i == len(parts) - 1 else None)
                self.remember(chat_id, prompt, offer)
                continue
            markup = render.keyboard(prompt, self.signer, target)
            await call(bot.send_message, chat_id, render.text(prompt), reply_markup=markup)
            self.remember(chat_id, prompt, markup)

    async def flush_album(self, chat_id: int, keep_group: str | None = None) -> None:
        """Answer a pending album now, before anything newer (or drop it: same album)."""
        album = self.albums.get(chat_id)
        if album is None:
            return
        if album.sending:
            await asyncio.shield(album.task)
            return
        album.task.cancel()
        self.albums.pop(chat_id, None)
        if keep_group != album.group:
            await album.send()

    def defer_album(self, chat_id: int, group: str, send: Callable[[], Awaitable[None]]) -> None:
        """Albums arrive as one update per file: answer once, after the last one."""
        album = _Album(group, send)

        async def later() -> None:
            await asyncio.sleep(ALBUM_QUIET)
            album.sending = True
            try:
                await send()
            finally:
                if self.albums.get(chat_id) is album:
                    self.albums.pop(chat_id, None)

        album.task = asyncio.get_running_loop().create_task(later())
        self.albums[chat_id] = album

    # -- messages ---------------------------------------------------------------------------

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self._on_message(update, context)
        finally:
            self.processed[update.update_id] = True

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg, chat, user = update.effective_message, update.effective_chat, update.effective_user
        if msg is None or chat is None or user is None or user.is_bot:
            return
        bot = context.bot
        if chat.type != "private":
            if (msg.text or "").startswith("/"):
                await call(bot.send_message, chat.id,
                           f"I open support cases in a private chat only: message me at "
                           f"https://t.me/{bot.username} and send /start.")
            return
        media = media_of(msg)
        await self.flush_album(chat.id, keep_group=media.group if media else None)
        who = who_of(update)
        delivery = f"tg:{update.update_id}"
        if media is not None:
            inbound = await self.file_inbound(bot, chat.id, media)
            if inbound is None:
                return
        elif msg.text is not None:
            inbound = text_inbound(msg.text)
        else:
            if unsupported_media(msg):
                await call(bot.send_message, chat.id, UNSUPPORTED)
            return
        prompts = await self.handle(who, inbound, delivery)
        if prompts is None:
            replies = await self.run_sync(chat.id, self.unlinked, who, msg.text or "", delivery)
            await self.send(bot, chat.id, user.id, replies)
            return
        if media is not None and media.group:
            group_prompts = prompts

            async def send_album() -> None:
                await self.send(bot, chat.id, user.id, group_prompts)

            self.defer_album(chat.id, media.group, send_album)
            return
        await self.send(bot, chat.id, user.id, prompts)

    async def file_inbound(self, bot: Any, chat_id: int, media: Media) -> Inbound | None:
        if too_big(media):
            mb = (media.size or 0) / (1024 * 1024)
            await call(bot.send_message, chat_id, TOO_BIG.format(name=media.name, mb=mb))
            return None
        try:
            tg_file = await call(bot.get_file, media.file_id)
            data = await tg_file.download_as_bytearray()
            ref = await self.run_sync(chat_id, self.service.files.put_bytes, bytes(data),
                                      media.name)
        except Invalid as exc:
            await call(bot.send_message, chat_id, str(exc))
            return None
        except TelegramError as exc:
            log.warning("file download failed: %s", type(exc).__name__)
            await call(bot.send_message, chat_id, f"I couldn't download {media.name} from "
                       "Telegram. Please send it again, or as a zip under 20 MB.")
            return None
        return Inbound(kind="file", file=ref)

    def unlinked(self, who: Who, text: str, delivery_id: str) -> list[Prompt]:
        """An unlinked user's message: ask for the email, mail a code, or check the code."""
        with Session(self.service.engine) as s:
            if not repo.first_delivery(s, delivery_id):
                return []
            s.commit()
        said = text.strip()
        try:
            if looks_like_code(said):
                address = confirm_verification(self.service, "telegram", who.external_id, said,
                                               chat_ref=who.chat_ref, name=who.name)
                rest = self.service.handle(who, Inbound(kind="command", command="help"))
                return [info(f"Thanks! This Telegram account is now linked to {address}."),
                        *rest]
            if "@" in said and " " not in said and not said.startswith("/"):
                return [info(start_verification(self.service, "telegram", who.external_id,
                                                said, chat_ref=who.chat_ref))]
        except Invalid as exc:
            return [info(str(exc))]
        if not said.startswith("/") and awaiting_code(self.service, "telegram", who.external_id):
            return [info(WAITING)]
        return [info(WELCOME)]

    # -- buttons ----------------------------------------------------------------------------

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self._on_callback(update, context)
        finally:
            self.processed[update.update_id] = True

    async def current(self, who: Who) -> Prompt | None:
        try:
            prompts = await self.run_sync(who.chat_ref or who.external_id,
                                          self.service.current, who)
        except NotLinked:
            return None
        asked = [p for p in prompts if p.kind not in ("info", "done")]
        return asked[-1] if asked else None

    async def _on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query, chat, user = update.callback_query, update.effective_chat, update.effective_user
        if query is None or user is None:
            return
        bot = context.bot
        if chat is None or chat.type != "private":
            await call(query.answer, "Please use me in a private chat.")
            return
        press = parse_press(query.data)
        target = Target(chat.id, user.id)
        who = who_of(update)
        if press is not None and press.action == "k":
            await self.command_press(update, bot, press, target, who)
            return
        prompt = self.cache.get((chat.id, query.data or "")) if press else None
        if press is not None and prompt is None:
            prompt = await self.current(who)
        choice = (self.signer.check(target, prompt, press.action, press.n, press.tag)
                  if press is not None and prompt is not None else None)
        if press is None or prompt is None or choice is None:
            await call(query.answer, STALE)
            return
        if press.action == "p":
            markup = render.keyboard(prompt, self.signer, target, page=press.n)
            self.remember(chat.id, prompt, markup)
            await together(call(query.answer),
                           call(query.edit_message_reply_markup, reply_markup=markup))
            return
        inbound = Inbound(kind="choice", choice=choice.id, step=prompt.step, draft=prompt.draft)
        prompts = await self.handle(who, inbound, f"tg:{update.update_id}")
        if prompts is None:
            await call(query.answer, "Send /start first.")
            return
        if not prompts:  # a redelivery of a press already handled
            await call(query.answer)
            return
        first = prompts[0]
        if first.kind == "info" and first.text == OUT_OF_DATE:
            await call(query.answer, STALE)
            return
        if (prompt.kind == "multi" and choice.id != DONE and len(prompts) == 1
                and first.kind == "multi" and first.step == prompt.step and not first.error):
            markup = render.keyboard(first, self.signer, target,
                                     page=render.page_of(prompt, press.n))
            self.remember(chat.id, first, markup)
            await together(call(query.answer),
                           call(query.edit_message_reply_markup, reply_markup=markup))
            return
        calls = [call(query.answer), self.send(bot, chat.id, user.id, prompts)]
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
        await call(query.edit_message_text, render.chosen(original, label), reply_markup=None)

    def last_checked(self, who: Who) -> list[str]:
        """The URLs of this person's last /checkurl (kept in the database)."""
        with Session(self.service.engine) as s:
            found = repo.load_for_identity(s, who.channel, who.external_id)
            return repo.last_url_check(s, found[0].id) if found else []

    async def command_press(self, update: Update, bot: Any, press: Any, target: Target,
                            who: Who) -> None:
        """A command button under an info answer: /checkurl's Request reclassification."""
        query = update.callback_query
        assert query is not None
        choice_id = self.signer.check_command(target, press.draft8, press.n, press.tag)
        if choice_id is None:
            await call(query.answer, STALE)
            return
        shown = self.cache.get((int(target.chat_id), query.data or ""))
        urls = list(shown.data.get("urls") or []) if shown is not None else []
        if render.urls_digest(urls) != press.draft8:
            urls = await self.run_sync(target.chat_id, self.last_checked, who)
        if not urls or render.urls_digest(urls) != press.draft8:
            await together(call(query.answer, "Please check the URLs again."),
                           call(bot.send_message, target.chat_id, CHECK_AGAIN))
            return
        command = render.COMMAND_BUTTONS[choice_id]
        inbound = Inbound(kind="command", command=command, args="\n".join(urls))
        prompts = await self.handle(who, inbound, f"tg:{update.update_id}")
        if prompts is None:
            await call(query.answer, "Send /start first.")
            return
        label = shown.choices[0].label if shown is not None and shown.choices else \
            "Request reclassification"
        calls = [call(query.answer), self.send(bot, int(target.chat_id),
                                               int(target.user_id), prompts)]
        if prompts:
            calls.append(self.show_chosen(query, "", label))
        await together(*calls)

    # -- operator updates -------------------------------------------------------------------

    def _pending(self) -> list[tuple[int, str, str]]:
        with Session(self.service.engine) as s:
            return [(n.id, n.chat_ref or n.external_id, n.text)
                    for n in notices.claim(s, "telegram") if n.id is not None]

    def _mark(self, notice_id: int, ok: bool, final: bool) -> None:
        with Session(self.service.engine) as s:
            notice = s.get(ChatNotice, notice_id)
            if notice is None:
                return
            if ok:
                notices.mark_sent(s, notice)
            else:
                notices.mark_failed(s, notice, final or notice.attempts + 1 >= 5)
            s.commit()

    async def deliver_notices(self, bot: Any) -> int:
        sent = 0
        for notice_id, chat_ref, text in await asyncio.to_thread(self._pending):
            try:
                for chunk in render.chunks(text):
                    await call(bot.send_message, int(chat_ref), chunk)
                ok, final = True, False
                sent += 1
            except (Forbidden, BadRequest, ValueError) as exc:
                log.warning("case update not delivered: %s", type(exc).__name__)
                ok, final = False, True
            except TelegramError as exc:
                log.warning("case update not delivered yet: %s", type(exc).__name__)
                ok, final = False, False
            await asyncio.to_thread(self._mark, notice_id, ok, final)
        return sent

    async def notices_loop(self, bot: Any, interval: float) -> None:
        while True:
            try:
                await self.deliver_notices(bot)
            except asyncio.CancelledError:
                raise
            except Exception:  # the loop must outlive a store outage
                log.exception("delivering case updates failed")
            await asyncio.sleep(interval)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("update failed: %s", type(context.error).__name__, exc_info=context.error)


def bot_urls(settings: Settings) -> tuple[str, str]:
    """(base_url, base_file_url) for PTB from TELEGRAM_API_URL / TELEGRAM_FILE_URL.

    The settings hold the server root (default https://api.telegram.org); values that already
    end in /bot (/file/bot) or contain {token} are used as they are.
    """
    api = (settings.telegram_api_url or "https://api.telegram.org").rstrip("/")
    files = (settings.telegram_file_url or api).rstrip("/")
    base = api if ("{token}" in api or api.endswith("/bot")) else api + "/bot"
    if "{token}" in files or files.endswith("/file/bot"):
        file_base = files
    else:
        file_base = files.removesuffix("/bot") + "/file/bot"
    return base, file_base


def build_application(settings: Settings, service: Service | None = None,
                      workers: int = WORKERS) -> tuple[Application, TelegramBot]:
    token = settings.telegram_bot_token
    if not token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set.")
    if service is None:
        from bot.app import build_service

        service = build_service(settings)
    base, file_base = bot_urls(settings)
    quiet = Defaults(link_preview_options=LinkPreviewOptions(is_disabled=True))
    app = (Application.builder().token(token).base_url(base).base_file_url(file_base)
           .defaults(quiet).concurrent_updates(PerChatProcessor()).build())
    tg = TelegramBot(service, token, workers)
    app.add_handler(CallbackQueryHandler(tg.on_callback))
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE, tg.on_message))
    app.add_error_handler(tg.on_error)
    return app, tg


class ConstantTimeSecret(str):
    """The webhook secret, compared in constant time.

    PTB's webhook handler checks the header with `token != secret_token`, which stops at the
    first differing character. Python asks a str subclass's reflected `__ne__` first, so with
    this type PTB's own check becomes `hmac.compare_digest` without patching the library.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str):
            return NotImplemented
        return hmac.compare_digest(other.encode(), str(self).encode())

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = str.__hash__


async def serve_app(app: Application, tg: TelegramBot | None, settings: Settings, *,
                    stop: asyncio.Event, webhook_url: str | None = None, port: int = 8443,
                    listen: str = "0.0.0.0", poll_timeout: int = 10,
                    notice_interval: float = 2.0) -> None:
    """Run until `stop` is set: commands registered, polling or webhook, notices delivered."""
    if webhook_url and not settings.telegram_webhook_secret:
        raise ValueError("Webhook mode needs TELEGRAM_WEBHOOK_SECRET (letters, digits, _ and -).")
    async with app:
        await call(app.bot.set_my_commands, COMMANDS)
        assert app.updater is not None
        if webhook_url:
            await app.updater.start_webhook(
                listen=listen, port=port, url_path=urlsplit(webhook_url).path.lstrip("/"),
                webhook_url=webhook_url,
                secret_token=ConstantTimeSecret(settings.telegram_webhook_secret or ""),
                allowed_updates=["message", "callback_query"])
        else:
            await app.updater.start_polling(timeout=poll_timeout, poll_interval=0,
                                            allowed_updates=["message", "callback_query"])
        await app.start()
        task = None
        if tg is not None:
            tg.username = app.bot.username or ""
            task = asyncio.create_task(tg.notices_loop(app.bot, notice_interval))
        try:
            await stop.wait()
        finally:
            if task is not None:
                task.cancel()
            await app.updater.stop()
            await app.stop()
            if tg is not None:
                tg.close()


def run(settings: Settings, webhook_url: str | None = None, port: int = 8443) -> int:
    """`casebot telegram`: 0 after Ctrl-C/SIGTERM, 2 for bad configuration, 1 on failure."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry the token
    try:
        app, tg = build_application(settings)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve_app(app, tg, settings, stop=stop, webhook_url=webhook_url, port=port)

    try:
        asyncio.run(main())
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    except InvalidToken:
        print("Telegram refused TELEGRAM_BOT_TOKEN; check it with @BotFather.", file=sys.stderr)
        return 2
    except TelegramError as exc:
        print(f"Telegram failed: {exc}", file=sys.stderr)
        return 1
    return 0
