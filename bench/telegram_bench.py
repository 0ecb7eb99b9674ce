"""Telegram per-update cost (issue 3): casebot handling a step vs a fixed-reply floor.

Both variants are the real PTB Application built by `adapters.telegram.app.build_application`
(same per-chat update processor, same 429 handling), long polling the same Bot API stand-in
(tests/e2e/fake_telegram.py) on 127.0.0.1. The floor's only handler sends one fixed message;
casebot's handlers run one intake step (answer the subject, then /back, alternating) through
`Service.handle` on the chat's warm worker thread on SQLite and send the next question. A third
variant runs the same handlers with `asyncio.to_thread` instead (`workers=0`, the adapter's
earlier hand-off), so the two hand-offs are compared in the same run.

`--presses` measures taps on the reply keyboard instead: each user alternates /back (to the
category question, not timed) and tapping its first button, which sends the button's text as
a message (casebot answers with one sendMessage, the next question and its keyboard). The
floor answers a tap as a plain PTB app answers any message (one sendMessage); a second floor
row answers an inline-button press (answerCallbackQuery and one sendMessage, at once), what a
press cost at least before reply keyboards. Only the taps are timed. `--rtt MS` makes the
stand-in wait that long before answering each Bot API call, as a real network would; then
calls made together overlap and calls made one after another add up.

Each update is sent when the previous one has been handled, so the figure is the time from
"Telegram has the update" to "the bot has answered" (getUpdates, handler, sendMessage). Rounds
of the two variants alternate in one process; we report medians per update and their ratio.

    .venv/bin/python bench/telegram_bench.py [--users 20] [--updates 200] [--rounds 5]
                                             [--workers 4] [--presses] [--rtt MS]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Hashable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from adapters.bounded import RecentSet
from adapters.telegram.app import serve_app
from adapters.telegram.plumbing import together
from bench.common import prepare
from bot.app import build_service
from bot.processes import build_telegram
from bot.protocol import Who
from bot.service import Service
from bot.settings import Settings
from store.uow import unit_of_work
from tests.e2e.fake_telegram import FakeTelegram


class _Signalling(RecentSet):
    """The app's set of handled update ids, waking the bench when one is added."""

    def __init__(self) -> None:
        super().__init__(1 << 20)  # more than a run's updates: nothing is forgotten
        self.waiting: dict[Hashable, asyncio.Future[None]] = {}

    def add(self, item: Hashable) -> None:
        super().add(item)
        fut = self.waiting.pop(item, None)
        if fut is not None and not fut.done():
            fut.set_result(None)

    async def wait_for(self, item: int) -> None:
        if item in self:
            return
        fut = asyncio.get_running_loop().create_future()
        self.waiting[item] = fut
        await asyncio.wait_for(fut, 30)


def setup(settings: Settings, users: int) -> tuple[Service, list[int]]:
    service = build_service(settings)
    ids: list[int] = []
    for i in range(users):
        uid = 10_000 + i
        with unit_of_work(service.engine) as s:
            contact = s.contacts.ensure(f"bench{i}@acme.example")
            s.contacts.link_identity(contact, "telegram", str(uid), str(uid))
            s.commit()
        who = Who("telegram", str(uid), chat_ref=str(uid))
        prepare(service, who)
        ids.append(uid)
    return service, ids


def reply_at(fake: FakeTelegram, seen: int, chat_id: int) -> float:
    """When the stand-in received the first message sent to `chat_id` after call `seen`."""
    return min(c.at for c in fake.calls[seen:]
               if c.method == "sendMessage" and int(c.params.get("chat_id", 0)) == chat_id)


def floor_handlers(app: Application[Any, Any, Any, Any, Any, Any], done: _Signalling) -> None:
    """casebot's handlers replaced by the floor's: one sendMessage per message, and a press
    answered with answerCallbackQuery + one sendMessage."""
    app.handlers[0].clear()

    async def fixed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            assert update.effective_chat is not None
            await context.bot.send_message(update.effective_chat.id, "Noted.")
        finally:
            done.add(update.update_id)

    async def fixed_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            assert update.callback_query is not None
            assert update.effective_chat is not None
            await together(update.callback_query.answer(),
                           context.bot.send_message(update.effective_chat.id, "Noted."))
        finally:
            done.add(update.update_id)

    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE, fixed))
    app.add_handler(CallbackQueryHandler(fixed_press))


async def run_round(fake: FakeTelegram, settings: Settings, service: Service, ids: list[int],
                    updates: int, variant: str, turn: int, workers: int = 4,
                    presses: bool = False,
                    felt: list[float] | None = None) -> list[float]:
    """Times until the update is handled; `felt` gets the times until the stand-in has the
    reply (what the user waits for: update queued -> next question at "Telegram").

    `variant`: "casebot", "floor" (one sendMessage per message) or "floor-inline" (the same,
    and a press on an inline button answered with answerCallbackQuery + one sendMessage)."""
    app, tg = build_telegram(settings, service, workers)
    done = tg.processed = _Signalling()
    if variant != "casebot":
        floor_handlers(app, done)
    stop = asyncio.Event()
    task = asyncio.create_task(serve_app(app, tg, settings, stop=stop, poll_timeout=1,
                                         notice_interval=3600))
    while not app.running:
        await asyncio.sleep(0.01)
    times: list[float] = []
    for i in range(updates):
        uid = ids[i % len(ids)]
        first = (turn + i // len(ids)) % 2 == 0
        if presses and not first:
            # tap the first button of the keyboard shown (casebot's /back just drew the
            # category question's); the floors ignore what is tapped or pressed
            shown = fake.shown_buttons(uid)
            seen = len(fake.calls)
            start, mono = time.perf_counter(), time.monotonic()
            if variant == "floor-inline":
                update_id = fake.press(uid, fake.sent(uid)[-1], "floor")
            else:
                update_id = fake.say(uid, shown[0] if shown else "Noted")
            await done.wait_for(update_id)
            times.append(time.perf_counter() - start)
            if felt is not None:
                felt.append(reply_at(fake, seen, uid) - mono)
            continue
        # text: every user alternates subject / back so each casebot update is one step
        text = "/back" if presses or not first else "Agent crashes on update"
        seen = len(fake.calls)
        start, mono = time.perf_counter(), time.monotonic()
        update_id = fake.say(uid, text)
        await done.wait_for(update_id)
        if not presses:
            times.append(time.perf_counter() - start)
            if felt is not None:
                felt.append(reply_at(fake, seen, uid) - mono)
    stop.set()
    await task
    return times


async def main_async(args: argparse.Namespace) -> None:
    fake = FakeTelegram(delay=args.rtt / 1000).start()
    names = ["casebot step", "fixed reply", "casebot, to_thread"]
    if args.presses:
        names = ["casebot tap", "floor: one reply to a tap", "casebot, to_thread",
                 "floor: inline press (answer + reply)"]
    times: dict[str, list[float]] = {name: [] for name in names}
    felt: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp), telegram_bot_token=fake.token,
                            telegram_api_url=fake.url)
        service, ids = setup(settings, args.users)
        updates = args.updates - args.updates % (2 * len(ids)) or 2 * len(ids)
        variants = [("casebot", args.workers), ("floor", 4), ("casebot", 0),
                    ("floor-inline", 4)][:len(names)]
        for r in range(args.rounds):
            got = {}
            for name, (variant, workers) in zip(names, variants, strict=True):
                got[name] = await run_round(fake, settings, service, ids, updates, variant, 0,
                                            workers, args.presses, felt[name])
                times[name] += got[name]
            a, b, c = (statistics.median(got[n]) for n in names[:3])
            print(f"round {r + 1}: casebot {a * 1000:.2f} ms, floor {b * 1000:.2f} ms, "
                  f"casebot via to_thread {c * 1000:.2f} ms (ratio {a / b:.2f}x)", flush=True)
        fake.close()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, SQLite WAL, {len(ids)} chats, {updates} updates x "
          f"{args.rounds} rounds per variant, {args.workers} worker threads, "
          f"{'reply-keyboard taps' if args.presses else 'text updates'} timed, "
          f"stand-in RTT {args.rtt:g} ms; load average "
          f"{os.getloadavg()[0]:.2f}")
    for name in names:
        values = times[name]
        print(f"{name + ':':38s} median {statistics.median(values) * 1000:.2f} ms/update "
              f"(p90 {statistics.quantiles(values, n=10)[-1] * 1000:.2f} ms)")
    ours, floor, hop = (statistics.median(times[n]) for n in names[:3])
    print(f"ratio: {ours / floor:.2f}x (to_thread: {hop / floor:.2f}x)")
    f_ours, f_floor = statistics.median(felt[names[0]]), statistics.median(felt[names[1]])
    print(f"user-felt (update queued -> reply at the stand-in): casebot {f_ours * 1000:.2f} ms, "
          f"floor {f_floor * 1000:.2f} ms, ratio {f_ours / f_floor:.2f}x")
    if args.presses:
        inline = statistics.median(times[names[3]])
        print(f"against the inline-press floor: {ours / inline:.2f}x "
              f"(user-felt {f_ours / statistics.median(felt[names[3]]):.2f}x)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--updates", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--workers", type=int, default=4, help="worker threads (0: to_thread)")
    ap.add_argument("--presses", action="store_true",
                    help="time reply-keyboard taps instead (and an inline-press floor)")
    ap.add_argument("--rtt", type=float, default=0.0,
                    help="ms the stand-in waits before answering each call (a network's RTT)")
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
