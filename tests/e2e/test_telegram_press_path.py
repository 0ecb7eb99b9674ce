"""A Telegram tap (issue 13): one update answered by one Bot API call over kept-alive
connections, and a conversation that reads as question / answer afterwards (the user's taps are
their own messages, every reply sets or removes the keyboard, no message keeps buttons)."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import time

import pytest

from adapters.telegram.plumbing import ChatWorkers
from bot.settings import Settings
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.telegram_driver import BotRun, add_profile

pytestmark = pytest.mark.timeout(60)

PRODUCT = "Apex One agents stop reporting after the update"
STARTUP = ("getUpdates", "getMe", "setMyCommands", "setChatMenuButton", "deleteWebhook")


def made_since(fake: FakeTelegram, seen: int) -> list[str]:
    return [c.method for c in fake.calls[seen:] if c.method not in STARTUP]


async def test_a_tap_is_one_call_and_connections_are_kept(fake: FakeTelegram,
                                                          settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        run.link(7101, "kim@acme.example")
        add_profile(run, "kim@acme.example")
        user = run.user(7101)
        await user.say("/newcase")
        if "operating system" in user.keyboard_message()["text"]:
            await user.press("Windows 10", exact=True)
        seen = len(fake.calls)
        await user.press("Product Issues")
        assert made_since(fake, seen) == ["sendMessage"]
        assert "Subject" in user.last_text
        assert fake.keyboard(7101) is None  # a text question: the keyboard was removed
        await user.say("Console is slow")
        await user.say("It takes a minute to open.")
        seen = len(fake.calls)
        await user.press("Low", exact=True)
        assert made_since(fake, seen) == ["sendMessage"]
        await user.press("Submit", exact=True)
        assert user.case_number()
        api_calls = [c for c in fake.calls if c.method != "getUpdates"]
        # PTB's HTTPXRequest pool keeps connections alive: far fewer than one per call
        assert len(api_calls) >= 8
        assert len(fake.connections) <= 5, (len(fake.connections), len(api_calls))


async def test_a_whole_product_case_reads_as_question_and_answer(fake: FakeTelegram,
                                                                 settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        run.link(7102, "lea@acme.example")
        add_profile(run, "lea@acme.example")
        user = run.user(7102)
        await user.say(PRODUCT)
        await user.press("Product Issues")
        await user.press("Low", exact=True)
        await user.press("Submit", exact=True)
        number = user.case_number()
        transcript = fake.transcript(7102)
        bot = [m for m in transcript if m["from"]["is_bot"]]
        said = [m["text"] for m in transcript if not m["from"]["is_bot"]]
        # user and bot take turns: each answer follows the question it answers
        assert [m["from"]["is_bot"] for m in transcript] == [False, True] * 4
        assert said == [PRODUCT, "Product Issue: Product Issues", "Low", "Submit"]
        questions = [m["text"] for m in bot]
        assert "What is it about?" in questions[0]
        assert "How severe" in questions[1]
        assert "review" in questions[2].lower()
        assert number in questions[3]
        for asked, answer in zip(bot[:3], said[1:], strict=True):
            shown = [b["text"] if isinstance(b, dict) else b
                     for row in asked["reply_markup"]["keyboard"] for b in row]
            assert answer in shown  # the answer is a button of the question before it
        # every reply sets a keyboard or removes it; the case is done: nothing left up
        assert all("keyboard" in m["reply_markup"] or m["reply_markup"].get("remove_keyboard")
                   for m in bot)
        assert fake.keyboard(7102) is None
        assert not any("inline_keyboard" in (m.get("reply_markup") or {}) for m in transcript)
        assert not fake.of("editMessageText")
        assert not fake.of("answerCallbackQuery")


@pytest.mark.serial
async def test_chat_calls_never_stall_the_loop() -> None:
    """A chat API call that needs the loop (as `fetch_files` does) finishes, and slow calls of
    two chats leave the loop free (under load a loop waiting on a step, even for 5 ms, cut
    bench/load.py's throughput 2.6x: docs/benchmarks.md)."""
    workers = ChatWorkers()
    loop = asyncio.get_running_loop()
    try:
        def needs_the_loop() -> str:
            return asyncio.run_coroutine_threadsafe(asyncio.sleep(0, "fetched"), loop).result(5)

        assert await workers.run(1, needs_the_loop) == "fetched"

        ticks: list[float] = []

        async def tick() -> None:
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.005)

        ticking = asyncio.create_task(tick())
        await asyncio.sleep(0.02)
        await asyncio.gather(workers.run(1, time.sleep, 0.3), workers.run(2, time.sleep, 0.3),
                             workers.run(3, time.sleep, 0.01))
        ticking.cancel()
        assert max(b - a for a, b in itertools.pairwise(ticks)) < 0.1
    finally:
        workers.close()


async def test_a_slow_step_does_not_hold_up_other_chats(fake: FakeTelegram,
                                                        settings: Settings) -> None:
    """While one chat's step waits for the database (another writer holds SQLite's lock),
    the bot still fetches and answers another chat's update: the next getUpdates does not
    wait for that step."""
    async with BotRun(fake, settings, "polling") as run:
        run.link(7201, "ada@acme.example")
        path = run.service.engine.url.database
        assert path
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            slow = await asyncio.to_thread(fake.say, 7201, "/newcase")
            await asyncio.sleep(0.3)
            assert slow not in run.tg.processed  # its step waits for the lock
            # the second is fetched by a poll sent while the step runs (two groups: one group
            # gets a message every 3 s, Telegram's 20 a minute, README "Several machines")
            for chat in (-1001, -1002):
                group = await asyncio.to_thread(fake.say, 7202, "/start", chat_id=chat,
                                                chat_type="group")
                await run.until(lambda g=group: g in run.tg.processed, timeout=2)
            assert slow not in run.tg.processed
        finally:
            other.execute("ROLLBACK")
            other.close()
        await run.settle(slow)
        assert "private chat only" in fake.sent(-1001)[-1]["text"]
        assert "private chat only" in fake.sent(-1002)[-1]["text"]
        assert fake.sent(7201)  # and the slow step was answered once the lock was free
