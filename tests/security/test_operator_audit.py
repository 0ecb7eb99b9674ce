"""Issue 22, finding 7: operator actions left no trace. `casebot contacts link` gave a chat
identity a contact's cases and codes with no audit row and no mail to the address; operators
added or removed, accounts added, case updates and feed imports (CLI and web console) were not
audited either. Each is now a row in `casebot audit list` naming who did it (`cli:USER`,
`web:EMAIL`), and an operator link mails the address as a mailed-code link does."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from bot.cli.main import app
from tests.e2e.conftest import Chat, Script, submitted
from tests.web.conftest import OPERATOR, PASSWORD, Console, csrf_of, fresh
from tests.web.test_imports import until_finished

ME = f"cli:{getpass.getuser()}"
DESK = f"web:{OPERATOR}"


def _cli(home: Path, *args: str, stdin: str | None = None) -> str:
    """The real `casebot` command, in-process, as the operator running this test."""
    result = CliRunner().invoke(app, list(args), input=stdin, env={"CASEBOT_HOME": str(home)},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _audit(home: Path) -> list[dict[str, Any]]:
    """`casebot audit list --json`, newest first."""
    rows: list[dict[str, Any]] = json.loads(_cli(home, "audit", "list", "--json"))
    return rows


def _trail(home: Path) -> list[tuple[str, str, str]]:
    return [(r["actor"], r["action"], r["subject"]) for r in _audit(home)]


def _linked_mails(home: Path) -> list[dict[str, Any]]:
    return [m for m in json.loads(_cli(home, "mail", "list", "--json"))
            if m["kind"] == "identity_linked"]


def _a_case(chat: Chat) -> str:
    s = Script().add_profile("HQ Apex One", "Apex One", "2019", ["Windows 10"])
    s.say("Windows 10", "Product Issue", "Product Issues").common("Agent stops", severity="Low")
    [number] = submitted(chat.run(s))
    return number


def test_an_operator_link_is_audited_and_mailed_like_a_code_link(chat: Chat) -> None:
    home = chat.home
    link = ("contacts", "link", "--email", "ann@acme.example", "--telegram", "4242")
    assert "Linked telegram 4242 to ann@acme.example." in _cli(home, *link)
    [notice] = _linked_mails(home)
    assert notice["to"] == "ann@acme.example"
    assert ("casebot contacts unlink --email ann@acme.example --telegram 4242"
            in notice["body_text"])
    assert _audit(home)[0] | {"at": ""} == {"at": "", "actor": ME, "action": "link",
                                            "subject": "telegram:4242",
                                            "detail": "ann@acme.example"}
    assert "telegram:4242" in _cli(home, "audit", "list")  # the table shows it too

    # the same link again changes nothing: audited, not mailed twice
    assert "already linked" in _cli(home, *link)
    assert len(_linked_mails(home)) == 1
    # moved to another contact: that address is told, and the trail says from whom
    _cli(home, "contacts", "link", "--email", "bob@acme.example", "--telegram", "4242")
    assert [m["to"] for m in _linked_mails(home)] == ["bob@acme.example", "ann@acme.example"]
    assert _audit(home)[0]["detail"] == "bob@acme.example (moved from ann@acme.example)"
    _cli(home, "contacts", "unlink", "--email", "bob@acme.example", "--telegram", "4242")
    assert _trail(home)[0] == (ME, "unlink", "telegram:4242")


def test_operators_accounts_case_updates_and_feeds_are_audited_from_the_cli(
        chat: Chat, tmp_path: Path) -> None:
    home = chat.home
    number = _a_case(chat)
    _cli(home, "operators", "add", OPERATOR, stdin=PASSWORD + "\n")
    _cli(home, "operators", "add", OPERATOR, stdin="another long passphrase\n")
    _cli(home, "operators", "remove", OPERATOR)
    _cli(home, "accounts", "add", "Acme", "--domain", "acme.example")
    _cli(home, "cases", "update", number, "--status", "resolved", "--note", "Fixed in build 5.")
    feed = tmp_path / "feed.csv"
    feed.write_text("url,rating,category\nhttps://shop.example/,Safe,Business/Economy\n")
    _cli(home, "urls", "import", str(feed), "--source", "vendor-feed")

    [acme] = [a for a in json.loads(_cli(home, "accounts", "list", "--json"))
              if a["name"] == "Acme"]
    rows = _audit(home)
    assert [(r["action"], r["subject"]) for r in rows if r["actor"] == ME] == [
        ("urls_import", "vendor-feed"),
        ("case_update", f"case:{number}"),
        ("account_add", f"account:{acme['id']}"),
        ("operator_remove", OPERATOR),
        ("operator_password", OPERATOR),
        ("operator_add", OPERATOR),
    ]
    details = {r["action"]: r["detail"] for r in rows}
    assert details["case_update"] == "status resolved; a note of 17 characters"
    assert details["account_add"] == "Acme (acme.example) created, sub-domains not included"
    assert not any(PASSWORD in r["detail"] or "another long" in r["detail"] for r in rows)


def test_the_web_consoles_changes_are_audited_naming_the_operator(console: Console,
                                                                  tmp_path: Path) -> None:
    home = console.home
    number = _a_case(console.chat)
    _cli(home, "contacts", "link", "--email", "ann@acme.example", "--telegram", "77")
    desk = console.signed_in()

    token = csrf_of(desk.get(f"/cases/{number}").text)
    r = desk.post(f"/cases/{number}", data={**fresh(desk, number), "status": "in progress",
                                              "note": "Looking at it."})
    assert r.status_code == 303, r.text
    r = desk.post("/accounts", data={"csrf_token": token, "name": "Acme",
                                     "domain": "acme.example"})
    assert r.status_code == 303, r.text
    assert "created" in desk.get(r.headers["location"]).text
    [account] = [a for a in json.loads(_cli(home, "accounts", "list", "--json"))
                 if a["name"] == "Acme"]
    r = desk.post(f"/accounts/{account['id']}/unlink",
                  data={"csrf_token": token, "email": "ann@acme.example",
                        "identity": "telegram:77"})
    assert r.status_code == 303, r.text
    feed = tmp_path / "console-feed.csv"
    feed.write_text("url,rating,category\nhttps://news.example/,Safe,Business/Economy\n")
    with feed.open("rb") as fh:
        r = desk.post("/urls/imports", data={"csrf_token": token},
                      files={"feed": (feed.name, fh, "text/csv")})
    assert r.status_code == 303, r.text
    assert "1 added" in until_finished(desk, r.headers["location"])

    trail = _trail(home)
    assert [t for t in trail if t[0] == DESK and t[1] != "sign-in"] == [
        (DESK, "urls_import", "feed:console-feed.csv"),
        (DESK, "unlink", "telegram:77"),
        (DESK, "account_add", f"account:{account['id']}"),
        (DESK, "case_reply", f"case:{number}"),  # the reply form (bot.updates.reply_case)
    ]
    assert (DESK, "sign-in", OPERATOR) in trail
