"""Accounts and My profile end to end: `casebot accounts add/list`, contacts joining by email
domain (CASEBOT_UNKNOWN_DOMAINS own|refuse), and /myprofile's Case Recipients pre-filling
the CC step of a request typed into `casebot chat`."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from bot.cli.main import app
from tests.e2e.conftest import EMAIL, Chat, Script, submitted

APEX = ("HQ Apex One", "Apex One", "2019", ["Windows 10"])


def accounts(chat: Chat) -> dict[str, dict[str, Any]]:
    return {a["domain"]: a for a in json.loads(chat.cli("accounts", "list", "--json"))}


def test_accounts_add_and_list(chat: Chat) -> None:
    assert "No accounts yet" in chat.cli("accounts", "list")
    assert "Account 'Acme Corp' (acme.example) created." in chat.cli(
        "accounts", "add", "Acme Corp", "--domain", "@ACME.example")
    table = chat.cli("accounts", "list")
    assert "Acme Corp" in table
    assert "acme.example" in table
    [acme] = json.loads(chat.cli("accounts", "list", "--json"))
    assert (acme["name"], acme["domain"], acme["contacts"]) == ("Acme Corp", "acme.example", 0)
    bad = CliRunner().invoke(app, ["accounts", "add", "X", "--domain", "not a domain"],
                             env={"CASEBOT_HOME": str(chat.home)})
    assert bad.exit_code == 2
    assert "is not a domain name" in bad.output


def test_unknown_domain_refused(chat: Chat) -> None:
    chat.cli("accounts", "add", "Acme Corp", "--domain", "acme.example")
    chat.env["CASEBOT_UNKNOWN_DOMAINS"] = "refuse"
    out = chat.run(["hello"], email="zed@unknown.example")
    assert out.returncode == 0
    assert "Traceback" not in out.stderr
    assert "Addresses at unknown.example are not registered with support" in out.stdout
    assert "unknown.example" not in accounts(chat)
    # a sub-domain joins only when the operator said so (issue 11)
    assert "not registered" in chat.run(["hello"], email="eve@eu.acme.example").stdout
    chat.cli("accounts", "add", "Acme Corp", "--domain", "acme.example", "--include-subdomains")
    joined = chat.run(["hello"], email="eve@eu.acme.example")
    assert "not registered" not in joined.stdout
    assert accounts(chat)["acme.example"]["contacts"] == 1


def test_unknown_domain_gets_a_personal_account_until_an_operator_adds_it(chat: Chat) -> None:
    chat.run(["hello"], email="sam@newco.example")
    chat.run(["hello"], email="tim@newco.example")
    rows = json.loads(chat.cli("accounts", "list", "--json"))
    assert sorted((r["name"], r["domain"], r["personal"], r["contacts"]) for r in rows) == [
        ("sam@newco.example", None, True, 1), ("tim@newco.example", None, True, 1)]
    assert "created" in chat.cli("accounts", "add", "NewCo Ltd", "--domain", "newco.example")
    assert accounts(chat)["newco.example"]["name"] == "NewCo Ltd"
    assert accounts(chat)["newco.example"]["contacts"] == 2  # the personal accounts joined
    members = json.loads(chat.cli("accounts", "members", "NewCo Ltd", "--json"))
    assert [m["email"] for m in members] == ["sam@newco.example", "tim@newco.example"]
    taken = CliRunner().invoke(app, ["accounts", "add", "Other", "--domain", "newco.example"],
                               env={"CASEBOT_HOME": str(chat.home)})
    assert taken.exit_code == 2
    assert "already belongs to the account 'NewCo Ltd'" in taken.output


def test_my_profile_recipients_prefill_cc(chat: Chat) -> None:
    chat.cli("accounts", "add", "Acme Corp", "--domain", "acme.example")
    chat.env["CASEBOT_CC_OUTSIDE_DOMAINS"] = "1"  # dave@partner.example is outside Acme
    # colleagues of the Acme account; bob agrees to be listed, carol does not
    chat.run(["/myprofile", "Edit Visible to colleagues", "Yes", "Save"],
             email="bob@acme.example")
    chat.run([], email="carol@acme.example")
    chat.run([], email="mallory@other.example")  # another company: never offered
    s = Script().say("/myprofile", "Edit Case Recipients")
    s.say("1, dave@partner.example, not-an-address")  # the good ones are kept
    s.say("1, dave@partner.example", "done", "Edit Your name", "Ann Smith", "Save")  # retyped: kept
    s.first_profile(*APEX).say("Product Issues")  # its one OS is filled in
    s.common("Agent does not update", severity="Low")  # CC: the Case Recipients, not asked
    result = chat.run(s)
    [number] = submitted(result)
    out = result.stdout
    assert "mallory@other.example" not in out
    assert "'not-an-address' is not a valid address" in out
    assert "Your profile is saved." in out
    case = chat.case(number)
    assert case["cc_emails"] == ["bob@acme.example", "dave@partner.example"]
    [mail] = json.loads(chat.cli("mail", "list", "--json"))
    assert mail["to"] == EMAIL
    assert mail["cc"] == ["bob@acme.example", "dave@partner.example"]
    # The next /myprofile shows what is stored.
    again = chat.run(["/myprofile"]).stdout
    assert "Your name: Ann Smith" in again
    assert "Case Recipients: bob@acme.example, dave@partner.example" in again
