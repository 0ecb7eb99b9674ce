"""Complete cases through the real PTB Application against the Bot API stand-in.

From /start to the case number: a product case with an attachment (polling and webhook, the
first user linked through the emailed 8-digit code), a threat sample with a password-protected
zip, and a URL reclassification.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.settings import Settings
from store.uow import unit_of_work
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.telegram_driver import (
    CODE,
    BotRun,
    TgUser,
    add_profile,
    case_json,
)
from tests.zipfactory import EncryptedZipMaker, make_aes_zip, make_zipcrypto_zip

pytestmark = pytest.mark.timeout(60)




async def verify(run: BotRun, user: TgUser, email: str) -> None:
    await user.say("/start")
    assert "work email" in user.last_text
    await user.say(email)
    assert "8-digit code" in user.last_text
    with unit_of_work(run.service.engine) as s:
        mail = next(m for m in s.outbox.recent() if m.kind == "verification" and m.to == email)
        found = re.search(r"\b(\d{8})\b", mail.body_text)
        assert found is not None
        code = found.group(1)
    await user.say("00000000" if code != "00000000" else "11111111")
    assert "not right" in user.last_text
    assert "4 tries left" in user.last_text
    await user.say(code)
    assert f"linked to {email}" in user.last_text  # and what to do next, in one message
    assert "/newcase" in user.last_text.split(f"linked to {email}", 1)[1]


async def common_tail(user: TgUser, *, severity: str = "Low") -> str:
    await user.press(severity, exact=True)
    assert "Review" in user.keyboard_message()["text"] or user.keyboard_message()["text"]
    await user.press("Submit", exact=True)
    return user.case_number()


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_product_case_with_attachment(fake: FakeTelegram, settings: Settings,
                                            mode: str) -> None:
    async with BotRun(fake, settings, mode) as run:
        user = run.user(4201)
        await verify(run, user, "ann@acme.example")
        await user.say("/newcase")  # no profile yet: the profile form opens at once
        await user.say("HQ Apex One")
        await user.press("Apex One", exact=True)
        await user.press("2019", exact=True)
        # multi-select: each tap toggles and is answered with one message saying what is
        # picked (the keyboard marks it ✓); Done finishes
        before = len(fake.of("sendMessage"))
        await user.press("Windows 10", exact=True)
        await user.press("Windows Server 2019", exact=True)
        assert len(fake.of("sendMessage")) == before + 2
        assert user.last_text.startswith("Selected: Windows 10, Windows Server 2019.")
        assert "✓ Windows 10" in user.keyboard()
        assert "✓ Windows Server 2019" in user.keyboard()
        await user.press("Windows Server 2019", exact=True)  # toggled off again
        assert user.last_text.startswith("Selected: Windows 10.")
        await user.press("Done", exact=True)
        await user.say(CODE)
        msg = user.keyboard_message()
        if "setting" in msg["text"].lower() or any(b["text"] == "Done" for b in
                                                   user.buttons(msg)):
            await user.press("Done", exact=True)
        await user.press("Save profile")
        await user.press("Product Issues")  # "Product Issue: Product Issues"
        await user.say("Agent <b>offline</b> *bold* <script>x</script>")
        await user.say("Since Monday the agent shows offline.\nRestarting did not help.")
        await user.press("Low", exact=True)
        await user.press("Edit Attachments")  # offered in the review, not asked
        await user.document("agent-log.txt", b"2024-01-01 agent stopped\n" * 50)
        assert "agent-log.txt" in user.keyboard_message()["text"]
        await user.press("Done", exact=True)
        await user.press("Submit", exact=True)
        number = user.case_number()
        data = case_json(run, number)
        assert data["channel"] == "telegram"
        assert data["subject"] == "Agent <b>offline</b> *bold* <script>x</script>"
        assert [a["name"] for a in data["attachments"]] == ["agent-log.txt"]
        assert data["operating_system"] == "Windows 10"
        assert fake.of("download")
        # nothing was sent with a parse mode: text shows literally
        assert not any("parse_mode" in c.params for c in fake.calls)
        # choices were reply keyboards: no message carries inline buttons, none was edited
        assert not any("inline_keyboard" in (c.params.get("reply_markup") or {})
                       for c in fake.of("sendMessage"))
        assert not fake.of("editMessageText")
        assert not fake.of("answerCallbackQuery")
        commands = fake.of("setMyCommands")[0].params["commands"]
        assert [c["command"] for c in commands] == ["start", "newcase", "cases", "case",
                                                    "profiles", "checkurl", "cancel", "back",
                                                    "language", "help"]


@pytest.mark.parametrize("maker", [make_aes_zip, make_zipcrypto_zip])
async def test_threat_sample_with_password_zip(fake: FakeTelegram, settings: Settings,
                                               tmp_path: Path, maker: EncryptedZipMaker) -> None:
    async with BotRun(fake, settings, "polling") as run:
        run.link(4301, "tom@acme.example")
        add_profile(run, "tom@acme.example")
        user = run.user(4301)
        await user.say("/newcase")  # the one profile is filled in
        if "operating system" in user.keyboard_message()["text"]:
            await user.press("Windows 10", exact=True)
        await user.press("Collected Threat Sample Analysis")
        await user.press("Conventional Scan")
        await user.say("Suspicious dropper found")
        await user.say("Found on three hosts.")
        await user.press("infected")
        sample = maker(tmp_path / "sample.zip", {"dropper.exe": b"MZ" + b"\0" * 500},
                       "infected")
        await user.document("sample.zip", sample.read_bytes())
        await user.press("Done", exact=True)
        number = await common_tail(user)
        data = case_json(run, number)
        assert data["issue_category"] == "Collected Threat Sample Analysis"
        assert data["reference_id"]
        assert data["reference_id"] in fake.texts(4301)[-1]
        assert [a["name"] for a in data["attachments"]] == ["sample.zip"]


async def test_url_reclassification(fake: FakeTelegram, settings: Settings) -> None:
    async with BotRun(fake, settings, "webhook") as run:
        run.link(4401, "uma@acme.example")
        add_profile(run, "uma@acme.example")
        user = run.user(4401)
        await user.say("/newcase")  # the one profile is filled in
        if "operating system" in user.keyboard_message()["text"]:
            await user.press("Windows 10", exact=True)
        await user.press("URL Reclassification")
        await user.say("http://bad.example/landing\nhttps://good.example/")
        await user.press("Dangerous", exact=True)
        # the categories open on the likely ones, with a button for each group
        labels = [b["text"] for b in user.buttons(user.keyboard_message())]
        assert labels[0] == "Likely for Dangerous: Phishing"
        assert "Adult (14) ›" in labels
        await user.press("Internet Security: Spyware", exact=True)  # a group, then it
        await user.press("Keep", exact=True)
        # the subject comes from the URLs, the description is optional: not asked
        number = await common_tail(user)
        data = case_json(run, number)
        assert data["issue_category"] == "URL Reclassification"
        urls = json.dumps(data["urls"])
        assert "bad.example" in urls
        assert "Dangerous" in urls
