"""Issue 22, finding 6: the console's sign-in limit (5 refused sign-ins per email, 20 per client
address, in 15 minutes) read the count, checked the password, then counted; a burst of
concurrent sign-ins all read the same count, and 19 passwords were tried against the 5.

Here threads, each with its own browser session, post their sign-ins at once to the real
`casebot web` on PostgreSQL. A password was checked when the answer is 401 (wrong) or 303
(signed in); 429 means the limit refused it unchecked.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.operators import MAX_FAILURES_PER_CLIENT, MAX_FAILURES_PER_EMAIL
from store.db import make_engine, upgrade
from tests.web.conftest import OPERATOR, PASSWORD, Console, csrf_of


@pytest.fixture
def console(pg_url: str, tmp_path: Path) -> Iterator[Console]:
    engine = make_engine(pg_url)
    upgrade(engine)
    engine.dispose()
    c = Console(tmp_path / "home")
    c.chat.env["CASEBOT_DATABASE_URL"] = pg_url
    c.add_operator()
    c.start()
    yield c
    c.close()


def burst(console: Console, forms: list[dict[str, str]]) -> Counter[int]:
    """Post each sign-in form from its own session, all released at once; the status codes."""
    clients = [console.client() for _ in forms]
    tokens = [csrf_of(c.get("/signin").text) for c in clients]
    ready = threading.Barrier(len(forms))

    def post(i: int) -> int:
        ready.wait()
        return clients[i].post("/signin", data={**forms[i], "csrf_token": tokens[i]},
                               timeout=60).status_code

    try:
        with ThreadPoolExecutor(len(forms)) as pool:
            return Counter(pool.map(post, range(len(forms))))
    finally:
        for c in clients:
            c.close()


def test_a_burst_of_passwords_for_one_operator_gets_five_checks(console: Console) -> None:
    statuses = burst(console, [{"email": OPERATOR, "password": f"guess number {i:02}"}
                               for i in range(20)])
    print(f"\n20 concurrent passwords for one operator: {statuses[401]} checked")
    assert statuses[401] == MAX_FAILURES_PER_EMAIL == 5
    assert statuses[429] == 15
    with console.client() as c:  # locked now: even the right password is refused
        token = csrf_of(c.get("/signin").text)
        assert c.post("/signin", data={"csrf_token": token, "email": OPERATOR,
                                       "password": PASSWORD}).status_code == 429


def test_a_burst_from_one_client_gets_twenty_checks(console: Console) -> None:
    """Different emails, so only the per-client limit counts."""
    statuses = burst(console, [{"email": f"nobody{i}@x.example", "password": "wrong password"}
                               for i in range(30)])
    print(f"\n30 concurrent sign-ins from one client: {statuses[401]} checked")
    assert statuses[401] == MAX_FAILURES_PER_CLIENT == 20
    assert statuses[429] == 10


def test_a_right_password_in_a_burst_signs_in_and_is_not_counted(console: Console) -> None:
    """The attempt is counted before the check; a right password takes its count back."""
    forms = [{"email": OPERATOR, "password": "guess number 1"},
             {"email": OPERATOR, "password": PASSWORD},
             {"email": OPERATOR, "password": "guess number 2"}]
    statuses = burst(console, forms)
    assert statuses == Counter({401: 2, 303: 1})
    refused = burst(console, [{"email": OPERATOR, "password": f"guess {i:02} again"}
                              for i in range(6)])
    assert refused == Counter({401: 3, 429: 3})  # 2 + 3 refusals: the right one did not count
