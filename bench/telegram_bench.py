"""Telegram per-update cost (issue 3): casebot handling a step vs a fixed-reply floor.

Both variants are the real PTB Application built by `adapters.telegram.app.build_application`
(same per-chat update processor, same 429 handling), long polling the same Bot API stand-in
(tests/e2e/fake_telegram.py) on 127.0.0.1. The floor's only handler sends one fixed message;
casebot's handlers run one intake step (answer the subject, then /back, alternating) through
`Service.handle` on the chat's warm worker thread on SQLite and send the next question. A third
variant runs the same handlers with `asyncio.to_thread` instead (`workers=0`, the adapter's
earlier hand-off), so the two hand-offs are compared in the same run.

`--presses` measures button presses instead: each user alternates /back (to the category
question) and pressing its first button (casebot: answerCallbackQuery, the pressed message
edited to show the choice, the next question sent, the three at once; the floor answers the
press and sends its fixed message, both at once). Only the presses are timed. `--rtt MS` makes
the stand-in wait that long before answering each Bot API call, as a real network would; then
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session  # noqa: E402
from telegram.ext import CallbackQueryHandler, MessageHandler, filters  # noqa: E402

from adapters.telegram.app import build_application, serve_app  # noqa: E402
from adapters.telegram.plumbing import together  # noqa: E402
from bench.common import prepare  # noqa: E402
from bot.app import build_service  # noqa: E402
from bot.service import Who  # noqa: E402
from bot.settings import Settings  # noqa: E402
from store import repo  # noqa: E402
from tests.e2e.fake_telegram import FakeTelegram  # noqa: E402


class _Signalling(set):
    """The app's set of handled update ids, waking the bench when one is added."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: dict[int, asyncio.Future] = {}

    def add(self, item: int) -> None:
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


def setup(settings: Settings, users: int):
    service = build_service(settings)
    ids = []
    for i in range(users):
        uid = 10_000 + i
        with Session(service.engine) as s:
            contact = repo.ensure_contact(s, f"bench{i}@acme.example")
            repo.link_identity(s, contact, "telegram", str(uid), str(uid))
            s.commit()
        who = Who("telegram", str(uid), chat_ref=str(uid))
        prepare(service, who)
        ids.append(uid)
    return service, ids


def reply_at(fake: FakeTelegram, seen: int, chat_id: int) -> float:
    """When the stand-in received the first message sent to `chat_id` after call `seen`."""
    return min(c.at for c in fake.calls[seen:]
               if c.method == "sendMessage" and int(c.params.get("chat_id", 0)) == chat_id)


async def run_round(fake: FakeTelegram, settings: Settings, service, ids: list[int],
                    updates: int, floor: bool, turn: int, workers: int = 4,
                    presses: bool = False,
                    felt: list[float] | None = None) -> list[float]:
    """Times until the update is handled; `felt` gets the times until the stand-in has the
    reply (what the user waits for: update queued -> next question at "Telegram")."""
    app, tg = build_application(settings, service, workers)
    done = tg.processed = _Signalling()
    if floor:
        app.handlers[0].clear()

        async def fixed(update, context) -> None:
            try:
                await context.bot.send_message(update.effective_chat.id, "Noted.")
            finally:
                done.add(update.update_id)

        async def fixed_press(update, context) -> None:
            try:
                await together(update.callback_query.answer(),
                               context.bot.send_message(update.effective_chat.id,
                                    "Noted."))
            finally:
                done.add(update.update_id)

        app.add_handler(MessageHandler(filters.UpdateType.MESSAGE, fixed))
        app.add_handler(CallbackQueryHandler(fixed_press))
    stop = asyncio.Event()
    task = asyncio.create_task(serve_app(app, tg, settings, stop=stop, poll_timeout=1,
                                         notice_interval=3600))
    while not app.running:
        await asyncio.sleep(0.01)
    times = []
    for i in range(updates):
        uid = ids[i % len(ids)]
        first = (turn + i // len(ids)) % 2 == 0
        if presses and not first:
            # press the first button of the newest keyboard (the category question)
            # (the floor ignores what is pressed; casebot's /back just drew this keyboard)
            sent = fake.sent(uid)
            msg = next((m for m in reversed(sent) if m.get("reply_markup")), sent[-1])
            data = (msg["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
                    if msg.get("reply_markup") else "floor")
            seen = len(fake.calls)
            start, mono = time.perf_counter(), time.monotonic()
            await done.wait_for(fake.press(uid, msg, data))
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


async def main_async(args) -> None:
    fake = FakeTelegram(delay=args.rtt / 1000).start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp), telegram_bot_token=fake.token,
                            telegram_api_url=fake.url)
        service, ids = setup(settings, args.users)
        ours: list[float] = []
        hop: list[float] = []
        floor: list[float] = []
        felt: dict[str, list[float]] = {"casebot": [], "floor": []}
        updates = args.updates - args.updates % (2 * len(ids)) or 2 * len(ids)
        for r in range(args.rounds):
            a = await run_round(fake, settings, service, ids, updates, False, 0, args.workers,
                                args.presses, felt["casebot"])
            b = await run_round(fake, settings, service, ids, updates, True, 0, 4, args.presses,
                                felt["floor"])
            c = await run_round(fake, settings, service, ids, updates, False, 0, 0,
                                args.presses)
            ours += a
            floor += b
            hop += c
            print(f"round {r + 1}: casebot {statistics.median(a) * 1000:.2f} ms, "
                  f"floor {statistics.median(b) * 1000:.2f} ms, "
                  f"casebot via to_thread {statistics.median(c) * 1000:.2f} ms "
                  f"(ratio {statistics.median(a) / statistics.median(b):.2f}x)", flush=True)
        fake.close()
    m_ours, m_floor, m_hop = (statistics.median(ours), statistics.median(floor),
                              statistics.median(hop))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, SQLite WAL, {len(ids)} chats, {updates} updates x "
          f"{args.rounds} rounds per variant, {args.workers} worker threads, "
          f"{'button presses' if args.presses else 'text updates'} timed, "
          f"stand-in RTT {args.rtt:g} ms; load average "
          f"{os.getloadavg()[0]:.2f}")
    for name, values in (("casebot step", ours), ("fixed reply", floor),
                         ("casebot, to_thread", hop)):
        print(f"{name + ':':20s} median {statistics.median(values) * 1000:.2f} ms/update "
              f"(p90 {statistics.quantiles(values, n=10)[-1] * 1000:.2f} ms)")
    print(f"ratio: {m_ours / m_floor:.2f}x (to_thread: {m_hop / m_floor:.2f}x)")
    f_ours, f_floor = statistics.median(felt["casebot"]), statistics.median(felt["floor"])
    print(f"user-felt (update queued -> reply at the stand-in): casebot {f_ours * 1000:.2f} ms, "
          f"floor {f_floor * 1000:.2f} ms, ratio {f_ours / f_floor:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--updates", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--workers", type=int, default=4, help="worker threads (0: to_thread)")
    ap.add_argument("--presses", action="store_true", help="time button presses instead")
    ap.add_argument("--rtt", type=float, default=0.0,
                    help="ms the stand-in waits before answering each call (a network's RTT)")
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
