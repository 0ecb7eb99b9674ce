"""Service-layer rules that take a unit of work (bot/accounts.py, bot/quota.py), run against
`FakeUnitOfWork` (tests/fakes/uow.py) and, as a check that the fake keeps to the real
repositories' contract, against store/uow.py on SQLite too."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from bot import accounts, quota
from store.db import make_engine, upgrade
from store.repositories.conversations import StaleConversation
from store.tables import Account, saved_id
from store.uow import unit_of_work
from tests.fakes.uow import FakeStore

Units = Callable[..., AbstractContextManager[Any]]


@pytest.fixture(params=["fake", "sqlite"])
def units(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Units]:
    if request.param == "fake":
        store = FakeStore()
        yield store.unit_of_work
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'casebot.db'}")
    upgrade(engine)
    yield lambda read_only=False: unit_of_work(engine, read_only=read_only)
    engine.dispose()


def test_a_new_address_joins_its_domains_account_or_gets_one_of_its_own(units: Units) -> None:
    with units() as uow:
        uow.accounts.save(Account(name="Acme", domain="acme.example"))
    with units() as uow:
        ann = accounts.join(uow, "ann@acme.example", "Ann")
        bob = accounts.join(uow, "bob@elsewhere.example")
        again = accounts.join(uow, "ANN@acme.example")
    with units(read_only=True) as uow:
        acme = uow.accounts.by_domain("acme.example")
        assert ann.account_id == acme.id
        assert again.id == ann.id
        own = uow.accounts.get(bob.account_id)
        assert own.personal
        assert own.domain is None
        assert own.id != acme.id


def test_sub_domains_join_only_an_account_that_takes_them(units: Units) -> None:
    with units() as uow:
        uow.accounts.save(Account(name="Acme", domain="acme.example"))
        eu = accounts.join(uow, "eve@eu.acme.example")
        assert uow.accounts.get(eu.account_id).personal
        uow.accounts.save(Account(name="Globex", domain="globex.example",
                                  include_subdomains=True))
        us = accounts.join(uow, "sam@us.globex.example")
        assert uow.accounts.get(us.account_id).name == "Globex"


def test_refuse_policy_creates_nothing_and_rolls_back(units: Units) -> None:
    with pytest.raises(accounts.UnknownDomain), units() as uow:
        accounts.join(uow, "zed@unknown.example", policy="refuse")
    with units(read_only=True) as uow:
        assert uow.contacts.by_email("zed@unknown.example") is None
    with units() as uow:  # an existing contact is never refused
        accounts.join(uow, "zed@unknown.example")
    with units() as uow:
        accounts.join(uow, "zed@unknown.example", policy="refuse")


def test_a_linked_identity_finds_its_contact_and_conversation(units: Units) -> None:
    with units() as uow:
        ann = accounts.join(uow, "ann@acme.example")
        uow.contacts.link_identity(ann, "telegram", "42", "42")
        uow.conversations.insert(ann.id, "intake", "subject", {"a": 1}, [], "telegram")
    with units() as uow:
        info, conv = uow.conversations.load_for_identity("telegram", "42")
        assert info.email == "ann@acme.example"
        assert conv.state == "subject"
        conv.state = "severity"
        uow.conversations.update(conv)
    with pytest.raises(StaleConversation), units() as uow:  # noqa: PT012 - the whole unit is under test
        conv.state = "profile"  # the version it holds is no longer the stored one
        conv.version -= 1
        uow.conversations.update(conv)
    with units(read_only=True) as uow:
        _, stored = uow.conversations.load_for_identity("telegram", "42")
        assert (stored.state, stored.version) == ("severity", 2)
        assert uow.conversations.load_for_identity("telegram", "43") is None


def test_the_file_quota_counts_each_file_once(units: Units) -> None:
    limit = 10 * 1024 * 1024
    with units() as uow:
        ann = saved_id(accounts.join(uow, "ann@acme.example"))
        assert quota.take(uow, ann, "a" * 64, 6 * 1024 * 1024, limit) is None
        assert quota.take(uow, ann, "a" * 64, 6 * 1024 * 1024, limit) is None  # the same
        refused = quota.take(uow, ann, "b" * 64, 6 * 1024 * 1024, limit)
        assert refused is not None
        assert "10 MB" in refused
        assert quota.used(uow, ann) == 6 * 1024 * 1024


def test_a_delivery_id_counts_once(units: Units) -> None:
    with units() as uow:
        assert uow.deliveries.first("tg:1")
        assert not uow.deliveries.first("tg:1")
    with pytest.raises(RuntimeError), units() as uow:  # noqa: PT012 - the whole unit is under test
        assert uow.deliveries.first("tg:2")
        raise RuntimeError("the step failed: its delivery id is not kept")
    with units() as uow:
        assert uow.deliveries.first("tg:2")


def test_the_accounts_language_comes_with_the_contact(units: Units) -> None:
    with units() as uow:
        uow.accounts.save(Account(name="Acme", domain="acme.example", language="ja"))
        ann = accounts.join(uow, "ann@acme.example")
        uow.contacts.link_identity(ann, "telegram", "42", "42")
        bob = accounts.join(uow, "bob@elsewhere.example")
    with units(read_only=True) as uow:
        info, _ = uow.conversations.load_for_identity("telegram", "42")
        assert (info.language, info.account_language) == (None, "ja")
        assert uow.contacts.languages(saved_id(ann)) == (None, "ja")
        assert uow.contacts.languages(saved_id(bob)) == (None, None)
        assert accounts.languages_of_address(uow, "new@acme.example") == (None, "ja")
