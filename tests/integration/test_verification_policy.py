"""Email verification follows the account policy for unknown domains."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.accounts import UnknownDomain, add_account
from bot.app import build_service
from bot.service import Service
from bot.settings import Settings
from bot.verification import confirm_verification, start_verification
from store.uow import unit_of_work


def _code(service: Service) -> str:
    with unit_of_work(service.engine) as s:
        body = s.outbox.recent(limit=1)[0].body_text
    return next(w.rstrip(".") for w in body.split() if w.rstrip(".").isdigit())


def test_refused_domain_gets_no_code(tmp_path: Path) -> None:
    service = build_service(Settings(home=tmp_path / "h", unknown_domains="refuse"))
    with pytest.raises(UnknownDomain):
        start_verification(service, "telegram", "42", "eve@nowhere.example")
    with unit_of_work(service.engine) as s:
        assert s.outbox.recent() == []


def test_known_domain_verifies_and_joins_its_account(tmp_path: Path) -> None:
    service = build_service(Settings(home=tmp_path / "h", unknown_domains="refuse"))
    with unit_of_work(service.engine) as s:
        add_account(s, "Acme Corp", "acme.example", actor="test")
        s.commit()
    start_verification(service, "telegram", "42", "ann@acme.example")
    assert confirm_verification(service, "telegram", "42", _code(service)) == "ann@acme.example"
    with unit_of_work(service.engine) as s:
        contact = s.contacts.for_identity("telegram", "42")
        assert contact is not None
        assert contact.email == "ann@acme.example"
