"""Issue 23 on Slack: a case is a conversation in its thread of the customer's DM.

Through the real Bolt app (signed payloads) against the stand-in Web API: the submit
confirmation is the thread's parent, an operator's reply (and file) arrives in that thread, the
customer answers in the thread (with a file), Solved / Still broken and the survey are one press
each, and an internal note never reaches Slack. The case is read back as operators read it,
`casebot cases show N --json`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from adapters.slack.home import home_text
from bot import replies
from store.tables import CaseRef
from store.uow import unit_of_work
from tests.e2e import pseudo
from tests.e2e.conftest import UPDATED_EN
from tests.e2e.conftest import Chat as Home
from tests.e2e.fake_slack import Call, Rig, give_profiles, link, slack_rig
from tests.e2e.pseudo import update_case

pytestmark = pytest.mark.timeout(120)

EMAIL = "pat@acme.example"


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with slack_rig(tmp_path) as r:
        yield r


def show(rig: Rig, number: str) -> dict[str, Any]:
    """The case as `casebot cases show N --json` prints it (the operator CLI, this home)."""
    return Home(rig.settings.home).case(number)


def submit(rig: Rig, user: str, text: str) -> tuple[str, str]:
    """A case opened from a message (the request goes on in the DM); its number and the ts of
    its confirmation, the parent of its thread."""
    rig.slack.message_shortcut(user, text)
    rig.slack.press(user, "Product Issues")
    rig.slack.press(user, "Low")
    rig.slack.press(user, "Submit")
    done = [c for c in rig.slack.messages(user) if "Case number:" in c.args.get("text", "")]
    assert done, rig.slack.text(user)[-1500:]
    number = done[-1].args["text"].split("Case number: ", 1)[1].split()[0]
    return number, done[-1].result["ts"]


def customer(rig: Rig, user: str = "U1", email: str = EMAIL) -> None:
    link(rig.service, user, email)
    give_profiles(rig.service, email, count=1)


def deliver(rig: Rig) -> int:
    return rig.bot.deliver_notices()


def ask_customer(rig: Rig, number: str, question: str) -> None:
    """An operator's public reply that waits for the customer (`casebot cases update`)."""
    update_case(rig.service, number, actor="cli:op", note=question,
                status=replies.WAITING)


def no_buttons(call: Call) -> bool:
    return all(b.get("type") != "actions" for b in call.args.get("blocks") or [])


def test_operator_question_and_customer_answer_with_a_file_in_the_thread(rig: Rig) -> None:
    customer(rig)
    number, parent = submit(rig, "U1", "The Apex One console hangs after the update")
    ask_customer(rig, number, "Which build is the console on?")
    assert deliver(rig) == 1
    question = rig.slack.in_thread("U1", parent)
    assert len(question) == 1
    assert "Which build is the console on?" in question[0].args["text"]
    assert "Reply to this message" in question[0].args["text"]

    # the customer's one action: reply in the thread, here with a file
    log = rig.fake.add_file("F1", "console.log", b"build 19.0.1234\n" * 20)
    before = len(rig.slack.messages("U1"))
    rig.slack.say("U1", "Build 1234, log attached", thread=parent, files=[log])
    said = rig.slack.messages("U1")[before:]
    assert len(said) == 1
    assert said[0].args.get("thread_ts") == parent  # the bot answers in the same thread
    assert f"Added to case {number}" in said[0].args["text"]
    data = show(rig, number)
    answer = data["messages"][-1]
    assert (answer["author"], answer["author_kind"], answer["channel"]) == (
        EMAIL, "customer", "slack")
    assert answer["text"] == "Build 1234, log attached"
    assert [a["name"] for a in answer["attachments"]] == ["console.log"]
    assert data["status"] == replies.CUSTOMER_REPLIED
    assert "console.log" in [a["name"] for a in data["attachments"]]
    # a plain reply in the thread, no file
    rig.slack.say("U1", "It also hangs on the second server.", thread=parent)
    assert show(rig, number)["messages"][-1]["text"] == "It also hangs on the second server."


def test_a_redelivered_event_is_stored_once(rig: Rig) -> None:
    customer(rig)
    number, parent = submit(rig, "U1", "Apex One agents stop reporting to the server")
    ts = "1700000999.000100"
    rig.slack.say("U1", "Still happening", thread=parent, ts=ts, event_id="EvSame")
    posted = len(rig.fake.of("chat.postMessage"))
    rig.slack.say("U1", "Still happening", thread=parent, ts=ts, event_id="EvSame", retry=1)
    # the same message under another event id (Slack's at-least-once delivery)
    rig.slack.say("U1", "Still happening", thread=parent, ts=ts, event_id="EvOther")
    assert len(rig.fake.of("chat.postMessage")) == posted  # said once
    texts = [m["text"] for m in show(rig, number)["messages"]]
    assert texts.count("Still happening") == 1


def test_three_cases_each_answered_in_its_own_thread(rig: Rig) -> None:
    """A randomized conversation: 210 replies over three threads, none misrouted."""
    customer(rig)
    threads = dict(submit(rig, "U1", f"Apex One problem number {n} on the servers")
                   for n in range(3))
    for number in threads:
        ask_customer(rig, number, f"Question about {number}?")
    assert deliver(rig) == 3
    for number, parent in threads.items():
        assert [f"Question about {number}?" in c.args["text"]
                for c in rig.slack.in_thread("U1", parent)] == [True]
    rng = random.Random(23)
    sent: dict[str, list[str]] = {n: [] for n in threads}
    numbers = list(threads)
    for i in range(210):
        number = rng.choice(numbers)
        text = f"reply {i} for {number}"
        rig.slack.say("U1", text, thread=threads[number])
        sent[number].append(text)
    misrouted = 0
    for number, parent in threads.items():
        stored = [m["text"] for m in show(rig, number)["messages"]
                  if m["author_kind"] == "customer"]
        misrouted += sum(1 for t in stored if not t.endswith(f"for {number}"))
        assert stored == sent[number]
        answers = rig.slack.in_thread("U1", parent)[1:]
        assert len(answers) == len(sent[number])
        assert all(f"Added to case {number}" in c.args["text"] for c in answers)
    assert misrouted == 0
    assert sum(len(v) for v in sent.values()) >= 200


def test_a_message_outside_any_thread_asks_once_and_is_added_in_one_press(rig: Rig) -> None:
    customer(rig)
    first, _ = submit(rig, "U1", "Apex One pattern update fails every night")
    second, _ = submit(rig, "U1", "Apex One console login is slow for admins")
    for number in (first, second):
        ask_customer(rig, number, "Can you send the error text?")
    deliver(rig)
    before = len(rig.slack.messages("U1"))
    rig.slack.say("U1", "The error says E_TIMEOUT")
    asked = rig.slack.messages("U1")[before:]
    assert len(asked) == 1  # one question, nothing filed yet
    labels = [e["text"]["text"] for b in asked[0].args["blocks"] if b["type"] == "actions"
              for e in b["elements"]]
    assert labels == [f"Add to case {second}", f"Add to case {first}", "New case"]
    assert not asked[0].args.get("thread_ts")
    assert "E_TIMEOUT" not in json.dumps(show(rig, first)["messages"])

    rig.slack.press("U1", f"Add to case {first}", asked[0])
    pressed = rig.slack.messages("U1")[before]
    assert no_buttons(pressed)  # the choice replaced the buttons: one line of what was chosen
    assert f"→ *Add to case {first}*" in json.dumps(pressed.args["blocks"], ensure_ascii=False)
    assert f"Added to case {first}" in pressed.args["text"]
    assert show(rig, first)["messages"][-1]["text"] == "The error says E_TIMEOUT"
    assert "E_TIMEOUT" not in json.dumps(show(rig, second)["messages"])
    # the old buttons pressed again (a stale payload): harmless, stored once
    rig.slack.press("U1", f"Add to case {second}", asked[0])
    assert "already handled" in rig.slack.text("U1")
    assert json.dumps(show(rig, first)["messages"]).count("E_TIMEOUT") == 1
    assert "E_TIMEOUT" not in json.dumps(show(rig, second)["messages"])


def test_an_operator_file_reaches_the_thread(rig: Rig) -> None:
    customer(rig)
    number, parent = submit(rig, "U1", "Apex One needs a hotfix for the agent crash")
    data = b"PK\x03\x04 hotfix bytes " * 50
    ref = rig.service.files.put_counted(iter([data]), "hotfix.zip").ref
    with unit_of_work(rig.service.engine) as s:
        case = s.cases.by_number(number)
        assert case is not None
        replies.operator_message(s, case, operator="op@vendor.example",
                                 text=pseudo.noted("Please apply this hotfix."), files=[ref],
                                 default_language=rig.service.default_language)
        s.commit()
    assert deliver(rig) == 1
    posted = rig.slack.in_thread("U1", parent)
    assert "Please apply this hotfix." in posted[-1].args["text"]
    assert len(rig.fake.uploads) == 1
    up = rig.fake.uploads[0]
    assert (up.channel, up.thread_ts, up.name, up.data) == ("DU1", parent, "hotfix.zip", data)
    assert [c.method for c in rig.fake.calls if c.method.startswith("files.")] == [
        "files.getUploadURLExternal", "files.completeUploadExternal"]


def test_a_notice_without_a_thread_starts_one(rig: Rig) -> None:
    """A case whose confirmation is not remembered (opened before issue 23): the operator's
    message is posted at the top and becomes the case's thread."""
    customer(rig)
    number, _ = submit(rig, "U1", "Apex One scan schedules are ignored on agents")
    with unit_of_work(rig.service.engine) as s:
        for row in s.session.exec(select(CaseRef)):
            s.session.delete(row)
        s.commit()
    ask_customer(rig, number, "Which schedule?")
    deliver(rig)
    notice = rig.slack.last("U1")
    assert "Which schedule?" in notice.args["text"]
    assert not notice.args.get("thread_ts")
    rig.slack.say("U1", "The nightly one", thread=notice.result["ts"])
    assert show(rig, number)["messages"][-1]["text"] == "The nightly one"
    ask_customer(rig, number, "And the weekly one?")
    deliver(rig)
    assert rig.slack.last("U1").args.get("thread_ts") == notice.result["ts"]


def test_resolved_solved_and_still_broken_one_press_each_then_the_survey(rig: Rig) -> None:
    customer(rig)
    number, parent = submit(rig, "U1", "Apex One web reputation blocks the intranet")
    update_case(rig.service, number, actor="cli:op", status="resolved")
    assert deliver(rig) == 2  # Solved / Still broken, then the survey
    asks = rig.slack.in_thread("U1", parent)
    labels = [[e["text"]["text"] for b in c.args["blocks"] if b["type"] == "actions"
               for e in b["elements"]] for c in asks]
    assert labels == [["Solved", "Still broken"], ["1", "2", "3", "4", "5"]]
    values = [e["value"] for b in asks[0].args["blocks"] if b["type"] == "actions"
              for e in b["elements"]]
    assert values == [f"cmd:solved:{number}", f"cmd:stillbroken:{number}"]

    rig.slack.press("U1", "Still broken", asks[0])
    assert show(rig, number)["status"] == replies.CUSTOMER_REPLIED  # reopened
    pressed = rig.slack.in_thread("U1", parent)[0]
    assert no_buttons(pressed)
    assert "→ *Still broken*" in json.dumps(pressed.args["blocks"], ensure_ascii=False)
    assert "is reopened" in pressed.args["text"]
    rig.slack.press("U1", "5", asks[1])  # the withdrawn survey changes nothing
    assert "withdrawn" in rig.slack.text("U1")
    assert show(rig, number)["satisfaction"] is None

    update_case(rig.service, number, actor="cli:op", status="resolved")
    assert deliver(rig) == 2
    rig.slack.press("U1", "Solved")
    assert show(rig, number)["status"] == "closed"
    rig.slack.press("U1", "4")
    assert show(rig, number)["satisfaction"] == {"rating": 4, "comment": None}
    # the comment: the next message, typed in the thread where the survey was asked
    rig.slack.say("U1", "Quick and friendly, thanks", thread=parent)
    data = show(rig, number)
    assert data["satisfaction"] == {"rating": 4, "comment": "Quick and friendly, thanks"}
    assert data["status"] == "closed"  # a comment, not a message that reopens it
    assert "Thank you for the comment" in rig.slack.in_thread("U1", parent)[-1].args["text"]


def test_home_shows_cases_waiting_for_the_customer(rig: Rig) -> None:
    customer(rig)
    number, _ = submit(rig, "U1", "Apex One update server rejects the agents")
    other, _ = submit(rig, "U1", "Apex One console exports are empty")
    ask_customer(rig, number, "Which proxy do you use?")
    deliver(rig)  # refreshes the home tab
    view = rig.slack.home("U1")
    shown = home_text(view)
    assert "Waiting for your answer" in shown
    assert UPDATED_EN.search(shown), shown  # in English format, in UTC
    waiting = next(b for b in view["blocks"] if b.get("block_id") == "home.waiting")
    assert number in waiting["text"]["text"]
    assert other not in waiting["text"]["text"]
    assert "Reply in the case's thread" in json.dumps(view)


def test_an_internal_note_never_reaches_slack(rig: Rig) -> None:
    customer(rig)
    number, _ = submit(rig, "U1", "Apex One license shows expired on some agents")
    secret = "INTERNAL-ONLY customer is on an unsupported build"
    data = b"internal attachment"
    ref = rig.service.files.put_counted(iter([data]), "internal.txt").ref
    with unit_of_work(rig.service.engine) as s:
        case = s.cases.by_number(number)
        assert case is not None
        replies.operator_message(s, case, operator="op@vendor.example", text=secret,
                                 internal=True, files=[ref])
        s.commit()
    assert deliver(rig) == 0
    ask_customer(rig, number, "A public question")  # the public one goes, alone
    assert deliver(rig) == 1
    rig.slack.open_home("U1")
    rig.slack.command("U1", "/case", f"show {number}")
    seen = [c for c in rig.fake.calls if c.method in (
        "chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish",
        "files.getUploadURLExternal", "files.completeUploadExternal")]
    assert any("A public question" in json.dumps(c.args) for c in seen)
    wire = json.dumps([c.args for c in seen])
    assert "INTERNAL-ONLY" not in wire
    assert "internal.txt" not in wire
    assert rig.fake.uploads == []
    assert secret in json.dumps(_internal(rig, number))  # kept on the case, for operators


def _internal(rig: Rig, number: str) -> dict[str, Any]:
    with unit_of_work(rig.service.engine) as s:
        case = s.cases.by_number(number)
        assert case is not None
        return s.cases.as_json(case, internal=True)


def buttons(call: Call) -> list[str]:
    """The labels of a message's controls (a select's placeholder)."""
    return [(e.get("text") or e.get("placeholder") or {}).get("text", "")
            for b in call.args.get("blocks") or [] if b["type"] == "actions"
            for e in b["elements"]]


def test_a_plain_dm_answer_lands_on_the_case_the_engineer_asked_on(rig: Rig) -> None:
    """The customer answers in the DM, not in the thread, while the case is "in progress":
    the answer is on the case, no request starts, the reply names the case and offers the way
    out; a file sent alone right after goes with it; "New case" moves the answer out."""
    customer(rig)
    number, _ = submit(rig, "U1", "The Apex One console hangs after the update")
    update_case(rig.service, number, actor="cli:op", status="in progress",
                note="Which console version do you run?")
    assert deliver(rig) == 1
    subject = show(rig, number)["subject"]
    log = rig.fake.add_file("F7", "console.log", b"version 20 LTS\n" * 20)
    before = len(rig.slack.messages("U1"))
    rig.slack.say("U1", "The version is 20 LTS, log attached", files=[log])
    said = rig.slack.messages("U1")[before:]
    assert len(said) == 1  # the answer's receipt, and no new request's question
    assert not said[0].args.get("thread_ts")
    assert said[0].args["text"] == (f"Added to case {number} ({subject}) with console.log. "
                                    "The support team will see it.\nNot about this case? It "
                                    "can be a new request instead.")
    assert buttons(said[0]) == ["New case"]
    data = show(rig, number)
    assert data["messages"][-1]["text"] == "The version is 20 LTS, log attached"
    assert [a["name"] for a in data["messages"][-1]["attachments"]] == ["console.log"]
    assert data["status"] == replies.CUSTOMER_REPLIED
    # a file sent alone a moment later goes on with the answer
    shot = rig.fake.add_file("F8", "screen.png", b"\x89PNG" + b"\0" * 300)
    rig.slack.say("U1", "", files=[shot])
    assert f"Added to case {number} ({subject}) with screen.png." in rig.slack.last(
        "U1").args["text"]
    assert [m["attachments"][0]["name"] for m in show(rig, number)["messages"][-2:]] == [
        "console.log", "screen.png"]
    # not about this case after all: one press makes the answer a new request
    rig.slack.press("U1", "New case", said[0])
    pressed = rig.slack.messages("U1")[before]
    assert no_buttons(pressed)
    assert "→ *New case*" in json.dumps(pressed.args["blocks"], ensure_ascii=False)
    assert f"Taken out of case {number}; it starts a new request." in rig.slack.text(
        "U1", before)
    assert buttons(rig.slack.last("U1"))  # the new request's first question
    data = show(rig, number)
    assert "20 LTS" not in json.dumps(data["messages"])
    assert data["status"] == replies.CUSTOMER_REPLIED  # the screenshot is still its answer


def test_a_plain_dm_with_two_live_cases_asks_once(rig: Rig) -> None:
    customer(rig)
    first, _ = submit(rig, "U1", "Apex One pattern update fails every night")
    second, _ = submit(rig, "U1", "Apex One console login is slow for admins")
    update_case(rig.service, first, actor="cli:op", status="in progress",
                note="Does it fail on every server?")
    deliver(rig)
    before = len(rig.slack.messages("U1"))
    rig.slack.say("U1", "Also the agents on the Linux servers stop reporting at night")
    asked = rig.slack.messages("U1")[before:]
    assert len(asked) == 1
    assert asked[0].args["text"].startswith("Is this about one of your open cases?")
    assert buttons(asked[0]) == [f"Add to case {first}", f"Add to case {second}", "New case"]
    rig.slack.press("U1", "New case", asked[0])
    assert buttons(rig.slack.last("U1"))  # the new request's first question
    for number in (first, second):
        assert "Linux" not in json.dumps(show(rig, number)["messages"])
