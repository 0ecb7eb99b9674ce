"""Delivery ids are forgotten after the retention, by the API, the pruner and `casebot db prune`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from bot import maintenance
from bot.cli.main import app
from store.db import make_engine, upgrade
from store.tables import ProcessedEvent, utcnow
from store.uow import unit_of_work


def _fill(engine: Engine) -> None:
    now = utcnow()
    with unit_of_work(engine) as s:
        for key, age in (("old:1", 24 * 9), ("old:2", 24 * 8), ("new:1", 24 * 6), ("new:2", 1)):
            s.session.add(ProcessedEvent(key=key, at=now - timedelta(hours=age)))
        s.commit()


def _keys(engine: Engine) -> set[str]:
    with unit_of_work(engine) as s:
        return set(s.session.exec(select(ProcessedEvent.key)))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    upgrade(eng)
    _fill(eng)
    yield eng
    eng.dispose()


def test_default_retention_is_seven_days(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASEBOT_DELIVERY_RETENTION_HOURS", raising=False)
    assert maintenance.prune_deliveries(engine) == 2
    assert _keys(engine) == {"new:1", "new:2"}


def test_retention_setting_and_pruner_interval(engine: Engine,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEBOT_DELIVERY_RETENTION_HOURS", "2")
    pruner = maintenance.Pruner(engine, every=3600)
    assert pruner.maybe() == 3
    with unit_of_work(engine) as s:
        s.session.add(ProcessedEvent(key="old:3", at=utcnow() - timedelta(days=30)))
        s.commit()
    assert pruner.maybe() == 0  # not again within the interval
    assert _keys(engine) == {"new:2", "old:3"}


def test_a_redelivery_after_pruning_is_new_again(engine: Engine) -> None:

    maintenance.prune_deliveries(engine, timedelta(days=7))
    with unit_of_work(engine) as s:
        assert s.deliveries.first("old:1")
        assert not s.deliveries.first("new:1")


def test_cli_db_prune(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CASEBOT_DATABASE_URL", url)
    eng = make_engine(url)
    upgrade(eng)
    _fill(eng)
    result = CliRunner().invoke(app, ["db", "prune"])
    assert result.exit_code == 0, result.output
    assert "Forgot 2 delivery ids," in result.output
    result = CliRunner().invoke(app, ["db", "prune", "--hours", "0"])
    assert result.exit_code == 0
    assert "Forgot 2 delivery ids," in result.output
    with eng.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM processed_events")).scalar() == 0
    assert CliRunner().invoke(app, ["db", "prune", "--hours", "-1"]).exit_code == 2
    eng.dispose()


def test_identity_waits_keep_the_first_ask_and_are_pruned(db_url: str) -> None:
    """What an unlinked person first asked for is kept in the database (issue 12): a later ask
    never replaces it, "not that email" sticks, taking it deletes it, and old ones are pruned."""
    from flows.model import Inbound
    from store.uow import unit_of_work

    eng = make_engine(db_url)
    upgrade(eng)
    first = Inbound(kind="command", command="newcase", args="printer on fire")
    with unit_of_work(eng) as s:
        s.waits.remember("telegram", "7", ask=first)
    with unit_of_work(eng) as s:
        s.waits.remember("telegram", "7", ask=Inbound(kind="command", command="cases"))
        s.waits.remember("telegram", "7", declined=True)
        s.waits.remember("slack", "T1:U1", declined=True)
    with unit_of_work(eng) as s:
        assert s.waits.get("telegram", "7") == (first, True)
        assert s.waits.get("slack", "T1:U1") == (None, True)
        assert s.waits.get("console", "nobody") == (None, False)
        assert s.waits.take("telegram", "7") == first
    with unit_of_work(eng) as s:
        assert s.waits.get("telegram", "7") == (None, False)
    assert maintenance.prune_identity_waits(eng) == 0  # a fresh one stays
    with eng.begin() as conn:
        conn.execute(sa.text("UPDATE identity_waits SET updated_at = :at"),
                     {"at": utcnow() - timedelta(days=8)})
    assert maintenance.prune_identity_waits(eng) == 1
    with unit_of_work(eng) as s:
        assert s.waits.get("slack", "T1:U1") == (None, False)
    eng.dispose()


def test_staff_alerts_posted_or_given_up_are_pruned_pending_ones_stay(engine: Engine) -> None:
    """Old alerts that were posted or given up go with the outbox's retention; one still
    being tried stays, however old."""
    from store.tables import NEVER, Account, Contact, StaffAlert, saved_id

    old = utcnow() - timedelta(days=40)
    with unit_of_work(engine) as s:
        account = Account(name="Acme", domain="acme.example")
        s.session.add(account)
        s.session.flush()
        contact = Contact(account_id=saved_id(account), email="ann@acme.example")
        s.session.add(contact)
        s.session.flush()
        case, _ = s.cases.create(contact, "k1", "console", {"subject": "Down"})
        assert case.id is not None
        # kind: (created, sent, next attempt)
        rows = {"posted": (old, old, old), "given up": (old, None, NEVER),
                "trying": (old, None, utcnow()), "new": (utcnow(), utcnow(), utcnow())}
        for kind, (created, sent, attempt) in rows.items():
            s.session.add(StaffAlert(case_id=case.id, kind=kind, text=kind, created_at=created,
                                     sent_at=sent, next_attempt_at=attempt))
    assert maintenance.prune_alerts(engine, timedelta(days=30)) == 2
    with unit_of_work(engine, read_only=True) as s:
        assert {a.kind for a in s.session.exec(select(StaffAlert))} == {"trying", "new"}
