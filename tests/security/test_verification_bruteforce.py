"""Finding 2: verification codes could be brute-forced (1,000 guesses across 200 addresses at
one domain in 3.6 s from one Telegram identity, ~2,000 a day against one victim).

The attacker here is as patient as the limits allow: a simulated clock jumps to the moment the
next guess or the next code is accepted, for a whole day. The numbers it prints are the bounds
SECURITY.md quotes ("Verification codes").
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build_service
from bot.service import Service
from bot.settings import Settings
from bot.verification import LIMITS, confirm_verification, start_verification
from flows.errors import Invalid
from store.tables import utcnow
from store.uow import unit_of_work

DAY = timedelta(days=1)


def _attack(service: Service, identities: list[str], addresses: list[str], start: datetime,
            guess: str = "12345678") -> int:
    """Guess as often as the limits let `identities` for one day; returns guesses checked."""
    t, guesses = start, 0
    idents = itertools.cycle(identities)
    addrs = itertools.cycle(addresses)
    ident = next(idents)
    while t < start + DAY:
        try:
            confirm_verification(service, "telegram", ident, guess, now=t)
            raise AssertionError("a guess hit")  # 1 in 10**8: would need a rerun
        except Invalid as exc:
            msg = str(exc)
        if "not right" in msg:
            guesses += 1
            t += timedelta(milliseconds=200)
        elif "Please wait" in msg:
            wait = re.search(r"wait (\d+)", msg)
            assert wait is not None, msg
            t += timedelta(seconds=int(wait.group(1)))
        elif "try again later" in msg:
            ident = next(idents)
            t += timedelta(minutes=5)
        else:  # no live code: ask for one at the next address
            try:
                start_verification(service, "telegram", ident, next(addrs), now=t)
            except Invalid:
                ident = next(idents)
                t += timedelta(minutes=5)
    return guesses


@pytest.fixture
def service(tmp_path: Path) -> Service:
    return build_service(Settings(home=tmp_path / "h"))


def test_one_identity_rotating_addresses_gets_few_guesses_a_day(service: Service) -> None:
    victims = [f"v{i}@victim.example" for i in range(200)]
    guesses = _attack(service, ["666"], victims, utcnow())
    print(f"\none identity, 200 addresses at one domain: {guesses} guesses in a day")
    assert guesses <= LIMITS.identity_wrong_per_day == 10


def test_many_identities_against_one_address_get_few_guesses_a_day(service: Service) -> None:
    guesses = _attack(service, [str(700 + i) for i in range(50)], ["ceo@victim.example"],
                      utcnow())
    print(f"\n50 identities, one victim address: {guesses} guesses in a day")
    assert guesses <= LIMITS.address_wrong_per_day == 20


def test_the_lockout_says_the_same_for_a_known_and_an_unknown_address(service: Service) -> None:


    with unit_of_work(service.engine) as s:
        s.contacts.ensure("known@victim.example")
        s.commit()
    answers = []
    for n, address in enumerate(("known@victim.example", "nobody@victim.example")):
        now = utcnow() + timedelta(days=2 * n)
        for _ in range(LIMITS.address_codes_per_hour):
            start_verification(service, "telegram", f"9{n}", address, now=now)
        with pytest.raises(Invalid) as refused:
            start_verification(service, "telegram", f"9{n}", address, now=now)
        answers.append(str(refused.value))
    assert answers[0] == answers[1]
