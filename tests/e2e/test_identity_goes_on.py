"""Issue 10, item 6: after email verification the chat goes on with what the person first
asked for, instead of greeting with the list of commands (Telegram, against the stand-in)."""

from __future__ import annotations

import re

import pytest

from bot.settings import Settings
from store.uow import unit_of_work
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.telegram_driver import BotRun, TgUser

pytestmark = pytest.mark.timeout(60)


async def verify_after(run: BotRun, user: TgUser, first: str, email: str) -> list[str]:
    await user.say(first)
    assert "work email" in user.last_text
    await user.say(email)
    with unit_of_work(run.service.engine) as s:
        mail = next(m for m in s.outbox.recent() if m.kind == "verification" and m.to == email)
    found = re.search(r"\b(\d{8})\b", mail.body_text)
    assert found is not None
    code = found.group(1)
    before = len(user.messages)
    await user.say(code)
    return [m["text"] for m in user.messages[before:]]


async def test_newcase_before_verifying_opens_the_request_after(fake: FakeTelegram,
                                                                settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        texts = await verify_after(run, run.user(8101), "/newcase", "nia@acme.example")
    assert "linked to nia@acme.example" in texts[0]
    # the request is open; with no profile yet it opens on the profile form
    # (the notes and the question it is at come as one message)
    assert "no product profiles yet" in texts[-1]
    assert "name for this profile" in texts[-1]
    assert texts[-1].index("no product profiles yet") < texts[-1].index("name for this profile")
    assert not any("Commands:" in t for t in texts)


async def test_cases_before_verifying_lists_them_after(fake: FakeTelegram,
                                                       settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        texts = await verify_after(run, run.user(8102), "/cases", "ola@acme.example")
    assert "linked to ola@acme.example" in texts[0]
    assert "no cases yet" in texts[-1]


async def test_the_first_ask_survives_a_restart(fake: FakeTelegram, settings: Settings) -> None:
    """What the person first asked for is kept in the database, not in one process: a second
    bot (another worker, or the same one restarted) goes on with it after the code."""
    email = "pia@acme.example"
    async with BotRun(fake, settings, "polling") as first_run:
        user = first_run.user(8103)
        await user.say("/cases")
        assert "work email" in user.last_text
        await user.say(email)
    async with BotRun(fake, settings, "polling") as second_run:
        with unit_of_work(second_run.service.engine) as s:
            mail = next(m for m in s.outbox.recent() if m.kind == "verification" and m.to == email)
        found = re.search(r"\b(\d{8})\b", mail.body_text)
        assert found is not None
        code = found.group(1)
        user = second_run.user(8103)
        before = len(user.messages)
        await user.say(code)
        texts = [m["text"] for m in user.messages[before:]]
    assert "linked to pia@acme.example" in texts[0]
    assert "no cases yet" in texts[-1]
