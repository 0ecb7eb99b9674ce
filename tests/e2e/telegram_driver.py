"""Run the real Telegram Application against FakeTelegram and act as users in a DM.

`BotRun` starts `adapters.telegram.app.serve_app` (polling or webhook) in the test's event loop;
`TgUser` types, sends files and taps reply-keyboard buttons by label (a tap sends the
button's text, as a Telegram client does), waiting until the bot has handled each update (the
app records handled update ids; album replies are awaited too).
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from dataclasses import dataclass
from typing import Any

from adapters.telegram.app import serve_app
from bot.app import build_service
from bot.processes import build_telegram
from bot.settings import Settings
from store.uow import unit_of_work
from tests.e2e import pseudo
from tests.e2e.fake_telegram import FakeTelegram

CASE_NUMBER = re.compile(r"(?:Case number|ケース番号): (\d+)")  # English or Japanese UI
SECRET = "s3cret-hook_token"
CODE = "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7"


def add_profile(run: BotRun, email: str, name: str = "HQ Apex One", product: str = "Apex One",
                version: str = "2019", oses: tuple[str, ...] = ("Windows 10",)) -> None:
    """Give a contact a product profile directly, so a test starts at the request."""
    pseudo.data(name)
    with unit_of_work(run.service.engine) as s:
        contact = s.contacts.ensure(email)
        s.profiles.save(contact, {"name": name, "product": product, "version": version,
                                       "operating_systems": list(oses),
                                       "activation_code": {"new": CODE}, "settings": [],
                                       "language": "English"})
        s.commit()


async def linked(run: BotRun, user_id: int, email: str) -> TgUser:
    run.link(user_id, email)
    add_profile(run, email)
    return run.user(user_id)


async def to_subject(user: TgUser) -> None:
    await user.say("/newcase")  # the one profile is filled in
    if "operating system" in user.keyboard_message()["text"]:
        await user.press("Windows 10", exact=True)
    await user.press("Product Issues")  # "Product Issue: Product Issues"


async def quick_case(user: TgUser, subject: str = "Console is slow") -> str:
    await to_subject(user)
    await user.say(subject)
    await user.say("It takes a minute to open.")
    await user.press("Low", exact=True)
    await user.press("Submit", exact=True)
    return user.case_number()


def case_json(run: BotRun, number: str) -> dict[str, Any]:
    with unit_of_work(run.service.engine) as s:
        case = s.cases.by_number(number)
        assert case is not None
        return s.cases.as_json(case)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class BotRun:
    fake: FakeTelegram
    settings: Settings
    mode: str = "polling"

    async def __aenter__(self) -> BotRun:
        self.service = build_service(self.settings)
        self.app, self.tg = build_telegram(self.settings, self.service)
        self.stop = asyncio.Event()
        hook = None
        self.port = free_port()
        if self.mode == "webhook":
            hook = f"http://127.0.0.1:{self.port}/tg/hook"
        self.task = asyncio.create_task(serve_app(
            self.app, self.tg, self.settings, stop=self.stop, webhook_url=hook, port=self.port,
            listen="127.0.0.1", poll_timeout=1, notice_interval=0.2))
        await self.until(lambda: self.fake.of("setMyCommands") and (
            self.mode != "webhook" or self.fake.webhook is not None))
        if self.mode == "webhook":
            await self.until(lambda: self.app.running)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 15)

    async def until(self, cond: Any, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if self.task.done():
                self.task.result()
                raise AssertionError("the bot stopped")
            assert time.monotonic() < deadline, "timed out waiting for the bot"
            await asyncio.sleep(0.01)

    async def settle(self, update_id: int) -> None:
        await self.until(lambda: update_id in self.tg.processed and not self.tg.albums
                         and not self.tg.native.forwards)

    def link(self, user_id: int, email: str) -> None:
        with unit_of_work(self.service.engine) as s:
            contact = s.contacts.ensure(email)
            s.contacts.link_identity(contact, "telegram", str(user_id), str(user_id))
            s.commit()

    def user(self, user_id: int) -> TgUser:
        return TgUser(self, user_id)


class TgUser:
    def __init__(self, run: BotRun, user_id: int) -> None:
        self.run = run
        self.fake = run.fake
        self.id = user_id

    async def act(self, fn: Any, *args: Any, **kw: Any) -> int:
        update_id: int = await asyncio.to_thread(fn, *args, **kw)
        await self.run.settle(update_id)
        return update_id

    async def say(self, text: str) -> int:
        return await self.act(self.fake.say, self.id, text)

    async def forward(self, *args: Any, **kw: Any) -> int:
        return await self.act(self.fake.forward, self.id, *args, **kw)

    async def document(self, name: str, data: bytes, **kw: Any) -> int:
        return await self.act(self.fake.send_document, self.id, name, data, **kw)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.fake.sent(self.id)

    @property
    def last_text(self) -> str:
        text: str = self.messages[-1]["text"]
        return text

    def keyboard_message(self) -> dict[str, Any]:
        """The newest message that brought a reply keyboard."""
        for msg in reversed(self.messages):
            if "keyboard" in (msg.get("reply_markup") or {}):
                shown: dict[str, Any] = msg
                return shown
        raise AssertionError("no message with buttons")

    @staticmethod
    def buttons(msg: dict[str, Any]) -> list[dict[str, Any]]:
        markup = msg.get("reply_markup") or {}
        rows = markup.get("keyboard") or markup.get("inline_keyboard") or []
        return [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]

    def keyboard(self) -> list[str]:
        """The button texts the client shows now (nothing after a keyboard was removed)."""
        return self.fake.shown_buttons(self.id)

    async def press_data(self, msg: dict[str, Any], data: str) -> int:
        """An inline button (only messages from before reply keyboards have them)."""
        return await self.act(self.fake.press, self.id, msg, data)

    async def tap(self, text: str) -> int:
        assert text in self.keyboard(), f"no button {text!r} in {self.keyboard()}"
        return await self.say(self.fake.tapped(self.id, text))  # the label as it is shown

    async def press(self, label: str, *, exact: bool = False) -> dict[str, Any]:
        """Tap the button labelled `label` on the keyboard shown, paging with › if needed;
        returns the message that brought the keyboard."""
        for _ in range(20):
            msg = self.keyboard_message()
            shown = self.keyboard()
            hit = [t for t in shown if t == label or t == "✓ " + label]
            if not hit and not exact:
                hit = [t for t in shown if label.casefold() in t.casefold()]
            if hit:
                await self.tap(hit[0])
                return msg
            group = label.split(": ", 1)[0] + " ("  # a grouped keyboard opens on its groups
            nxt = [t for t in shown if t.startswith(group) and t.endswith("›")]
            nxt = nxt or [t for t in shown if t.endswith("›")]
            assert nxt, f"no button {label!r} in {shown}: {msg['text']}"
            await self.tap(nxt[0])
        raise AssertionError("paged too far")

    def case_number(self) -> str:
        for text in reversed([m["text"] for m in self.messages]):
            m = CASE_NUMBER.search(text)
            if m:
                return m.group(1)
        raise AssertionError("no case number: " + "\n---\n".join(
            m["text"] for m in self.messages[-5:]))
