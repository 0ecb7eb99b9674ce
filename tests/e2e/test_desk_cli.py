"""Issue 24 on the command line, through the real `casebot` console script: `cases assign`
(and unassigning), a URL Reclassification's ratings applied once however often it is asked,
and `audit list` filtered by actor, action and subject."""

from __future__ import annotations

import getpass
import json
import subprocess
from typing import Any

from tests.e2e.conftest import CASEBOT, Chat, Script, submitted
from tests.e2e.test_urls_console import profile

ME = f"cli:{getpass.getuser()}"
DESK = "desk@support.example"


def casebot(chat: Chat, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([CASEBOT, *args], input=stdin, capture_output=True, text=True,
                          env=chat.env, timeout=60)


def audit(chat: Chat, *args: str) -> list[dict[str, Any]]:
    proc = casebot(chat, "audit", "list", "--json", *args)
    assert proc.returncode == 0, proc.stderr
    rows: list[dict[str, Any]] = json.loads(proc.stdout)
    return rows


def a_case(chat: Chat) -> str:
    s = Script().first_profile("HQ Apex One", "Apex One", "2019", ["Windows 10"])
    s.say("Product Issues").common("Agent stops", severity="Low")
    [number] = submitted(chat.run(s))
    return number


def test_cases_assign_and_unassign(chat: Chat) -> None:
    number = a_case(chat)
    assert casebot(chat, "operators", "add", DESK, stdin="a long enough password\n"
                   ).returncode == 0

    done = casebot(chat, "cases", "assign", number, DESK.upper())
    assert done.returncode == 0, done.stderr
    assert f"Case {number} assigned to {DESK}." in done.stdout
    assert chat.case(number)["assignee"] == DESK
    again = casebot(chat, "cases", "assign", number, DESK)
    assert again.returncode == 0
    assert f"already has {DESK}" in again.stdout

    unknown = casebot(chat, "cases", "assign", number, "nobody@support.example")
    assert unknown.returncode == 2
    assert "No operator nobody@support.example" in unknown.stderr
    assert "casebot operators list" in unknown.stderr
    missing = casebot(chat, "cases", "assign", "99999999", DESK)
    assert missing.returncode == 2
    assert "No case 99999999" in missing.stderr
    assert casebot(chat, "cases", "assign", number).returncode == 2  # whom?
    assert casebot(chat, "cases", "assign", number, DESK, "--nobody").returncode == 2
    assert chat.case(number)["assignee"] == DESK  # none of those changed anything

    assert "has no owner now" in casebot(chat, "cases", "assign", number, "-").stdout
    assert chat.case(number)["assignee"] is None
    assert casebot(chat, "cases", "assign", number, DESK).returncode == 0
    assert "has no owner now" in casebot(chat, "cases", "assign", number, "--nobody").stdout

    rows = audit(chat, "--subject", number)  # a bare number means case:NUMBER
    assert [(r["actor"], r["action"], r["detail"]) for r in rows] == [
        (ME, "case_assign", "nobody"), (ME, "case_assign", DESK),
        (ME, "case_assign", "nobody"), (ME, "case_assign", DESK)]
    assert {r["subject"] for r in rows} == {f"case:{number}"}
    timeline = [e["text"] for e in chat.case(number)["timeline"]]
    assert timeline.count(f"Assigned to {DESK}.") == 2


def test_audit_list_filters_and_limits(chat: Chat) -> None:
    number = a_case(chat)
    casebot(chat, "operators", "add", DESK, stdin="a long enough password\n")
    casebot(chat, "cases", "assign", number, DESK)
    casebot(chat, "contacts", "link", "--email", "ann@acme.example", "--telegram", "42")
    casebot(chat, "cases", "reply", number, "Try the new build.")
    casebot(chat, "cases", "reply", number, "--internal", "Customer is on 2019.")
    assert casebot(chat, "db", "prune").returncode == 0
    everything = audit(chat)
    assert [(r["action"], r["subject"]) for r in everything[:6]] == [
        ("db_prune", "database"), ("case_note", f"case:{number}"),
        ("case_reply", f"case:{number}"), ("link", "telegram:42"),
        ("case_assign", f"case:{number}"), ("operator_add", DESK)]
    assert "Try the new build" not in json.dumps(everything)  # what, never the words
    assert len(audit(chat, "--limit", "2")) == 2
    assert [r["action"] for r in audit(chat, "--action", "link")] == ["link"]
    assert [r["action"] for r in audit(chat, "--subject", number)] == [
        "case_note", "case_reply", "case_assign"]
    assert audit(chat, "--actor", "cli:someone-else") == []
    assert len(audit(chat, "--actor", ME)) == len(everything)
    table = casebot(chat, "audit", "list", "--actor", "cli:someone-else")
    assert table.returncode == 0
    assert "No audit rows match." in table.stdout
    assert casebot(chat, "audit", "list", "--limit", "0").returncode == 2


def test_requested_ratings_are_applied_once(chat: Chat) -> None:
    script = Script().say("/reclassify https://evil.example.com/login")
    profile(script)
    script.say("Windows 10", "Dangerous", "Phishing", "Low", "Submit")
    [number] = submitted(chat.run(script))

    first = casebot(chat, "cases", "update", number, "--status", "resolved", "--apply-urls")
    assert first.returncode == 0, first.stderr
    case, mails = chat.case(number), chat.cli("mail", "list", "--json")

    again = casebot(chat, "cases", "update", number, "--status", "resolved", "--apply-urls")
    assert again.returncode == 0, again.stderr
    assert f"Case {number}: the requested ratings were already applied on " in again.stdout
    assert f"UTC by {ME}. Nothing was changed or sent again." in again.stdout
    with_note = casebot(chat, "cases", "update", number, "--note", "Done.", "--apply-urls")
    assert with_note.returncode == 2
    assert "Already applied on" in with_note.stderr
    assert "without --apply-urls" in with_note.stderr

    assert chat.case(number) == case  # no timeline entry, no message, no version
    assert chat.cli("mail", "list", "--json") == mails  # nothing sent twice
    assert [r["action"] for r in audit(chat, "--subject", f"case:{number}")] == ["case_update"]
