"""Chat notices are claimed by exactly one sender, and a dead sender's claim is taken over."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from bot import notices
from bot.protocol import Outcome
from store.db import make_engine, upgrade
from store.tables import ChatNotice, utcnow
from store.uow import unit_of_work


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    upgrade(eng)
    with unit_of_work(eng) as s:
        contact = s.contacts.ensure("ann@acme.example")
        for i in range(60):
            s.session.add(ChatNotice(channel="telegram", external_id="42", chat_ref="42",
                             text=f"update {i}"))
        s.session.add(ChatNotice(channel="slack", external_id="T:U", text="other channel"))
        s.commit()
        assert contact.id
    yield eng
    eng.dispose()


def test_concurrent_senders_claim_each_notice_once(engine: Engine) -> None:
    taken: list[list[int]] = [[], [], []]

    def sender(i: int) -> None:
        while True:
            with unit_of_work(engine) as s:
                batch = notices.claim(s, "telegram", limit=7)
            if not batch:
                return
            taken[i].extend(n.id for n in batch)
            for n in batch:
                with unit_of_work(engine) as s:
                    notices.ack(s, n.id, Outcome.SENT)

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    every = [n for part in taken for n in part]
    assert len(every) == 60
    assert len(set(every)) == 60
    with unit_of_work(engine) as s:
        assert s.notices.pending("slack")  # another channel's notice is left alone


def test_a_dead_senders_claim_is_taken_over_after_the_lease(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        first = notices.claim(s, "telegram", limit=1)
    assert len(first) == 1
    stuck = first[0].id
    with unit_of_work(engine) as s:
        assert stuck not in [n.id for n in notices.claim(s, "telegram", limit=100)]
    with unit_of_work(engine) as s:
        row = s.session.get(ChatNotice, stuck)
        assert row is not None
        row.claimed_at = utcnow() - timedelta(minutes=10)
        s.session.add(row)
        s.commit()
    with unit_of_work(engine) as s:
        again = notices.claim(s, "telegram", limit=100)
    assert [n.id for n in again] == [stuck]


def test_the_claim_is_the_callers_to_commit(engine: Engine) -> None:
    """notices.claim never commits: a claim whose unit of work rolls back takes nothing."""
    with pytest.raises(RuntimeError), unit_of_work(engine) as s:  # noqa: PT012 - the whole unit is under test
        assert notices.claim(s, "telegram", limit=1)
        raise RuntimeError("the unit rolls back")
    with unit_of_work(engine) as s:
        assert len(s.notices.pending("telegram", limit=100)) == 60


def test_a_notice_is_dropped_after_the_give_up_limit(engine: Engine) -> None:
    for _ in range(notices.GIVE_UP_AFTER):
        with unit_of_work(engine) as s:
            [n] = notices.claim(s, "telegram", limit=1)
            notices.ack(s, n.id, Outcome.RETRY)
    with unit_of_work(engine) as s:
        failed = s.session.get(ChatNotice, n.id)
        assert failed is not None
        assert failed.status == "failed"


def test_a_temporary_failure_hands_the_notice_back(engine: Engine) -> None:
    with unit_of_work(engine) as s:
        [n] = notices.claim(s, "telegram", limit=1)
        nid = n.id
        notices.ack(s, nid, Outcome.RETRY)
    with unit_of_work(engine) as s:
        assert nid in [x.id for x in s.notices.pending("telegram")]
