"""Issue 22, finding 2: the verification limits were read, then counted in Python
(`row.tries += 1`), so concurrent requests all read the same counts: 16-19 concurrent guesses
against one code on PostgreSQL got 29-38 checks recorded as 5.

Here threads released together guess, and ask for codes, against one database, PostgreSQL and
SQLite (each call is its own transaction, as two chat workers' would be). A guess was checked
when its answer says "not right"; no more may be checked than the limits allow, and each is
recorded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.app import build_service
from bot.service import Service
from bot.settings import Settings
from bot.verification import MAX_TRIES, Limits, confirm_verification, start_verification
from flows.errors import Invalid
from store.tables import utcnow
from store.uow import unit_of_work

NO_DELAY = Limits(first_delay_seconds=0)  # the delay would hide the count: test the count


@pytest.fixture
def service(engine: Engine, tmp_path: Path) -> Service:
    return build_service(Settings(home=tmp_path / "h"), engine=engine)


def burst(n: int, call: Callable[[int], object]) -> list[str]:
    """`call(0)` … `call(n-1)` in n threads released at once; each one's answer ("ok" or the
    refusal's text)."""
    ready = threading.Barrier(n)

    def one(i: int) -> str:
        ready.wait()
        try:
            call(i)
        except Invalid as exc:
            return str(exc)
        return "ok"

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def checked(answers: list[str]) -> int:
    return sum("not right" in a for a in answers)


def tries_recorded(service: Service, address: str) -> int:
    """Wrong tries the database holds against `address` (the counts the limits read)."""
    with unit_of_work(service.engine, read_only=True) as s:
        return s.verification.wrong(utcnow() - timedelta(days=1), email=address)


def wrong_code(service: Service) -> str:
    """Eight digits that are not the code just mailed."""
    with unit_of_work(service.engine, read_only=True) as s:
        body = s.outbox.recent(limit=1)[0].body_text
    code = next(w.rstrip(".") for w in body.split() if w.rstrip(".").isdigit())
    return "11111111" if code != "11111111" else "22222222"


def test_concurrent_guesses_at_one_code_get_its_five_tries(service: Service) -> None:
    start_verification(service, "telegram", "1", "ann@victim.example")
    guess = wrong_code(service)
    answers = burst(19, lambda _i: confirm_verification(service, "telegram", "1", guess,
                                                        limits=NO_DELAY))
    print(f"\n19 concurrent guesses at one code: {checked(answers)} checked, "
          f"{tries_recorded(service, 'ann@victim.example')} recorded")
    assert checked(answers) == MAX_TRIES == tries_recorded(service, "ann@victim.example")
    # one after another: each checked guess saw the tries the others had used
    left = sorted(a for a in answers if "not right" in a)
    assert sum("can't be used any more" in a for a in left) == 1
    assert all(any(f"({n} tr" in a for a in left) for n in range(1, MAX_TRIES))
    assert "ok" not in answers


def test_concurrent_guesses_keep_the_growing_delay(service: Service) -> None:
    """With the delay of the real limits, two guesses go through and the rest must wait."""
    start_verification(service, "telegram", "1", "ann@victim.example")
    guess = wrong_code(service)
    answers = burst(16, lambda _i: confirm_verification(service, "telegram", "1", guess))
    assert checked(answers) == 2 == tries_recorded(service, "ann@victim.example")
    assert sum("Please wait" in a for a in answers) == 14


def test_concurrent_guesses_from_many_identities_keep_the_address_cap(service: Service) -> None:
    """30 identities, each with a code for the victim's address, guess twice at once: no more
    than the 20 a day allowed against one address are checked."""
    many = Limits(address_codes_per_hour=100, address_codes_per_day=100, first_delay_seconds=0)
    for i in range(30):
        start_verification(service, "telegram", str(100 + i), "ceo@victim.example", limits=many)
    answers = burst(60, lambda i: confirm_verification(service, "telegram", str(100 + i // 2),
                                                       "00000000", limits=many))
    print(f"\n60 concurrent guesses from 30 identities at one address: {checked(answers)} "
          "checked")
    assert checked(answers) == many.address_wrong_per_day == 20
    assert tries_recorded(service, "ceo@victim.example") == 20


ASKS: dict[str, Callable[[Service, int], object]] = {
    "one address, many identities": lambda service, i: start_verification(
        service, "telegram", str(200 + i), "cfo@victim.example"),
    "one identity, many addresses": lambda service, i: start_verification(
        service, "telegram", "300", f"x{i}@victim.example"),
    "one domain, many identities and addresses": lambda service, i: start_verification(
        service, "telegram", str(400 + i), f"y{i}@victim.example"),
}


@pytest.mark.parametrize(("who", "requests", "limit"), [
    ("one address, many identities", 20, Limits().address_codes_per_hour),
    ("one identity, many addresses", 20, Limits().identity_codes_per_hour),
    ("one domain, many identities and addresses", 40, Limits().domain_codes_per_hour),
])
def test_concurrent_code_requests_keep_the_hourly_limits(service: Service, who: str,
                                                         requests: int, limit: int) -> None:
    answers = burst(requests, lambda i: ASKS[who](service, i))
    with unit_of_work(service.engine, read_only=True) as s:
        mailed = len(s.outbox.recent())
    print(f"\n{requests} concurrent code requests, {who}: {mailed} mailed")
    assert answers.count("ok") == mailed == limit
