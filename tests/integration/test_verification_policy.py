"""Email verification follows the account policy for unknown domains."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.accounts import UnknownDomain, add_account, join
from bot.app import build_service
from bot.service import Service
from bot.settings import Settings
from bot.verification import confirm_verification, start_verification
from flows.errors import Invalid
from store.uow import unit_of_work


def _code(service: Service) -> str:
    with unit_of_work(service.engine) as s:
        body = s.outbox.recent(limit=1)[0].body_text
    return next(w.rstrip(".") for w in body.split() if w.rstrip(".").isdigit())


def test_refused_domain_gets_no_code(tmp_path: Path) -> None:
    """The chat answers as for any address (issue 22, finding 9: no enumeration); the mail, not
    the chat, says that the domain is not registered, and carries no code."""
    service = build_service(Settings(home=tmp_path / "h", unknown_domains="refuse"))
    said = start_verification(service, "telegram", "42", "eve@nowhere.example")
    assert "e…@nowhere.example" in said
    assert "the mail says what to do" in said
    with unit_of_work(service.engine) as s:
        [mail] = s.outbox.recent()
        assert s.contacts.by_email("eve@nowhere.example") is None
    assert (mail.kind, mail.to) == ("verification_refused", "eve@nowhere.example")
    assert "nowhere.example are not registered with support" in mail.body_text
    assert not any(ch.isdigit() for ch in mail.body_text)
    with pytest.raises(Invalid, match="not right"):
        confirm_verification(service, "telegram", "42", "12345678")


def test_a_vouched_address_at_a_refused_domain_is_told_so(tmp_path: Path) -> None:
    """An address the person's own platform vouched for (no enumeration: it is theirs) still
    gets the refusal in the chat."""
    service = build_service(Settings(home=tmp_path / "h", unknown_domains="refuse"))
    with unit_of_work(service.engine) as s, pytest.raises(UnknownDomain, match="not registered"):
        join(s, "eve@nowhere.example", policy="refuse")


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


def test_a_code_and_address_typed_full_width_verify(tmp_path: Path) -> None:
    """A Japanese keyboard types "ａｎｎ＠…" and "１２３４５６７８": the same address and code
    (before issue 27 the full-width digits were hashed as typed and counted as a wrong try)."""
    service = build_service(Settings(home=tmp_path / "h", unknown_domains="refuse"))
    with unit_of_work(service.engine) as s:
        add_account(s, "Acme Corp", "acme.example", actor="test")
        s.commit()
    start_verification(service, "telegram", "42", "ａｎｎ＠ａｃｍｅ．ｅｘａｍｐｌｅ。")
    typed = "".join(chr(ord(d) + 0xFEE0) for d in _code(service))
    typed = typed[:4] + "\u3000" + typed[4:] + "。"
    assert confirm_verification(service, "telegram", "42", typed) == "ann@acme.example"
