"""Whole conversations in the pseudo-locale `en_XA` (issue 27): every message casebot renders
through its catalogs comes out ⟦wrapped⟧, so any customer-facing text left outside the
brackets bypassed them (an f-string, a concatenation, a string never marked). What the
customer typed and the catalog's data (products, systems, profile names) are excepted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.i18n import PSEUDO, pseudo
from bot.settings import Settings
from tests.e2e.conftest import EMAIL, Chat, Script
from tests.e2e.fake_slack import give_profiles, link, slack_rig
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.pseudo import data_words, untranslated, update_case
from tests.e2e.telegram_driver import BotRun, linked, quick_case
from tests.e2e.test_telegram_conversation import arrived, inline_data, operator

# These tests drive the pseudo-locale themselves and read its raw output (the rest of the suite
# reads it back in English through tests/e2e/pseudo.py).
pytestmark = pytest.mark.real_english("reads the raw pseudo-locale output itself")


def test_a_product_case_in_the_pseudo_locale_shows_nothing_untranslated(chat: Chat) -> None:
    chat.env["CASEBOT_DEFAULT_LANGUAGE"] = "en_XA"
    typed = ["HQ Apex One", "Agent crashes after pattern update", "The agent stops",
             "on every server.", "All servers are down."]
    s = Script().first_profile(typed[0], "Apex One", "2019",
                               ["Windows 10", "Windows Server 2016"],
                               settings=["Smart Scan Server"])
    s.say("Windows Server 2016", "Product Issues")
    s.common(typed[1], "\n".join(typed[2:4]), severity="High", impact=typed[4])
    result = chat.run(s.say("/cases", "/help", "/language", "/back", "/nosuch"))
    assert result.returncode == 0, result.stderr
    [number] = re.findall(pseudo("Case number: {n}").replace("{n}", r"(\d+)"), result.stdout)
    assert chat.case(number)["issue_category"] == "Product Issues"  # the English value
    bad = untranslated(result.stdout, data_words(*typed, number))
    assert not bad, "\n".join(bad)


def shown_words(value: Any) -> list[str]:
    """Every text a chat shows in a sent payload: Slack's block texts, option texts and
    placeholders, Telegram's texts, buttons and input placeholders."""
    if isinstance(value, dict):
        out = []
        for key, inner in value.items():
            if key in ("text", "input_field_placeholder") and isinstance(inner, str):
                out.append(inner)
            elif key not in ("action_id", "block_id", "value", "callback_data", "url"):
                out += shown_words(inner)
        return out
    if isinstance(value, list):
        return [w for v in value for w in shown_words(v)]
    return []


async def test_a_telegram_case_in_the_pseudo_locale_shows_nothing_untranslated(
        fake: FakeTelegram, settings: Settings) -> None:
    async with BotRun(fake, settings.model_copy(update={"default_language": PSEUDO}),
                      "polling") as run:
        user = await linked(run, 7301, EMAIL)
        typed = ["Console is slow", "It takes a minute to open."]
        await user.say("/newcase")
        await user.press(pseudo("Product Issues"))
        await user.say(typed[0])
        await user.say(typed[1])
        await user.press(pseudo("Low"), exact=True)
        await user.press(pseudo("Submit"), exact=True)
        await user.say("/cases")
        assert pseudo("Thank you. Your request has been submitted.") in "\n".join(
            m["text"] for m in user.messages)
        shown = "\n".join(shown_words(user.messages))
    bad = untranslated(shown, data_words(*typed, "HQ Apex One", "Windows 10"))
    assert not bad, "\n".join(bad)


def test_a_slack_case_in_the_pseudo_locale_shows_nothing_untranslated(tmp_path: Path) -> None:
    with slack_rig(tmp_path) as rig:
        slack, user = rig.slack, "U9"
        link(rig.service, user, EMAIL)
        give_profiles(rig.service, EMAIL, count=1)
        slack.command(user, "/case", f"language {PSEUDO}")
        typed = ["Console is slow", "It takes a minute to open."]
        slack.command(user, "/case", "new")
        slack.press(user, pseudo("Product Issues"))
        slack.say(user, typed[0])
        slack.say(user, typed[1])
        slack.press(user, pseudo("Low"))
        slack.press(user, pseudo("Submit"))
        slack.command(user, "/case", "list")
        sent = [c.args for c in rig.fake.calls if c.method in ("chat.postMessage",
                                                                "chat.update",
                                                                "chat.postEphemeral")]
        assert pseudo("Thank you. Your request has been submitted.") in json.dumps(
            sent, ensure_ascii=False)
        home = rig.slack.home(user)
    shown = "\n".join(shown_words([*sent, home]))
    bad = untranslated(shown, data_words(*typed, "Profile 1", "Windows 10"))
    assert not bad, "\n".join(bad)


# -- after Submit: an operator's reply, the customer's answer, resolution, Solved, survey ----

DESK = "desk@support.example"
ASKED = "Which agent build do you run?"
ANSWER = "Build 14.0.1 on every server"
FIXED = "Fixed by hotfix 4."
COMMENT = "Quick and friendly"


def test_after_submit_in_the_terminal_in_the_pseudo_locale(chat: Chat) -> None:
    """The conversation after Submit (intake.md, "After Submit") in `en_XA`: the operator's
    update as it reaches the terminal, the plain answer added to the case, the resolution's
    Solved / Still broken and the survey, and their answers. The contact chose the language
    (`/language`), so the operator CLI queues the notices in it."""
    subject = "Agent crashes after pattern update"
    s = Script().first_profile("HQ Apex One", "Apex One", "2019", ["Windows 10"])
    s.say("Windows 10", "Product Issues")
    s.common(subject, "It stops.")
    result = chat.run(s)
    [number] = re.findall(r"Case number: (\d+)", result.stdout)
    assert chat.run(Script().say(f"/language {PSEUDO}")).returncode == 0

    chat.cli("cases", "reply", number, "--as", DESK, "--status", "in progress", ASKED)
    first = chat.run(Script().say(ANSWER))
    chat.cli("cases", "reply", number, "--as", DESK, "--status", "resolved", FIXED)
    second = chat.run(Script().say(f"/solved {number}", "4", COMMENT))
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    case = chat.case(number)
    assert case["messages"][1]["text"] == ANSWER  # added to the case, no new request
    assert case["status"] == "closed"
    assert case["satisfaction"] == {"rating": 4, "comment": COMMENT}
    out = first.stdout + second.stdout
    for said in ("Update on case {number} ({subject}):", "Added to case {number} ({subject}).",
                 "Is it solved for you?", "Thank you. Case {number} is closed.",
                 "Thank you for the comment; it goes to the support team."):
        assert pseudo(said)[1:-1].split("{")[0] in out, said
    bad = untranslated(out, data_words(ANSWER, ASKED, FIXED, COMMENT, subject, number))
    assert not bad, "\n".join(bad)


def test_after_submit_on_slack_in_the_pseudo_locale(tmp_path: Path) -> None:
    """The same conversation through the Slack stand-in: the notices in the case's thread
    (the update, the resolution's buttons, the survey's), the DM answer's receipt, the
    presses' answers and the comment's thanks are all in `en_XA`."""
    with slack_rig(tmp_path) as rig:
        slack, user = rig.slack, "U9"
        link(rig.service, user, EMAIL)
        give_profiles(rig.service, EMAIL, count=1)
        subject = "Console is slow"
        slack.command(user, "/case", "new")
        slack.press(user, "Product Issues")
        slack.say(user, subject)
        slack.say(user, "It takes a minute to open.")
        slack.press(user, "Low")
        slack.press(user, "Submit")
        [number] = re.findall(r"Case number: (\d+)", slack.text(user))
        slack.command(user, "/case", f"language {PSEUDO}")
        since = len(rig.fake.calls)

        update_case(rig.service, number, actor="cli:op", status="in progress", note=ASKED)
        assert rig.bot.deliver_notices() == 1
        slack.say(user, ANSWER)  # a plain DM: the answer to the case the engineer asked on
        update_case(rig.service, number, actor="cli:op", status="resolved", note=FIXED)
        assert rig.bot.deliver_notices() == 3  # the update, Solved / Still broken, the survey
        slack.press(user, pseudo("Solved"))
        slack.press(user, "4")
        thread = [c for c in rig.fake.calls[since:] if c.args.get("thread_ts")]
        slack.say(user, COMMENT, thread=thread[0].args["thread_ts"])
        sent = [c.args for c in rig.fake.calls[since:]
                if c.method in ("chat.postMessage", "chat.update", "chat.postEphemeral")]
        shown = "\n".join(shown_words(sent))
        assert pseudo("Thank you for the comment; it goes to the support team.") in shown
    assert pseudo("Is this about one of your open cases?") not in shown
    bad = untranslated(shown, data_words(ANSWER, ASKED, FIXED, COMMENT, subject, number,
                                         "Profile 1"))
    assert not bad, "\n".join(bad)


async def test_after_submit_on_telegram_in_the_pseudo_locale(
        fake: FakeTelegram, settings: Settings) -> None:
    """The same conversation through the Telegram stand-in, the notices sent by the running
    application's own delivery."""
    async with BotRun(fake, settings, "polling") as run:
        user = await linked(run, 7302, EMAIL)
        number = await quick_case(user)
        await user.say(f"/language {PSEUDO}")
        since = len(user.messages)
        operator(run, number, ASKED, status="in progress")
        await arrived(run, user, ASKED)
        await user.say(ANSWER)  # a plain message: the answer to the case the engineer asked on
        operator(run, number, FIXED, status="resolved")
        asked = await arrived(run, user, pseudo("Is it solved for you?")[1:-1].split("{")[0])
        await user.press_data(asked, inline_data(asked)[pseudo("Solved")])
        survey = await arrived(run, user, pseudo("1 is very unsatisfied")[1:-1])
        await user.press_data(survey, inline_data(survey)["4"])
        await user.say(COMMENT)
        assert pseudo("Thank you for the comment; it goes to the support team.") in user.last_text
        shown = "\n".join(shown_words(user.messages[since:]))
    bad = untranslated(shown, data_words(ANSWER, ASKED, FIXED, COMMENT, "Console is slow",
                                         number))
    assert not bad, "\n".join(bad)
