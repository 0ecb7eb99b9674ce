"""Telegram delivery and abuse paths through the real Application and the Bot API stand-in.

Wrong webhook secret, replayed updates, stale taps and old inline buttons, taps read only
against that chat's keyboard, typed labels, markup-looking text, groups,
429 RetryAfter, albums, files over 20 MB, paging, verification limits and operator updates.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path

import pytest
from sqlmodel import select

from bot.protocol import Who
from bot.settings import Settings
from flows.model import Inbound
from store.repositories.conversations import ConvRow
from store.tables import ChatNotice, ProcessedEvent
from store.uow import unit_of_work
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.pseudo import update_case
from tests.e2e.telegram_driver import (
    SECRET,
    BotRun,
    case_json,
    linked,
    quick_case,
    to_subject,
)

pytestmark = pytest.mark.timeout(60)


async def test_wrong_webhook_secret_is_refused(fake: FakeTelegram, settings: Settings) -> None:
    async with BotRun(fake, settings, "webhook") as run:
        assert fake.webhook == {"url": f"http://127.0.0.1:{run.port}/tg/hook",
                                "secret_token": SECRET}
        user = await linked(run, 5101, "wes@acme.example")
        update = {"update_id": 777, "message": {
            "message_id": 1, "date": 0, "chat": {"id": 5101, "type": "private"},
            "from": {"id": 5101, "is_bot": False, "first_name": "W"}, "text": "/cases"}}
        statuses = [await asyncio.to_thread(fake.post_webhook, update, secret)
                    for secret in ("wrong", None, SECRET[:-1])]
        assert statuses == [403, 403, 403]
        await asyncio.sleep(0.2)
        assert 777 not in run.tg.processed
        assert not fake.sent(5101)
        assert await asyncio.to_thread(fake.post_webhook, update, SECRET) == 200
        await run.settle(777)
        assert "no cases yet" in user.last_text


async def test_replayed_update_is_handled_once(fake: FakeTelegram, settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 5201, "rex@acme.example")
        await to_subject(user)
        msg = {"message_id": 90, "date": 0, "chat": {"id": 5201, "type": "private"},
               "from": {"id": 5201, "is_bot": False, "first_name": "R"}, "text": "First subject"}
        await user.act(fake.enqueue, {"update_id": 4242, "message": dict(msg)})
        count = len(fake.of("sendMessage"))
        run.tg.processed.discard(4242)
        await user.act(fake.enqueue, {"update_id": 4242, "message": dict(msg)})
        assert len(fake.of("sendMessage")) == count  # nothing answered twice
        with unit_of_work(run.service.engine) as s:
            assert s.session.get(ProcessedEvent, "tg:4242") is not None
        assert "Describe the issue" in user.last_text


async def test_a_tap_is_read_against_the_question_the_request_is_at(fake: FakeTelegram,
                                                                    settings: Settings) -> None:
    """The keyboard this process remembers is for a draft another worker has since replaced
    with a new one at the same question: the user's keyboard is the one last sent, so the tap
    answers the question the request is at."""
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 5303, "sal@acme.example")
        await user.say("/newcase")
        if "operating system" in user.keyboard_message()["text"]:
            await user.press("Windows 10", exact=True)
        assert "What is it about?" in user.last_text
        who = Who("telegram", "5303", chat_ref="5303")
        for command in ("/cancel", "/newcase"):  # elsewhere: the draft moves on
            await asyncio.to_thread(run.tg.chat.handle, who, Inbound.from_text(command))
        draft = _draft(run, "5303")
        await user.tap("Product Issue: Product Issues")
        assert "out of date" not in user.last_text
        assert "Subject" in user.last_text
        assert _draft(run, "5303") == draft
        assert _state(run, "5303") == "subject"


async def test_stale_tap_after_the_request_moved_on_is_refused(fake: FakeTelegram,
                                                               settings: Settings) -> None:
    """The keyboard this process drew is for a question the request (moved on elsewhere) is
    no longer at, and the tap is none of the current question's buttons: it changes nothing
    and one message says so, with the question the request is at."""
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 5301, "sam@acme.example")
        await user.say("/newcase")  # the one profile is filled in
        if "operating system" in user.keyboard_message()["text"]:
            await user.press("Windows 10", exact=True)
        assert "What is it about?" in user.last_text
        who = Who("telegram", "5301", chat_ref="5301")
        # elsewhere: the question is answered and the request moves on to the subject
        await asyncio.to_thread(run.tg.chat.handle, who, Inbound.from_text("Product Issues"))
        draft = _draft(run, "5301")
        assert _state(run, "5301") == "subject"
        sends = len(fake.of("sendMessage"))
        await user.tap("Product Issue: Product Issues")
        assert len(fake.of("sendMessage")) == sends + 1
        assert "out of date" in user.last_text
        assert "Subject" in user.last_text
        assert _draft(run, "5301") == draft
        assert _state(run, "5301") == "subject"


async def test_an_old_inline_button_is_out_of_date(fake: FakeTelegram, settings: Settings) -> None:
    """Inline buttons survive only on messages sent before reply keyboards: pressing one
    changes nothing, its buttons go, and the current question comes with its keyboard."""
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 5302, "sue@acme.example")
        await to_subject(user)
        old = fake._store(5302, "Which product?", {"inline_keyboard": [[
            {"text": "Apex One", "callback_data": "c01234567.0.AAAAAAAAAAAA"}]]})
        await user.press_data(old, "c01234567.0.AAAAAAAAAAAA")
        assert fake.of("answerCallbackQuery")[-1].params.get("text") == \
            "That button is out of date."
        assert not next(m for m in user.messages if m["message_id"] == old["message_id"]).get(
            "reply_markup")
        assert "Subject" in user.last_text
        assert _state(run, "5302") == "subject"


async def test_a_tap_is_read_only_against_the_keyboard_of_that_chat(fake: FakeTelegram,
                                                                    settings: Settings) -> None:
    """Alice's review offers Submit; Mallory sending "Submit" is her own typed text."""
    async with BotRun(fake, settings, "polling") as run:
        alice = await linked(run, 5401, "alice@acme.example")
        mallory = await linked(run, 5402, "mallory@acme.example")
        await to_subject(alice)
        await alice.say("Console is slow")
        await alice.say("It takes a minute.")
        await alice.press("Low", exact=True)
        assert "Submit" in alice.keyboard()
        await to_subject(mallory)
        await mallory.say("Submit")
        assert "Describe" in mallory.last_text  # her subject is the word "Submit"
        assert not any("Case number" in t for t in fake.texts(5401) + fake.texts(5402))
        await alice.press("Submit", exact=True)
        assert alice.case_number()


async def test_typed_label_is_a_tap_even_after_a_restart(fake: FakeTelegram,
                                                         settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 5403, "tia@acme.example")
        await user.say("/newcase")
        if "operating system" in user.keyboard_message()["text"]:
            await user.press("Windows 10", exact=True)
        run.tg.chats.keyboards.clear()  # as after a restart: the keyboard drawn is not known
        await user.say("Product Issue: Product Issues")  # typed, exactly as the button
        assert "Subject" in user.last_text


def _conversation(run: BotRun, uid: str) -> ConvRow:
    """The conversation the Telegram user `uid` has open."""
    with unit_of_work(run.service.engine) as s:
        found = s.conversations.load_for_identity("telegram", uid)
    assert found is not None
    conv = found[1]
    assert conv is not None
    return conv


def _draft(run: BotRun, uid: str) -> str:
    return _conversation(run, uid).draft_id


def _state(run: BotRun, uid: str) -> str:
    return _conversation(run, uid).state


async def test_markup_in_user_text_is_shown_literally(fake: FakeTelegram,
                                                      settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 5501, "mia@acme.example")
        nasty = "<b>bold</b> *bold* _it_ <script>alert(1)</script> [x](http://e.example) @here"
        await to_subject(user)
        await user.say(nasty)
        await user.say(nasty + "\nsecond line")
        await user.press("Low", exact=True)
        review = user.keyboard_message()["text"]
        assert nasty in review
        assert not any("parse_mode" in c.params or "entities" in c.params for c in fake.calls
                       if c.method in ("sendMessage", "editMessageText"))
        await user.press("Submit", exact=True)
        number = user.case_number()
        assert case_json(run, number)["subject"] == nasty


async def test_group_gets_one_line_pointing_to_dm(fake: FakeTelegram, settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        await linked(run, 5601, "gus@acme.example")
        uid = await asyncio.to_thread(fake.say, 5601, "/newcase@casebot_test_bot",
                                      chat_id=-100123, chat_type="supergroup")
        await run.settle(uid)
        texts = fake.texts(-100123)
        assert len(texts) == 1
        assert "private chat" in texts[0]
        assert "\n" not in texts[0]
        assert "t.me/casebot_test_bot" in texts[0]


async def test_retry_after_is_honoured(fake: FakeTelegram, settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 5701, "ray@acme.example")
        fake.fail_next("sendMessage", retry_after=1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await user.say("/help")
        assert loop.time() - started >= 0.9
        assert "Commands" in user.last_text
        assert len([c for c in fake.of("sendMessage") if "Commands" in c.params["text"]]) == 2


async def test_album_all_kept_and_big_file_explained(fake: FakeTelegram,
                                                     settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 5801, "ada@acme.example")
        await to_subject(user)
        await user.say("Screens")
        await user.say("See the screenshots.")
        await user.press("Low", exact=True)
        await user.press("Edit Attachments")  # offered in the review, not asked
        for i in range(3):
            await asyncio.to_thread(fake.send_photo, 5801, bytes([i]) * 2000,
                                    media_group_id="alb1")
        last = await asyncio.to_thread(fake.send_document, 5801, "notes.txt", b"n" * 100,
                                       media_group_id="alb1")
        await run.settle(last)
        prompts = [m for m in user.messages if "Attached so far" in m["text"]]
        assert len(prompts) == 1  # one answer for the whole album
        assert prompts[0]["text"].count("photo_") == 3
        assert "notes.txt" in prompts[0]["text"]
        await user.document("huge.zip", b"z", size=25 * 1024 * 1024)
        assert "20 MB" in user.last_text
        assert "Split" in user.last_text
        await user.press("Done", exact=True)
        await user.press("Submit", exact=True)
        names = [a["name"] for a in case_json(run, user.case_number())["attachments"]]
        assert len(names) == 4
        assert "notes.txt" in names
        assert "huge.zip" not in names


async def test_long_choice_lists_page(fake: FakeTelegram, settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 5901, "pia@acme.example")
        await user.say("/profiles")
        await user.press("Add a new profile")
        await user.say("Second")
        first_page = user.keyboard_message()
        labels = [b["text"] for b in user.buttons(first_page)]
        assert len(labels) == 9
        assert labels[-1].endswith("›")
        await user.press("Deep Discovery", exact=False)  # on page 2: › then the button
        said = [m.get("text", "") for m in fake.transcript(5901)[-4:]]
        assert said[0] == labels[-1]
        assert said[1].startswith("Options 9–")
        assert "Deep Discovery" in said[2]
        assert "version" in user.last_text.lower()


async def test_operator_update_reaches_the_chat(fake: FakeTelegram, settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 6001, "oli@acme.example")
        number = await quick_case(user)
        update_case(run.service, number, status="in progress", note="We are on it.", actor="test")
        await run.until(lambda: any(f"on case {number}" in t and "We are on it." in t
                                    for t in fake.texts(6001)))
        assert "We are on it." in user.last_text
        await run.until(lambda: _notice_status(run) == ["sent"])


def _notice_status(run: BotRun) -> list[str]:
    with unit_of_work(run.service.engine) as s:
        return [n.status for n in s.session.exec(select(ChatNotice))]


async def test_verification_limits(fake: FakeTelegram, settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        user = run.user(6101)
        await user.say("hello")
        assert "work email" in user.last_text
        await user.say("not-an-email@")
        await user.say("vic@acme.example")
        await user.say("00000001")
        assert "4 tries left" in user.last_text
        await user.say("00000001")
        assert "3 tries left" in user.last_text
        await user.say("00000001")  # guesses come ever slower (issue 11)
        assert "Please wait 2 seconds" in user.last_text
        await user.say("vic@acme.example")
        await user.say("vic@acme.example")
        assert "8-digit code" in user.last_text
        await user.say("vic@acme.example")  # a 4th code for the address within the hour
        assert "try again later" in user.last_text
        await user.say("/newcase")  # still not linked
        assert "work email" in user.last_text


def test_webhook_without_secret_refused_at_start(tmp_path: Path, fake: FakeTelegram) -> None:
    from adapters.telegram.app import run
    from bot.processes import build_telegram

    settings = Settings(home=tmp_path / "h", telegram_bot_token=fake.token,
                        telegram_api_url=fake.url)
    assert run(settings, build_telegram, webhook_url="https://bot.example/hook", port=0) == 2
    assert run(Settings(home=tmp_path / "h"), build_telegram) == 2  # no token


def test_fake_records_json_bodies(fake: FakeTelegram) -> None:
    req = urllib.request.Request(f"{fake.url}/bot{fake.token}/getMe", data=b"{}",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert json.load(resp)["result"]["username"] == "casebot_test_bot"
