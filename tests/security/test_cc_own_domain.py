"""Issue 22, finding 13: the mail-relay rule was too strict. A contact whose company has no
operator-made account yet (a personal account at acme.example) could not CC a colleague at
acme.example: every CC was "outside your company's domains", and as the refusal came only at
"done" while the address stayed in the list, the CC question asked again and again.

Now the contact's own mail domain counts as their company's, unless it is a public mail domain
(gmail.com: anyone can get an address there, so that would be a relay again), and a refused
address is refused when it is typed and never kept.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.accounts import add_account
from bot.app import build_service
from bot.settings import Settings
from store.repositories.contacts import ContactInfo
from store.uow import UnitOfWork, unit_of_work
from store.world import StoreWorld
from tests.e2e.conftest import Chat, Script, submitted

APEX = ("HQ Apex One", "Apex One", "2019", ["Windows 10"])


def _world(s: UnitOfWork, email: str) -> StoreWorld:
    return StoreWorld(s, ContactInfo.of(s.contacts.ensure(email)))


def _request(subject: str) -> Script:
    s = Script().add_profile(*APEX).say("Windows 10", "Product Issue", "Product Issues")
    return s.common(subject, severity="Low", submit=False)


def test_the_own_domain_is_inside_unless_it_is_a_public_one(tmp_path: Path) -> None:
    service = build_service(Settings(home=tmp_path / "h"))
    with unit_of_work(service.engine) as s:
        dan = _world(s, "dan@acme.example")  # a personal account: no operator-made one yet
        assert list(dan.cc_outside(["bob@acme.example", "Carol@ACME.example",
                                    "x@eu.acme.example", "v@elsewhere.example",
                                    "friend@gmail.com"])) == [
            "x@eu.acme.example", "v@elsewhere.example", "friend@gmail.com"]
        eve = _world(s, "eve@gmail.com")
        assert list(eve.cc_outside(["friend@gmail.com", "v@elsewhere.example"])) == [
            "friend@gmail.com", "v@elsewhere.example"]
        assert list(_world(s, "kim@mail.yahoo.com").cc_outside(["a@mail.yahoo.com"])) == [
            "a@mail.yahoo.com"]  # a public domain's sub-domain is public too
        add_account(s, "Acme", "acme.example", include_subdomains=True, actor="test")
        ann = _world(s, "ann@eu.acme.example")  # the account's domains, as before
        assert list(ann.cc_outside(["bob@acme.example", "x@eu.acme.example",
                                    "y@us.acme.example", "v@elsewhere.example"])) == [
            "v@elsewhere.example"]


def test_a_contact_without_an_account_copies_colleagues(chat: Chat) -> None:
    s = _request("Agent stops").say("Edit CC emails", "bob@acme.example, done", "Submit")
    [number] = submitted(chat.run(s, email="dan@acme.example"))
    assert chat.case(number)["cc_emails"] == ["bob@acme.example"]
    [mail] = json.loads(chat.cli("mail", "list", "--json"))
    assert mail["cc"] == ["bob@acme.example"]


def test_a_public_domains_contact_is_refused_as_it_types(chat: Chat) -> None:
    s = _request("Cheap pills").say("Edit CC emails", "friend@gmail.com, victim@elsewhere.example",
                                    "done", "Submit")
    out = chat.run(s, email="spammer@gmail.com")
    [number] = submitted(out)  # the question did not loop: done finished it
    assert "I can't copy friend@gmail.com, victim@elsewhere.example" in out.stdout
    assert chat.case(number)["cc_emails"] == []
    [mail] = json.loads(chat.cli("mail", "list", "--json"))
    assert mail["to"] == "spammer@gmail.com"
    assert mail["cc"] == []
