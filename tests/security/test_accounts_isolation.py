"""Finding 1: accounts by domain leaked license data and addresses.

Before: every new domain became an account, sub-domains joined the parent's, all gmail.com
users shared one account; any member could see an account's activation code in full, and every
member's address was offered as a CC choice.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from bot.accounts import add_account
from bot.app import build_service
from bot.audit import recent
from bot.service import Service
from bot.settings import Settings
from flows.errors import Invalid
from store.repositories.contacts import ContactInfo
from store.tables import ActivationCode, saved_id
from store.uow import UnitOfWork, unit_of_work
from store.world import StoreWorld

CODE = "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7"


@pytest.fixture
def service(tmp_path: Path) -> Service:
    return build_service(Settings(home=tmp_path / "h"))


def _world(s: UnitOfWork, email: str) -> StoreWorld:
    return StoreWorld(s, ContactInfo.of(s.contacts.ensure(email)))


def test_strangers_at_a_public_domain_share_nothing(service: Service) -> None:
    with unit_of_work(service.engine) as s:
        ann, eve = _world(s, "ann@gmail.com"), _world(s, "eve@gmail.com")
        assert ann.contact.account_id != eve.contact.account_id
        assert "ann@gmail.com" not in eve.account_contacts()
        with pytest.raises(Invalid, match="public mail domain"):
            add_account(s, "Gmail", "gmail.com", actor="test")


def test_a_made_up_sub_domain_does_not_join_the_company(service: Service) -> None:
    with unit_of_work(service.engine) as s:
        add_account(s, "Acme", "acme.example", actor="test")
        staff = _world(s, "ann@acme.example")
        intruder = _world(s, "x@anything.acme.example")
        assert intruder.contact.account_id != staff.contact.account_id
        # the operator's call
        add_account(s, "Acme", "acme.example", include_subdomains=True, actor="test")
        assert _world(s, "y@eu.acme.example").contact.account_id == staff.contact.account_id


def test_colleagues_see_a_code_masked_and_only_its_registrant_in_full(service: Service) -> None:
    with unit_of_work(service.engine) as s:
        add_account(s, "Acme", "acme.example", actor="test")
        ann = s.contacts.ensure("ann@acme.example")
        s.profiles.save(ann, {"name": "HQ", "product": "Apex One", "version": "2019",
                                   "operating_systems": ["Windows 10"], "language": "English",
                                   "activation_code": {"new": CODE}, "settings": []})
        code_id = saved_id(s.session.exec(select(ActivationCode)).one())
        bob = _world(s, "bob@acme.example")
        assert [c.masked for c in bob.activation_codes("Apex One")] == [
            "AB-CD12-*****-*****-*****-*****-UVWX7"]  # bob may pick it for a profile …
        assert bob.reveal_code(code_id) is None  # … but never see it
        assert _world(s, "ann@acme.example").reveal_code(code_id) == CODE
        s.commit()
        [audit] = [r for r in recent(s) if r["action"] != "account_add"]  # the operator's
        assert (audit["actor"], audit["action"]) == ("ann@acme.example",
                                                     "reveal_activation_code")
        assert CODE not in str(audit)


def test_only_contacts_who_agreed_are_offered_as_cc(service: Service) -> None:

    with unit_of_work(service.engine) as s:
        add_account(s, "Acme", "acme.example", actor="test")
        bob = s.contacts.ensure("bob@acme.example")
        s.contacts.ensure("carol@acme.example")
        assert _world(s, "ann@acme.example").account_contacts() == []
        s.contacts.save_my_profile(saved_id(bob), "Bob", [], listed=True)
        assert _world(s, "ann@acme.example").account_contacts() == ["bob@acme.example"]
