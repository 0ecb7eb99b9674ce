"""A case's conversation in Telegram (issue 23), through the real PTB Application and the Bot
API stand-in: an operator's message reaches the chat, the customer's reply to any message
about a case (text, a document, a photo) is on that case, a redelivered update is stored
once, three open cases are never mixed up, a message replying to nothing gets the one
question, Solved / Still broken and the survey are one press each, and an internal note never
reaches Telegram.

The case is read back as an operator reads it: `casebot cases show N --json`.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot import replies
from bot.settings import Settings
from flows.model import FileRef
from store.tables import ChatNotice
from store.uow import unit_of_work
from tests.e2e import pseudo
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.pseudo import update_case
from tests.e2e.telegram_driver import BotRun, TgUser, linked, quick_case

pytestmark = pytest.mark.timeout(180)

SECRET_NOTE = "INTERNAL-ONLY-7d1f: the customer's licence is forged"
OUTGOING = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "editMessageCaption",
            "sendDocument", "sendPhoto")


def shown(settings: Settings, number: str) -> dict[str, Any]:
    """`casebot cases show N --json`, as an operator runs it."""
    from bot.cli.main import app

    result = CliRunner().invoke(app, ["cases", "show", number, "--json"],
                                env={"CASEBOT_HOME": str(settings.home)},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def from_customer(settings: Settings, number: str) -> list[dict[str, Any]]:
    return [m for m in shown(settings, number)["messages"] if m["author_kind"] == "customer"]


def operator(run: BotRun, number: str, text: str, *, status: str | None = None,
             files: tuple[FileRef, ...] = (), internal: bool = False) -> None:
    """An operator's message on the case (as the console and `casebot cases reply` do)."""
    with unit_of_work(run.service.engine) as s:
        case = s.cases.by_number(number)
        assert case is not None
        replies.operator_message(s, case, operator="cli:op", text=pseudo.noted(text),
                                 status=status, files=list(files), internal=internal,
                                 default_language=run.service.default_language)
        s.commit()


def internal_note(run: BotRun, number: str) -> None:
    operator(run, number, SECRET_NOTE, internal=True)


async def arrived(run: BotRun, user: TgUser, text: str) -> dict[str, Any]:
    """The bot's newest message to the user holding `text` (waited for)."""
    def found() -> dict[str, Any] | None:
        return next((m for m in reversed(user.messages) if text in m.get("text", "")), None)

    await run.until(lambda: found() is not None and acked(run))
    msg = found()
    assert msg is not None
    return msg


async def document(run: BotRun, fake: FakeTelegram, name: str) -> dict[str, Any]:
    """The document named `name` the bot sent (waited for)."""
    def found() -> dict[str, Any] | None:
        return next((fake.messages[key] for key, d in list(fake.documents.items())
                     if d[0] == name), None)

    await run.until(lambda: found() is not None)
    msg = found()
    assert msg is not None
    return msg


def acked(run: BotRun) -> bool:
    """Every notice sent and acked (the ack is what remembers its messages for the case)."""
    with unit_of_work(run.service.engine) as s:
        return all(n.status == "sent" for n in s.session.exec(select(ChatNotice)))


def confirmation(user: TgUser, number: str) -> dict[str, Any]:
    return next(m for m in user.messages if f"Case number: {number}" in m.get("text", ""))


def inline_data(msg: dict[str, Any]) -> dict[str, str]:
    """An inline keyboard's button labels -> their callback data."""
    rows = (msg.get("reply_markup") or {}).get("inline_keyboard") or []
    return {b["text"]: b["callback_data"] for row in rows for b in row}


def never_leaked(fake: FakeTelegram) -> None:
    """No call that shows anything in a chat carried the internal note."""
    for method in OUTGOING:
        for call in fake.of(method):
            assert "INTERNAL-ONLY" not in json.dumps(call.params, default=str), call


async def reply(user: TgUser, to: dict[str, Any], text: str) -> int:
    return await user.act(user.fake.reply, user.id, text, to)


async def test_operator_question_and_replies_with_files(fake: FakeTelegram,
                                                        settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 7001, "ada@acme.example")
        number = await quick_case(user)
        await reply(user, confirmation(user, number), "One more thing: it started Monday.")
        assert f"Added to case {number}" in user.last_text
        internal_note(run, number)
        update_case(run.service, number, status=replies.WAITING, actor="cli:op",
                    note="Which agent version do you run?")
        question = await arrived(run, user, "Which agent version do you run?")
        assert "Reply to this message to answer." in question["text"]
        sent = await user.act(fake.send_document, user.id, "agent.log", b"agent 14.0\n" * 40,
                              caption="Version 14.0, log attached", reply_to=question)
        assert "with agent.log" in user.last_text
        await user.act(fake.send_photo, user.id, b"\x89PNG" + b"\0" * 300, reply_to=question)
        # the same update again, and the same message in a new update: stored once
        await user.act(fake.redeliver, sent)
        again = copy.deepcopy(fake.delivered[sent])
        del again["update_id"]
        await user.act(fake.enqueue, again)
        said = from_customer(settings, number)
        assert [m["text"] for m in said] == ["One more thing: it started Monday.",
                                             "Version 14.0, log attached", ""]
        assert all(m["channel"] == "telegram" and m["author"] == "ada@acme.example"
                   for m in said)
        assert [a["name"] for a in said[1]["attachments"]] == ["agent.log"]
        assert said[2]["attachments"][0]["name"].startswith("photo_")
        data = shown(settings, number)
        assert data["status"] == replies.CUSTOMER_REPLIED
        assert {"agent.log"} <= {a["name"] for a in data["attachments"]}
        never_leaked(fake)


async def test_three_open_cases_are_never_mixed_up(fake: FakeTelegram,
                                                   settings: Settings) -> None:
    """Replies to each case's messages (its confirmation, the operator's messages, the
    operator's document), in a random order: every one lands on its own case."""
    seed = random.randrange(2**32)
    rnd = random.Random(seed)
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 7101, "bob@acme.example")
        numbers = [await quick_case(user, f"Problem {k}") for k in range(3)]
        about: dict[str, list[dict[str, Any]]] = {n: [confirmation(user, n)] for n in numbers}
        for k, number in enumerate(numbers):
            internal_note(run, number)
            log = run.service.files.put_bytes(f"trace {k}\n".encode() * 20, f"trace-{k}.txt")
            operator(run, number, f"Question {k} about {number}?", status=replies.WAITING,
                     files=(log,))
            about[number].append(await arrived(run, user, f"Question {k} about {number}?"))
            name = f"trace-{k}.txt"
            about[number].append(await document(run, fake, name))
            await run.until(lambda: acked(run))
        expected: dict[str, list[str]] = {n: [] for n in numbers}
        for i in range(200):
            number = rnd.choice(numbers)
            text = f"message {i} for {number}"
            await reply(user, rnd.choice(about[number]), text)
            expected[number].append(text)
        misrouted = {n: [m["text"] for m in from_customer(settings, n)] for n in numbers}
        assert misrouted == expected, f"seed {seed}"
        never_leaked(fake)


async def test_a_message_replying_to_nothing_gets_one_question(fake: FakeTelegram,
                                                               settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 7201, "cid@acme.example")
        older = await quick_case(user, "Old problem")
        newer = await quick_case(user, "New problem")
        for number in (older, newer):
            update_case(run.service, number, status=replies.WAITING, actor="cli:op",
                        note=f"Anything else on {number}?")
            await arrived(run, user, f"Anything else on {number}?")
        before = len(from_customer(settings, newer))
        await user.say("It happens again since the update.")
        asked = user.messages[-1]
        assert "Is this about one of your open cases?" in asked["text"]
        buttons = inline_data(asked)
        assert list(buttons) == [f"Add to case {newer}", f"Add to case {older}", "New case"]
        assert all(len(d.encode()) <= 64 for d in buttons.values())
        assert len(from_customer(settings, newer)) == before  # not taken silently
        await user.press_data(asked, buttons[f"Add to case {newer}"])
        assert f"Added to case {newer}" in user.last_text
        assert from_customer(settings, newer)[-1]["text"] == \
            "It happens again since the update."
        assert "reply_markup" not in fake.messages[(user.id, asked["message_id"])]
        assert fake.of("answerCallbackQuery")
        # the same button again (an old copy of the message): answered, changes nothing
        await user.press_data(asked, buttons[f"Add to case {older}"])
        assert "already handled" in user.last_text
        assert len(from_customer(settings, newer)) == before + 1
        assert not from_customer(settings, older)
        # "New case": the held message describes a new request, in one press
        await user.say("Also the printer driver crashes when scanning.")
        asked = user.messages[-1]
        await user.press_data(asked, inline_data(asked)["New case"])
        assert "reply_markup" not in fake.messages[(user.id, asked["message_id"])]
        assert user.keyboard()  # the new request's question, with its buttons
        for number in (older, newer):
            assert "printer" not in json.dumps(from_customer(settings, number))


async def test_operator_file_arrives_as_a_document(fake: FakeTelegram,
                                                   settings: Settings) -> None:
    async with BotRun(fake, settings, "webhook") as run:
        user = await linked(run, 7301, "dee@acme.example")
        number = await quick_case(user)
        data = b"%PDF-1.4 fix instructions\n" * 30
        fix = run.service.files.put_bytes(data, "fix-steps.pdf")
        operator(run, number, "Please follow the attached steps.", files=(fix,))
        await run.until(lambda: bool(fake.documents))
        await run.until(lambda: acked(run))
        (key, (name, body)), = fake.documents.items()
        assert (name, body) == ("fix-steps.pdf", data)
        # the document is about the case too: a reply to it is on the case
        await reply(user, fake.messages[key], "Done, it works.")
        assert from_customer(settings, number)[-1]["text"] == "Done, it works."


async def test_resolved_solved_still_broken_and_the_survey(fake: FakeTelegram,
                                                           settings: Settings) -> None:
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 7401, "eve@acme.example")
        number = await quick_case(user)
        internal_note(run, number)
        update_case(run.service, number, status=replies.RESOLVED, actor="cli:op")
        asked = await arrived(run, user, "Is it solved for you?")
        first_survey = await arrived(run, user, "How satisfied are you")
        buttons = inline_data(asked)
        assert list(buttons) == ["Solved", "Still broken"]
        await user.press_data(asked, buttons["Still broken"])
        assert "reopened" in user.last_text
        assert shown(settings, number)["status"] != replies.RESOLVED
        assert "reply_markup" not in fake.messages[(user.id, asked["message_id"])]
        # a withdrawn survey's button: answered, stores nothing
        await user.press_data(first_survey, inline_data(first_survey)["5"])
        assert shown(settings, number)["satisfaction"] is None

        update_case(run.service, number, status=replies.RESOLVED, actor="cli:op")
        await run.until(lambda: sum("Is it solved" in t for t in fake.texts(user.id)) == 2)
        asked = await arrived(run, user, "Is it solved for you?")
        await user.press_data(asked, inline_data(asked)["Solved"])
        assert "closed" in user.last_text
        assert shown(settings, number)["status"] == "closed"
        await run.until(lambda: sum("How satisfied" in t for t in fake.texts(user.id)) == 2)
        survey = await arrived(run, user, "How satisfied are you")
        rates = inline_data(survey)
        assert list(rates) == ["1", "2", "3", "4", "5"]
        assert all(len(d.encode()) <= 64 for d in rates.values())
        await user.press_data(survey, rates["4"])
        assert shown(settings, number)["satisfaction"] == {"rating": 4, "comment": None}
        assert "reply_markup" not in fake.messages[(user.id, survey["message_id"])]
        await user.say("Quick and friendly, thanks.")
        assert shown(settings, number)["satisfaction"] == {
            "rating": 4, "comment": "Quick and friendly, thanks."}
        never_leaked(fake)


async def test_a_plain_answer_lands_on_the_case_the_engineer_asked_on(
        fake: FakeTelegram, settings: Settings) -> None:
    """The customer answers without replying to anything while the case is "in progress":
    the answer is on the case, no request starts, the bot names the case and offers "New
    case"; a document sent alone goes on with the answer; pressed, "New case" moves the answer
    into a new request. With a second live case, the next plain message gets one question."""
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 7401, "eva@acme.example")
        number = await quick_case(user, "Console hangs")
        subject = shown(settings, number)["subject"]
        update_case(run.service, number, status="in progress", actor="cli:op",
                    note="Which console version do you run?")
        await arrived(run, user, "Which console version do you run?")
        await user.say("The version is 20 LTS, log follows")
        receipt = user.messages[-1]
        assert receipt["text"] == (f"Added to case {number} ({subject}). The support team "
                                   "will see it.\nNot about this case? It can be a new "
                                   "request instead.")
        assert list(inline_data(receipt)) == ["New case"]
        await user.document("agent.log", b"agent 20 LTS\n" * 40)
        assert user.last_text.startswith(f"Added to case {number} ({subject}) with agent.log.")
        said = from_customer(settings, number)
        assert [m["text"] for m in said] == ["The version is 20 LTS, log follows", ""]
        assert [a["name"] for a in said[1]["attachments"]] == ["agent.log"]
        assert shown(settings, number)["status"] == replies.CUSTOMER_REPLIED

        await user.press_data(receipt, inline_data(receipt)["New case"])
        assert "reply_markup" not in fake.messages[(user.id, receipt["message_id"])]
        assert any(f"Taken out of case {number}; it starts a new request." in m.get("text", "")
                   for m in user.messages)
        assert user.keyboard()  # the new request's question, with its buttons
        assert [m["text"] for m in from_customer(settings, number)] == [""]
        await user.say("/cancel")

        other = await quick_case(user, "Agents offline")
        await user.say("The agents on the Linux servers stop reporting at night")
        asked = user.messages[-1]
        assert asked["text"].startswith("Is this about one of your open cases?")
        assert set(inline_data(asked)) == {f"Add to case {number}", f"Add to case {other}",
                                           "New case"}
        await user.press_data(asked, inline_data(asked)["New case"])
        assert user.keyboard()
        for n in (number, other):
            assert "Linux" not in json.dumps(from_customer(settings, n))
