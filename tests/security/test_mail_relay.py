"""Finding 7: casebot as a mail relay. CC took any 20 addresses and cases were unlimited, so the
confirmation mail (the user's own subject and description) could be sent to anyone, at will."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tests.e2e.conftest import Chat, Script, submitted

APEX = ("HQ Apex One", "Apex One", "2019", ["Windows 10"])


def _request(subject: str, cc: Sequence[str] = ()) -> Script:
    s = Script().add_profile(*APEX).say("Windows 10", "Product Issue", "Product Issues")
    return s.common(subject, severity="Low", cc=list(cc))


def test_cc_outside_the_accounts_domains_is_refused(chat: Chat) -> None:
    chat.cli("accounts", "add", "Acme", "--domain", "acme.example")
    out = chat.run(_request("Buy cheap pills", cc=["victim@elsewhere.example"]).say("/cancel"))
    assert "I can't copy victim@elsewhere.example" in out.stdout
    assert out.numbers == []
    assert json.loads(chat.cli("mail", "list", "--json")) == []
    # a colleague's address is fine
    [number] = submitted(chat.run(_request("Agent fails", cc=["bob@acme.example"]),
                                  email="dan@acme.example"))
    assert chat.case(number)["cc_emails"] == ["bob@acme.example"]


def test_a_personal_account_cannot_copy_strangers(chat: Chat) -> None:
    out = chat.run(_request("Hello", cc=["victim@elsewhere.example"]).say("/cancel"),
                   email="spammer@gmail.com")
    assert "I can't copy victim@elsewhere.example" in out.stdout
    assert out.numbers == []


def test_cases_per_contact_per_hour_are_limited(chat: Chat) -> None:
    chat.env["CASEBOT_MAX_CASES_PER_HOUR"] = "2"
    s = _request("one").new_case().say("HQ Apex One", "Windows 10", "Product Issue",
                                       "Product Issues")
    s.common("two").new_case().say("HQ Apex One", "Windows 10", "Product Issue",
                                   "Product Issues").common("three")
    out = chat.run(s)
    assert len(out.numbers) == 2
    assert "2 cases in the last hour" in out.stdout
    assert len(json.loads(chat.cli("mail", "list", "--json"))) == 2
