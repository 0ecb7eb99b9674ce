"""Issue 22, finding 9: with CASEBOT_UNKNOWN_DOMAINS=refuse, an address that was already a
contact (a personal account) got "I sent a code" and any other address at an unregistered
domain a refusal, so anyone could ask the bot who is a customer's contact (and which domains
are registered).

Now every address gets the same answers: to the request, to a wrong code, and at the limits.
What differs goes only to the mailbox: a code, or a mail saying why the address can't be used.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import build_service
from bot.service import Service
from bot.settings import Settings
from bot.verification import LIMITS, confirm_verification, start_verification
from flows.errors import Invalid
from store.tables import Account, utcnow
from store.uow import unit_of_work

# the same first letter and domain, so the masked address in the answers is the same too
KNOWN, UNKNOWN = "kim@victim.example", "kit@victim.example"


@pytest.fixture
def service(tmp_path: Path) -> Service:
    service = build_service(Settings(home=tmp_path / "h", unknown_domains="refuse"))
    with unit_of_work(service.engine) as s:
        s.contacts.ensure(KNOWN)  # a contact from before the policy: a personal account
        s.accounts.save(Account(name="Registered", domain="registered.example"))
    return service


def answers(service: Service, identity: str, address: str) -> list[str]:
    """What the chat says to: the request, a wrong code, requests until the limit refuses."""
    said = [start_verification(service, "telegram", identity, address)]
    with pytest.raises(Invalid) as wrong:
        confirm_verification(service, "telegram", identity, "00000000")
    said.append(str(wrong.value))
    for _ in range(LIMITS.address_codes_per_hour - 1):
        said.append(start_verification(service, "telegram", identity, address))
    with pytest.raises(Invalid) as limited:
        start_verification(service, "telegram", identity, address)
    return [*said, str(limited.value)]


def mails_to(service: Service, address: str) -> list[str]:
    with unit_of_work(service.engine, read_only=True) as s:
        return [m.body_text for m in s.outbox.recent() if m.to == address]


def test_a_known_and_an_unknown_address_get_the_same_answers(service: Service) -> None:
    known, unknown = answers(service, "1", KNOWN), answers(service, "2", UNKNOWN)
    assert known == unknown
    assert "k…@victim.example" in known[0]
    assert "8-digit code" in known[0]  # and says what to do when no code comes
    assert "the mail says what to do" in known[0]


def test_only_the_mailbox_learns_whether_the_address_can_be_used(service: Service) -> None:
    start_verification(service, "telegram", "1", KNOWN)
    start_verification(service, "telegram", "2", UNKNOWN)
    [code_mail], [refusal] = mails_to(service, KNOWN), mails_to(service, UNKNOWN)
    assert "verification code is" in code_mail
    assert not any(ch.isdigit() for ch in refusal)  # no code in it
    assert "victim.example are not registered with support" in refusal
    assert "ask your administrator" in refusal
    with unit_of_work(service.engine, read_only=True) as s:
        assert s.contacts.by_email(UNKNOWN) is None


def test_no_guess_links_an_address_that_cannot_join(service: Service) -> None:
    start = utcnow()
    start_verification(service, "telegram", "2", UNKNOWN, now=start)
    for n, guess in enumerate(("00000000", "12345678", "99999999", "31415926", "27182818")):
        with pytest.raises(Invalid, match="not right"):  # 30 s apart: past the growing delay
            confirm_verification(service, "telegram", "2", guess,
                                 now=start + timedelta(seconds=30 * n))
    with unit_of_work(service.engine, read_only=True) as s:
        assert s.contacts.by_email(UNKNOWN) is None
        assert s.contacts.for_identity("telegram", "2") is None


def test_a_registered_domain_and_an_unregistered_one_answer_alike(service: Service) -> None:
    registered = start_verification(service, "telegram", "3", "kai@registered.example")
    unregistered = start_verification(service, "telegram", "4", "kai@unregistered.example")
    assert registered.replace("registered.example", "unregistered.example") == unregistered
