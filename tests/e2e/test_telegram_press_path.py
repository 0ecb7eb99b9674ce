"""A Telegram press (issue 13): three calls at once over kept-alive connections,
and the conversation stays readable (the pressed message shows the answer, no live buttons)."""

from __future__ import annotations

import pytest

from tests.e2e.telegram_driver import BotRun, add_profile

pytestmark = pytest.mark.timeout(60)

TIDY = ("editMessageText", "editMessageReplyMarkup")


async def test_press_is_readable_and_connections_kept(fake, settings):
    async with BotRun(fake, settings, "polling") as run:
        run.link(7101, "kim@acme.example")
        add_profile(run, "kim@acme.example")
        user = run.user(7101)
        await user.say("/newcase")
        if "operating system" in user.keyboard_message()["text"]:
            await user.press("Windows 10", exact=True)
        seen = len(fake.calls)
        pressed = await user.press("Product Issues")
        made = [c.method for c in fake.calls[seen:] if c.method != "getUpdates"]
        assert made.count("sendMessage") == 1 and made.count("editMessageText") == 1
        assert "answerCallbackQuery" in made
        await user.say("Console is slow")
        await user.say("It takes a minute to open.")
        await user.press("Low", exact=True)
        await user.press("Submit", exact=True)
        assert user.case_number()
        old = [m for m in user.messages if m["message_id"] == pressed["message_id"]][0]
        assert "Product Issues" in old["text"] and not old.get("reply_markup")
        api_calls = [c for c in fake.calls if c.method != "getUpdates"]
        # PTB's HTTPXRequest pool keeps connections alive: far fewer than one per call
        assert len(api_calls) >= 12
        assert len(fake.connections) <= 5, (len(fake.connections), len(api_calls))
