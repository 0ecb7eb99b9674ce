"""A whole conversation in the terminal (intake.md, "After Submit"): the customer opens a case
with `casebot chat`, an engineer asks with `casebot cases reply`, the next `casebot chat`
shows the question, `/reply N …` and `/attach FILE` answer it, Solved / Still broken and the
survey are one line each. Internal notes never reach the terminal, the outbox or `/case`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from bot.app import build_engine
from bot.cli.main import app
from bot.settings import Settings
from store.tables import ChatNotice, OutboxMail
from store.uow import unit_of_work
from tests.e2e.conftest import EMAIL, Chat, Script, submitted

APEX = ("HQ Apex One", "Apex One", "2019", ["Windows 10", "Windows Server 2016"])
DESK = "desk@support.example"
SECRET = "Customer runs a pirated build; do not mention it."


def open_case(chat: Chat) -> str:
    s = Script().first_profile(*APEX, settings=["Smart Scan Server"])
    s.say("Windows Server 2016", "Product Issues")
    s.common("Agent crashes after pattern update", "The agent stops\non every server.")
    [number] = submitted(chat.run(s))
    return number


def reply(chat: Chat, number: str, *args: str) -> int:
    out = chat.cli("cases", "reply", number, *args).strip()
    assert out.isdigit(), out
    return int(out)


def test_a_whole_conversation_in_the_terminal(chat: Chat, tmp_path: Path) -> None:
    number = open_case(chat)
    asked = reply(chat, number, "--as", DESK, "--status", "waiting for customer",
                  "Which agent build do you run?")
    note = reply(chat, number, "--as", DESK, "--internal", SECRET)
    assert note > asked

    # the internal note: stored, queued nowhere
    engine = build_engine(Settings(home=chat.home))
    with unit_of_work(engine, read_only=True) as s:
        notices = s.session.exec(select(ChatNotice)).all()
        mails = s.session.exec(select(OutboxMail)).all()
    engine.dispose()
    assert [n.message_id for n in notices] == [asked]
    assert asked in [m.message_id for m in mails]
    assert note not in [m.message_id for m in mails]
    assert not any(SECRET in n.text for n in notices)
    assert not any(SECRET in m.body_text for m in mails)

    # the next `casebot chat` shows the question and how to answer it; the customer answers
    log = tmp_path / "agent.log"
    log.write_text("build 14.0.1 crash dump\n")
    result = chat.run(Script().say(f"/reply {number} Build 14.0.1, on all servers.",
                                   f"/attach {log}", f"/case {number}"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Which agent build do you run?" in out
    assert f"Type /reply {number} followed by your answer" in out
    assert f"Added to case {number}." in out
    assert f"Added to case {number} with agent.log." in out
    view = out.rsplit(f"Added to case {number} with agent.log.", 1)[1]
    assert "Conversation:" in view
    assert "Build 14.0.1, on all servers." in view
    assert "Which agent build do you run?" in view
    assert "agent.log" in view
    assert SECRET not in out
    assert "Internal note" not in out
    assert "INTERNAL" not in out

    case = chat.case(number)
    assert case["status"] == "customer replied"
    kinds = [(m["author"], m["author_kind"], m["visibility"], m["channel"])
             for m in case["messages"]]
    assert kinds == [(DESK, "operator", "public", "cli"), (DESK, "operator", "internal", "cli"),
                     (EMAIL, "customer", "public", "console"),
                     (EMAIL, "customer", "public", "console")]
    assert case["messages"][2]["text"] == "Build 14.0.1, on all servers."
    assert [f["name"] for f in case["messages"][3]["attachments"]] == ["agent.log"]
    assert "agent.log" in [a["name"] for a in case["attachments"]]

    # the operator's text view: who, which way each message went, the internal note marked
    shown = chat.cli("cases", "show", number)
    assert "console: sent" in shown
    assert "mail: pending" in shown
    assert "INTERNAL NOTE" in shown
    assert SECRET in shown
    assert f"{DESK} (operator, cli)" in shown
    assert f"{EMAIL} (customer, console)" in shown

    # resolved: Solved / Still broken as typed commands; Still broken reopens it
    reply(chat, number, "--as", DESK, "--status", "resolved", "Fixed by hotfix 3.")
    out = chat.run(Script().say(f"/stillbroken {number}")).stdout
    assert f"Type /solved {number} if it is, /stillbroken {number} if not." in out
    assert "Type a number from 1 to 5." in out
    assert f"Case {number} is reopened" in out
    assert chat.case(number)["status"] == "customer replied"

    # resolved again: /solved, then the survey answered with a number and a comment
    reply(chat, number, "--as", DESK, "--status", "resolved", "Hotfix 4 it is.")
    out = chat.run(Script().say(f"/solved {number}", "4", "Quick and friendly.")).stdout
    assert f"Thank you. Case {number} is closed." in out
    assert f"Thank you: 4/5 for case {number}." in out
    case = chat.case(number)
    assert case["status"] == "closed"
    assert case["satisfaction"] == {"rating": 4, "comment": "Quick and friendly."}


def test_an_operator_file_reaches_the_terminal(chat: Chat, tmp_path: Path) -> None:
    number = open_case(chat)
    patch = tmp_path / "hotfix.txt"
    patch.write_text("apply me\n")
    reply(chat, number, "--attach", str(patch), "Try this hotfix.")
    out = chat.run(Script().say("/cases")).stdout
    assert "Try this hotfix." in out
    assert "File: hotfix.txt (9 bytes) at " in out
    [message] = chat.case(number)["messages"]
    assert message["author"].startswith("cli:")  # no --as: the OS user, as the audit names it
    assert [f["name"] for f in message["attachments"]] == ["hotfix.txt"]
    audit = json.loads(chat.cli("audit", "list", "--json"))
    assert any(a["action"] == "case_reply" and a["subject"] == f"case:{number}"
               and a["actor"].startswith("cli:") for a in audit)


def test_cases_reply_refuses_bad_input_with_exit_2(chat: Chat, tmp_path: Path) -> None:
    number = open_case(chat)
    runner = CliRunner()
    env = {"CASEBOT_HOME": str(chat.home)}
    for args, said in (
            (["cases", "reply", "99999999", "Hello"], "No case 99999999"),
            (["cases", "reply", number, "--status", "sleeping", "Hello"], "Unknown status"),
            (["cases", "reply", number, "--attach", str(tmp_path / "nope.txt"), "Hello"],
             "There is no file at"),
            (["cases", "reply", number, "   "], "Write the message")):
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 2, (args, result.output)
        assert said in result.stderr, result.stderr
    assert chat.case(number)["messages"] == []


def test_a_plain_line_answers_the_case_the_engineer_asked_on(chat: Chat, tmp_path: Path) -> None:
    """Typed without `/reply` while the case is "in progress": the line is the case's answer
    (no new request), the output says which case and what to type to make it a new request
    instead; `/attach` right after goes with it; `/split N` moves the line into a request."""
    number = open_case(chat)
    # before anyone answered: the line is held and asked about; the hints are the commands
    out = chat.run(Script().say("It also crashes on the test servers")).stdout
    assert f"Is this about one of your open cases?\n{number} · " in out
    assert re.search(rf"Type /addto \d+ {number} to add it to case {number}\.", out), out
    found = re.search(r"Type /newfrom (\d+) to make it a new case\.", out)
    assert found is not None, out
    out = chat.run(Script().say(f"/newfrom {found.group(1)}", "/cancel", "/cancel")).stdout
    assert "Which operating system is affected?" in out  # the new request, described by it
    assert "It also crashes on the test servers" not in json.dumps(chat.case(number))

    reply(chat, number, "--as", DESK, "--status", "in progress", "Which agent build?")
    log = tmp_path / "agent.log"
    log.write_text("build 14.0.1 crash dump\n")
    out = chat.run(Script().say("Build 14.0.1 on every server", f"/attach {log}")).stdout
    subject = chat.case(number)["subject"]
    assert (f"Added to case {number} ({subject}). The support team will see it.\n"
            "Not about this case? It can be a new request instead.\n") in out
    found = re.search(r"Type /split (\d+) to make it a new request\.", out)
    assert found is not None, out
    assert f"Added to case {number} ({subject}) with agent.log." in out
    case = chat.case(number)
    assert [m["text"] for m in case["messages"] if m["author_kind"] == "customer"] == [
        "Build 14.0.1 on every server", ""]
    assert case["status"] == "customer replied"

    out = chat.run(Script().say(f"/split {found.group(1)}")).stdout
    assert f"Taken out of case {number}; it starts a new request." in out
    assert "Build 14.0.1 on every server" not in json.dumps(chat.case(number)["messages"])
