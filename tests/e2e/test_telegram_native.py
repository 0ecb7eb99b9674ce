"""Issue 15 on Telegram: forwards and `/newcase` as a reply start a request described by the
messages; the menu button lists the commands; inline mode answers URL ratings and nothing
personal. The real PTB application against the stand-in Bot API."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from pathlib import Path
from typing import Any

import pytest

from bot.feeds import import_feed
from bot.settings import Settings
from store.uow import unit_of_work
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.telegram_driver import BotRun, TgUser, add_profile, case_json
from tests.zipfactory import make_aes_zip

pytestmark = pytest.mark.timeout(60)

EMAIL = "ann@acme.example"
ALERT = "Apex One console hangs again\nThe agents stop reporting after the update."


async def submit_product_case(user: TgUser) -> dict[str, Any]:
    await user.press("Product Issues")
    await user.press("Low", exact=True)
    await user.press("Submit", exact=True)
    return case_json(user.run, user.case_number())


async def test_a_forward_starts_a_request_described_by_it(fake: FakeTelegram,
                                                          settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        run.link(7101, EMAIL)
        add_profile(run, EMAIL)
        user = run.user(7101)
        await user.forward(ALERT, channel="acme_alerts", channel_post=321)
        assert "suggested" in user.keyboard_message()["text"] or any(
            "suggested" in b["text"] for b in user.buttons(user.keyboard_message()))
        case = await submit_product_case(user)
    assert case["subject"] == "Apex One console hangs again"
    assert case["description"] == ALERT
    assert case["source_url"] == "https://t.me/acme_alerts/321"
    assert case["channel"] == "telegram"


async def test_a_burst_of_forwards_is_one_request_with_their_files(fake: FakeTelegram,
                                                                   settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        run.link(7102, EMAIL)
        add_profile(run, EMAIL)
        user = run.user(7102)
        await asyncio.to_thread(fake.forward, 7102, "Apex One agents stop reporting")
        await asyncio.to_thread(fake.forward, 7102, caption="the console",
                                photo=b"\xff\xd8" + b"\0" * 500)
        last = await asyncio.to_thread(fake.forward, 7102,
                                       document=("agent.log", b"error 42\n" * 20))
        await run.settle(last)
        texts = "\n".join(fake.texts(7102))
        assert "Attached from the message" in texts
        assert "agent.log" in texts
        assert texts.count("Which kind of issue") <= 1
        case = await submit_product_case(user)
    assert case["description"] == "Apex One agents stop reporting\n\nthe console"
    assert sorted(a["name"] for a in case["attachments"])[0] == "agent.log"
    assert len(case["attachments"]) == 2


async def test_newcase_as_a_reply_uses_that_message(fake: FakeTelegram, settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        run.link(7103, EMAIL)
        add_profile(run, EMAIL)
        user = run.user(7103)
        earlier = fake._message(7103, None, "private", text=ALERT)
        await user.act(fake.reply, 7103, "/newcase", earlier)
        case = await submit_product_case(user)
    assert case["subject"] == "Apex One console hangs again"


async def test_a_forward_before_linking_identifies_first(fake: FakeTelegram,
                                                         settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        user = run.user(7104)
        await user.forward(caption=ALERT, document=("agent.log", b"error\n" * 5))
        assert "work email" in user.last_text
        await user.say("bo@acme.example")
        assert not fake.of("getFile")  # nothing fetched before the person is known
        with unit_of_work(run.service.engine) as s:
            mail = next(m for m in s.outbox.recent() if m.kind == "verification")
        found = re.search(r"\b(\d{8})\b", mail.body_text)
        assert found is not None
        await user.say(found.group(1))
        texts = "\n".join(fake.texts(7104))
    assert "linked to bo@acme.example" in texts
    assert fake.of("getFile")  # linked: the forwarded file is fetched and attached
    assert "Attached from the message: agent.log" in texts
    assert "no product profiles yet" in texts  # the request goes on with that message


async def test_a_forwards_file_survives_linking_on_another_process(fake: FakeTelegram,
                                                                   settings: Settings) -> None:
    """The forwarded file is kept as Telegram's file_id with the first ask in the database,
    not as a download in the process that saw it: a second bot process (another webhook
    worker, or this one restarted) that receives the mailed code fetches it."""
    email = "cy@acme.example"
    log = b"error 42: agent lost its server\n" * 5
    async with BotRun(fake, settings, "polling") as first_run:
        user = first_run.user(7107)
        await user.forward(caption=ALERT, document=("agent.log", log))
        assert "work email" in user.last_text
        await user.say(email)
    assert not fake.of("getFile")
    assert not fake.of("download")
    async with BotRun(fake, settings, "polling") as second_run:
        add_profile(second_run, email)
        with unit_of_work(second_run.service.engine) as s:
            mail = next(m for m in s.outbox.recent() if m.kind == "verification" and m.to == email)
        user = second_run.user(7107)
        found = re.search(r"\b(\d{8})\b", mail.body_text)
        assert found is not None
        await user.say(found.group(1))
        texts = "\n".join(fake.texts(7107))
        assert "linked to cy@acme.example" in texts
        assert "Attached from the message: agent.log" in texts
        case = await submit_product_case(user)
        blobs = second_run.service.files
    assert len(fake.of("getFile")) == len(fake.of("download")) == 1  # by the second process
    assert case["description"] == ALERT
    assert [(a["name"], a["sha256"]) for a in case["attachments"]] == [
        ("agent.log", hashlib.sha256(log).hexdigest())]
    assert b"".join(blobs.chunks(case["attachments"][0]["sha256"])) == log


async def test_menu_button_lists_the_commands(fake: FakeTelegram, settings: Settings) -> None:
    async with BotRun(fake, settings, "polling"):
        pass
    assert fake.menu_button == {"type": "commands"}
    names = [c["command"] for c in fake.of("setMyCommands")[0].params["commands"]]
    assert "newcase" in names
    assert "checkurl" in names


async def test_inline_query_answers_ratings_and_nothing_personal(fake: FakeTelegram,
                                                                 settings: Settings,
                                                                 tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text("url,host,rating,category\nhttps://shop.example.com/deals,,Safe,"
                    "Business/Economy\n")
    async with BotRun(fake, settings, "polling") as run:
        assert import_feed(run.service.engine, feed, actor="test").added == 1
        run.link(7105, EMAIL)
        add_profile(run, EMAIL)
        user = run.user(7105)
        await user.say(ALERT.replace("\n", " "))  # a case of their own exists
        await submit_product_case(user)
        started = time.monotonic()
        await user.act(fake.inline, 7105,
                       "https://shop.example.com/deals https://evil.example/x")
        took = time.monotonic() - started
        await user.act(fake.inline, 7105, "my cases please")
        await user.act(fake.inline, 7105, "")
    answers = fake.of("answerInlineQuery")
    assert len(answers) == 3
    assert took < 10  # Telegram drops an inline answer after about 10 s
    first = answers[0].params["results"]
    titles = [r["title"] for r in first]
    assert titles[0] == "hxxps://shop[.]example[.]com/deals — Safe · Business/Economy (Business)"
    assert titles[1].startswith("hxxps://evil[.]example/x — Untested")
    dumped = repr(answers)
    assert "1000000" not in dumped
    assert EMAIL not in dumped
    assert "Apex" not in dumped
    assert answers[1].params["results"] == []
    assert answers[2].params["results"] == []


async def test_a_forward_during_a_request_is_an_answer(fake: FakeTelegram,
                                                       settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        run.link(7106, EMAIL)
        add_profile(run, EMAIL)
        user = run.user(7106)
        await user.say("Collected a suspicious file sample from a laptop")
        await user.press("Collected Threat Sample Analysis")
        await user.press("Conventional Scan")
        await user.press("infected")
        zipped = make_aes_zip(run.settings.home / "s.zip", {"a.exe": b"MZ" + b"\0" * 300},
                              "infected").read_bytes()
        await user.forward(caption="from the SOC", document=("sample.zip", zipped))
        assert "Attached sample.zip" in "\n".join(fake.texts(7106))
        assert not any("in progress" in t for t in fake.texts(7106))
