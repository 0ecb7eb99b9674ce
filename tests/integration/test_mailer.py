"""The mail sender against a real SMTP server on 127.0.0.1 (aiosmtpd): 4xx retried with
backoff, 5xx failed and listed, partial refusals, and the server going away mid-run."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select
from typer.testing import CliRunner

from bot.app import build_engine
from bot.cli.main import app as cli_app
from bot.mailer import Sender, SmtpConfig, run_sender, start_sender
from bot.settings import Settings
from store.tables import OutboxMail, saved_id, utcnow
from store.uow import unit_of_work
from tests.smtpsink import SmtpSink

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


@pytest.fixture
def settings(tmp_path: Path, sink: SmtpSink) -> Settings:
    return Settings(home=tmp_path / "home", smtp_url=sink.url, mail_from="desk@support.example",
                    mail_retry_seconds=0.05, mail_lease_seconds=2)


@pytest.fixture
def engine(settings: Settings) -> Engine:
    return build_engine(settings)


def queue(engine: Engine, count: int = 1) -> list[int]:
    with unit_of_work(engine) as s:
        ids = [saved_id(s.outbox.queue(kind="update", to=f"ann{i}@acme.example",
                                             cc=["bob@acme.example"], subject=f"Mail {i}",
                                             body_text=f"Body {i}\n")) for i in range(count)]
        s.commit()
    return ids


def rows(engine: Engine) -> list[OutboxMail]:
    with unit_of_work(engine) as s:
        return list(s.session.exec(select(OutboxMail).order_by(col(OutboxMail.id))))


def sender(engine: Engine, sink: SmtpSink, *, retry_base: float = 0.05, lease: float = 2,
           max_attempts: int = 15) -> Sender:
    return Sender(engine, SmtpConfig.parse(sink.url), "desk@support.example",
                  retry_base=retry_base, lease=lease, max_attempts=max_attempts)


def test_smtp_url_forms() -> None:
    cfg = SmtpConfig.parse("smtp://desk%40acme:p%40ss@mail.acme.example:587?starttls=1")
    assert (cfg.host, cfg.port, cfg.use_tls, cfg.start_tls, cfg.username, cfg.password) == (
        "mail.acme.example", 587, False, True, "desk@acme", "p@ss")
    assert "p@ss" not in repr(cfg)
    tls = SmtpConfig.parse("smtps://mail.acme.example")
    assert (tls.port, tls.use_tls, tls.start_tls) == (465, True, False)
    plain = SmtpConfig.parse("smtp://127.0.0.1:2525?timeout=5&verify=0")
    assert (plain.start_tls, plain.timeout, plain.validate_certs) == (None, 5.0, False)
    for bad, why in (("http://x", "must start with smtp://"), ("smtp://", "has no host"),
                     ("smtp://h:99999", "bad port number"),
                     ("smtp://h?starttls=maybe", "starttls must be 1 or 0")):
        with pytest.raises(ValueError, match=why):
            SmtpConfig.parse(bad)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=utcnow().tzinfo)


def backoff_then_due(engine: Engine) -> float:
    """Seconds the pending mail was put off by (measured on the stored time, not a clock),
    then make it due now, as if that time had passed."""
    with unit_of_work(engine) as s:
        [row] = list(s.session.exec(select(OutboxMail)))
        delay = (_aware(row.next_attempt_at) - utcnow()).total_seconds()
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
        s.session.add(row)
        s.commit()
    return delay


def test_4xx_is_retried_with_backoff_then_delivered(engine: Engine, sink: SmtpSink) -> None:
    sink.replies = ["451 4.7.1 greylisted, try again later", "421 4.3.2 busy"]
    [mail_id] = queue(engine)
    s = sender(engine, sink, retry_base=60)
    first = asyncio.run(s.send_due())
    assert (first.sent, first.retried) == (0, 1)
    [row] = rows(engine)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "451" in (row.last_error or "")
    assert asyncio.run(s.send_due()).retried == 0  # not due yet: backoff
    assert 50 < backoff_then_due(engine) <= 60
    assert asyncio.run(s.send_due()).retried == 1
    assert "421" in (rows(engine)[0].last_error or "")
    assert 110 < backoff_then_due(engine) <= 120  # doubled
    assert asyncio.run(s.send_due()).sent == 1
    [row] = rows(engine)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
    assert row.sent_at is not None
    assert len(sink.received) == 1
    assert sink.received[0].rcpt_tos == ["ann0@acme.example", "bob@acme.example"]
    assert sink.received[0].message["Message-ID"] == f"<mail-{mail_id}@support.example>"


def test_5xx_fails_for_good_and_shows_in_mail_list(engine: Engine, sink: SmtpSink,
                                                   settings: Settings) -> None:
    sink.replies = ["554 5.7.1 message refused"]
    queue(engine, 2)
    sink.refuse_rcpt = {"ann1@acme.example": "550 5.1.1 no such user",
                        "bob@acme.example": "550 5.1.1 no such user"}
    report = asyncio.run(sender(engine, sink).send_due())
    assert (report.sent, report.failed) == (0, 2)
    assert [r.status for r in rows(engine)] == ["failed", "failed"]
    result = CliRunner().invoke(cli_app, ["mail", "list", "--json"],
                                env={"CASEBOT_HOME": str(settings.home)})
    assert result.exit_code == 0, result.output
    listed = {m["id"]: m for m in json.loads(result.stdout)}
    assert {m["status"] for m in listed.values()} == {"failed"}
    errors = sorted(m["last_error"] for m in listed.values())
    assert "554 5.7.1 message refused" in errors[0]
    assert "recipients refused" in errors[1]
    assert "550" in errors[1]
    assert sink.received == []
    # failed mail is never tried again
    assert asyncio.run(sender(engine, sink).send_due()).failed == 0


def test_some_recipients_refused_still_counts_as_sent(engine: Engine, sink: SmtpSink) -> None:
    sink.refuse_rcpt = {"bob@acme.example": "550 5.1.1 no such user"}
    queue(engine)
    assert asyncio.run(sender(engine, sink).send_due()).sent == 1
    [row] = rows(engine)
    assert row.status == "sent"
    assert "bob@acme.example" in (row.last_error or "")
    assert sink.received[0].rcpt_tos == ["ann0@acme.example"]


def test_gives_up_after_max_attempts(engine: Engine, sink: SmtpSink) -> None:
    sink.replies = ["450 4.2.0 mailbox busy"] * 3
    queue(engine)
    s = sender(engine, sink, retry_base=0.01, max_attempts=2)
    asyncio.run(s.send_due())
    time.sleep(0.03)
    assert asyncio.run(s.send_due()).failed == 1
    [row] = rows(engine)
    assert row.status == "failed"
    assert (row.last_error or "").startswith("gave up after 2 tries")


def test_server_going_away_mid_run_loses_nothing_and_doubles_nothing(engine: Engine, sink: SmtpSink,
                                                                     settings: Settings) -> None:
    ids = queue(engine, 30)
    sink.hold_at = 11  # the 11th message is in flight when the server goes away
    handle = start_sender(engine, settings, interval=0.05)
    assert handle is not None
    stop, thread = handle
    assert sink.holding.wait(10)
    sink.stop()  # connections dropped: the held message was never accepted
    time.sleep(0.5)  # the sender keeps trying a server that is not there
    stop.set()
    thread.join(10)
    assert not thread.is_alive()
    before = rows(engine)
    assert sum(r.status == "sent" for r in before) == 10
    assert {r.status for r in before} <= {"sent", "pending"}
    assert any("can't reach" in (r.last_error or "") for r in before)

    sink.hold_at = None
    sink.start()  # the same port, as after a restart
    stop2 = threading.Event()
    worker = threading.Thread(target=run_sender, args=(engine, settings, stop2),
                              kwargs={"interval": 0.05})
    worker.start()
    try:
        sink.wait_for(30, timeout=20)
        deadline = time.monotonic() + 5
        while any(r.status != "sent" for r in rows(engine)) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop2.set()
        worker.join(10)
    counts = sink.per_message_id()
    assert len(counts) == 30
    assert set(counts.values()) == {1}
    assert set(counts) == {f"<mail-{i}@support.example>" for i in ids}
    assert {r.status for r in rows(engine)} == {"sent"}


def test_a_stale_sending_claim_is_taken_again_after_its_lease(engine: Engine,
                                                              sink: SmtpSink) -> None:
    [mail_id] = queue(engine)
    crashed = sender(engine, sink, lease=0.2)
    assert crashed.claim() is not None  # claimed, then the process "died"
    assert sender(engine, sink).claim() is None  # leased: nobody else takes it
    time.sleep(0.25)
    report = asyncio.run(sender(engine, sink).send_due())
    assert report.sent == 1
    assert rows(engine)[0].attempts == 2
    assert sink.per_message_id() == {f"<mail-{mail_id}@support.example>": 1}


def test_without_smtp_mail_stays_in_the_outbox(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "h2")
    engine = build_engine(settings)
    queue(engine)
    assert run_sender(engine, settings, once=True).sent == 0
    assert start_sender(engine, settings) is None
    assert rows(engine)[0].status == "pending"
