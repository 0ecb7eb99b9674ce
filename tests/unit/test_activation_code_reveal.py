"""Activation codes are masked everywhere; the owner's account can ask to see one in full."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from bot.app import build_service
from bot.protocol import Who
from bot.service import Service
from bot.settings import Settings
from flows.model import Inbound, Prompt
from store.repositories.contacts import ContactInfo
from store.tables import ActivationCode, saved_id
from store.uow import unit_of_work

CODE = "AB-CD12-EFGH3-IJKL4-MNOP5-QRST6-UVWX7"


def _profile(service: Service, email: str) -> None:
    with unit_of_work(service.engine) as s:
        contact = s.contacts.ensure(email)
        s.profiles.save(contact, {"name": "HQ", "product": "Apex One", "version": "2019",
                                       "operating_systems": ["Windows 10"], "language": "English",
                                       "activation_code": {"new": CODE}, "settings": []})
        s.commit()


def _say(service: Service, who: Who, text: str) -> list[Prompt]:
    return service.handle(who, Inbound.from_text(text))


def test_owner_sees_the_full_code_only_on_request(tmp_path: Path) -> None:
    service = build_service(Settings(home=tmp_path / "h"))
    _profile(service, "ann@acme.example")
    who = Who("console", "ann@acme.example", email="ann@acme.example")
    listing = _say(service, who, "/profiles")
    assert CODE not in "\n".join(p.text + str(p.choices) for p in listing)
    action = _say(service, who, "HQ")[-1]
    assert "AB-CD12-*****" in action.text
    assert CODE not in action.text
    shown = _say(service, who, "Show the full activation code")
    assert shown[0].text.endswith(CODE)
    assert shown[-1].step == "action"


def test_another_accounts_code_is_never_revealed(tmp_path: Path) -> None:
    service = build_service(Settings(home=tmp_path / "h"))
    _profile(service, "ann@acme.example")
    with unit_of_work(service.engine) as s:
        code = s.session.exec(select(ActivationCode)).first()
        assert code is not None
        code_id = saved_id(code)
        other = s.contacts.ensure("eve@evil.example")
        s.commit()
        from store.world import StoreWorld

        assert StoreWorld(s, ContactInfo.of(other)).reveal_code(code_id) is None
