"""Slow work as jobs on PostgreSQL (bot/jobs.py): `casebot worker` processes SIGKILLed in the
middle of a mail send and of a zip check lose nothing and send nothing twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import build_service
from bot.settings import Settings
from flows.errors import Invalid, StillChecking
from store.db import make_engine, upgrade
from store.tables import ChatNotice
from store.uow import unit_of_work
from tests.smtpsink import SmtpSink
from tests.zipfactory import make_zipcrypto_zip

ROOT = Path(__file__).resolve().parents[2]
STALLED = 2.0  # seconds without a heartbeat before a worker's jobs go to another


def _env(pg_url: str, home: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "CASEBOT_DATABASE_URL": pg_url, "CASEBOT_HOME": str(home),
            "PYTHONPATH": str(ROOT), "CASEBOT_JOB_STALLED_SECONDS": str(STALLED),
            "CASEBOT_MAIL_FROM": "casebot@example.com", **extra}


def _casebot(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()


def _until(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _queue_mail(engine: object, n: int) -> list[int]:
    ids = []
    with unit_of_work(engine) as uow:  # type: ignore[arg-type]
        for i in range(n):
            mail = uow.outbox.queue(kind="update", to=f"user{i}@example.com",
                                    subject=f"mail {i}", body_text="hello")
            assert mail.id is not None
            ids.append(mail.id)
        uow.commit()
    return ids


@pytest.mark.timeout(120)
def test_a_worker_killed_mid_send_loses_no_mail_and_sends_none_twice(
        pg_url: str, tmp_path: Path, workers: list[subprocess.Popen[bytes]]) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    build_service(Settings(home=tmp_path, database_url=pg_url), engine)  # attaches the queue
    sink = SmtpSink(hold_at=2).start()  # the second DATA waits until the test lets go
    try:
        env = _env(pg_url, tmp_path, CASEBOT_SMTP_URL=f"{sink.url}?starttls=0",
                   CASEBOT_MAIL_LEASE_SECONDS="3")
        ids = _queue_mail(engine, 3)
        first = _casebot("worker", "--concurrency", "1", env=env)
        workers.append(first)
        assert sink.holding.wait(60), "the worker never reached the held DATA"
        first.kill()  # SIGKILL in the middle of the send: DATA sent, no reply yet
        first.wait()
        sink.release.set()
        workers.append(_casebot("worker", env=env))
        _until(lambda: len(sink.received) >= 3, 60, "every mail")
        time.sleep(1.5)  # a double send would land now
        counts = sink.per_message_id()
        assert len(counts) == 3, counts
        assert set(counts.values()) == {1}, counts
        assert sink.data_count == 4  # the held one was sent again, after its lease
        with unit_of_work(engine, read_only=True) as uow:
            assert {uow.outbox.get(i).status for i in ids} == {"sent"}  # type: ignore[union-attr]
    finally:
        sink.stop()
        engine.dispose()


@pytest.mark.timeout(150)
def test_a_worker_killed_mid_zip_check_still_gives_one_verdict(
        pg_url: str, tmp_path: Path, workers: list[subprocess.Popen[bytes]]) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    service = build_service(Settings(home=tmp_path, database_url=pg_url), engine)
    service.samples.answer_wait = 0.2
    slow = make_zipcrypto_zip(tmp_path / "slow.zip", {"a.bin": os.urandom(8_000_000)},
                              "infected")
    ref = service.files.put_path(slow, "slow.zip")
    env = _env(pg_url, tmp_path)
    first = _casebot("worker", env=env)
    workers.append(first)
    waiter = ("telegram", "42", "42")
    with pytest.raises(StillChecking):
        service.samples.check(ref.sha256, ref.path, "slow.zip", "infected", None,
                              wait=0.2, on_done=lambda _v: None, waiter=waiter)

    def running() -> bool:
        rows = _jobs(env, "list")
        return any(r["task"] == "check_sample" and r["status"] == "doing" for r in rows)

    _until(running, 30, "the check to start")
    time.sleep(0.5)
    first.kill()  # SIGKILL in the middle of the check (~5 s of ZipCrypto)
    first.wait()
    with unit_of_work(engine, read_only=True) as uow:
        key = service.samples.key(ref.sha256, "infected", None)  # type: ignore[attr-defined]
        assert uow.sample_checks.find(key).status == "checking"
    workers.append(_casebot("worker", env=env))

    def told() -> list[ChatNotice]:
        with unit_of_work(engine, read_only=True) as uow:
            return list(uow.session.exec(select(ChatNotice)).all())

    _until(lambda: told(), 120, "the verdict notice")
    time.sleep(2)  # a second verdict would land now
    [notice] = told()
    assert notice.text.startswith("slow.zip passed the sample check"), notice.text
    assert (notice.channel, notice.external_id) == ("telegram", "42")
    # any node now sees the verdict at once, without checking again
    service.samples.check(ref.sha256, ref.path, "slow.zip", "infected", None, wait=0)
    with pytest.raises(Invalid, match="password"):
        service.samples.check(ref.sha256, ref.path, "slow.zip", "wrong", None, wait=60)
    engine.dispose()


def _jobs(env: dict[str, str], *args: str) -> list[dict[str, object]]:
    done = subprocess.run([sys.executable, "-m", "bot.cli", "jobs", *args, "--json"],
                          env=env, cwd=ROOT, capture_output=True, timeout=60, check=True)
    rows: list[dict[str, object]] = json.loads(done.stdout)
    return rows


@pytest.mark.timeout(120)
def test_sigterm_hands_back_the_mail_in_hand_and_a_failed_job_is_listed_and_retried(
        pg_url: str, tmp_path: Path, workers: list[subprocess.Popen[bytes]]) -> None:
    from tests.web.conftest import Console, csrf_of

    engine = make_engine(pg_url)
    upgrade(engine)
    build_service(Settings(home=tmp_path, database_url=pg_url), engine)
    sink = SmtpSink(hold_at=1,
                    refuse_rcpt={"user1@example.com": "550 5.1.1 refused by policy"}).start()
    try:
        env = _env(pg_url, tmp_path, CASEBOT_SMTP_URL=f"{sink.url}?starttls=0",
                   CASEBOT_MAIL_RETRY_SECONDS="1")
        [held, refused] = _queue_mail(engine, 2)
        first = _casebot("worker", "--concurrency", "1", env=env)
        assert sink.holding.wait(60)
        first.send_signal(signal.SIGTERM)  # graceful: the send in hand finishes first
        time.sleep(0.5)
        assert first.poll() is None, "the worker left before its job was done"
        sink.release.set()  # the held DATA is answered 451: back to the queue, with backoff
        assert first.wait(30) == 0
        workers.append(_casebot("worker", env=env))
        _until(lambda: len(sink.received) == 1, 60, "the held mail, sent again")
        assert str(sink.received[0].message["Subject"]) == "mail 0"
        _until(lambda: _jobs(env, "list", "--failed"), 60, "the refused mail's failed job")
        [failed] = _jobs(env, "list", "--failed")
        assert failed["task"] == "send_mail"
        assert failed["lock"] == f"mail:{refused}"
        assert "550" in str(failed["last_error"])
        with unit_of_work(engine, read_only=True) as uow:
            assert uow.outbox.get(held).status == "sent"  # type: ignore[union-attr]
            assert uow.outbox.get(refused).status == "failed"  # type: ignore[union-attr]

        # operators see it in the console and can put it back in the queue
        console = Console(tmp_path / "web")
        console.chat.env["CASEBOT_DATABASE_URL"] = pg_url
        console.add_operator()
        console.start()
        try:
            client = console.signed_in()
            page = client.get("/jobs")
            assert page.status_code == 200
            assert f"mail:{refused}" in page.text
            assert "550 5.1.1 refused by policy" in page.text
            r = client.post(f"/jobs/{failed['id']}/retry", data={"csrf_token": csrf_of(page.text)})
            assert r.status_code == 303
            assert client.post(f"/jobs/{failed['id']}/retry",
                               data={"csrf_token": csrf_of(page.text)}).status_code in (303, 404)
        finally:
            console.close()
    finally:
        sink.stop()
        engine.dispose()


def test_on_sqlite_the_worker_says_jobs_run_in_the_chat_processes(tmp_path: Path) -> None:
    env = {**os.environ, "CASEBOT_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("CASEBOT_DATABASE_URL", None)
    for args in (["worker"], ["jobs", "list"]):
        done = subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        [line] = done.stderr.strip().splitlines()
        assert line.startswith("On SQLite, jobs run inside the chat processes")


def test_the_relay_defers_rows_whose_job_was_lost_once(pg_url: str, tmp_path: Path) -> None:
    import sqlalchemy as sa

    from bot.job_tasks import Runtime
    from bot.jobs import job_rows
    from store.tables import OutboxMail

    engine = make_engine(pg_url)  # not attached: mail queued here gets no job, as before 0014
    upgrade(engine)
    [lost] = _queue_mail(engine, 1)
    with engine.begin() as conn:  # due for two minutes already
        conn.execute(sa.update(OutboxMail).values(
            next_attempt_at=sa.func.now() - sa.text("interval '2 minutes'")))
    runtime = Runtime(Settings(home=tmp_path, database_url=pg_url), engine)
    assert job_rows(engine) == []
    assert runtime.relay() == 1
    assert runtime.relay() == 0  # its job waits: the queueing lock refuses a second
    [job] = job_rows(engine)
    assert (job["task"], job["lock"], job["status"]) == ("send_mail", f"mail:{lost}", "todo")
    # a mail queued on an attached engine has its job from the start, in its transaction
    [fresh] = _queue_mail(engine, 1)
    assert {j["lock"] for j in job_rows(engine)} == {f"mail:{lost}", f"mail:{fresh}"}
    def rolled_back() -> None:
        with unit_of_work(engine) as uow:
            uow.outbox.queue(kind="update", to="x@example.com", subject="s", body_text="b")
            raise RuntimeError("rolled back: neither the mail nor its job")

    with pytest.raises(RuntimeError):
        rolled_back()
    assert len(job_rows(engine)) == 2
    engine.dispose()


def test_the_relay_defers_notices_and_alerts_whose_job_was_lost(pg_url: str,
                                                                tmp_path: Path) -> None:
    """Chat work (bot/chat_jobs.py): a Slack or Telegram notice pending for a while, or
    claimed by a run that is gone, and a due staff alert get a job again; the terminal's
    notices never get one (`casebot chat` reads them)."""
    import sqlalchemy as sa

    from bot.job_tasks import Runtime
    from bot.jobs import job_rows
    from store.tables import StaffAlert

    engine = make_engine(pg_url)  # not attached: rows written here get no job
    upgrade(engine)
    with unit_of_work(engine) as uow:
        contact = uow.contacts.ensure("ann@acme.example")
        case, _ = uow.cases.create(contact, "k1", "slack", {"subject": "s"})
        pending = uow.notices.add("telegram", "42", "42", "hello", case.id)
        claimed = uow.notices.add("slack", "T1:U1", "DU1", "hello", case.id)
        uow.notices.add("console", "ann@acme.example", None, "hello", case.id)
        alert = uow.alerts.add(case.id or 0, "new", "New case")
    old = sa.func.now() - sa.text("interval '5 minutes'")
    with engine.begin() as conn:
        conn.execute(sa.update(ChatNotice).values(created_at=old))
        conn.execute(sa.update(ChatNotice).where(ChatNotice.id == claimed.id)  # type: ignore[arg-type]
                     .values(status="sending", claimed_at=old))
        conn.execute(sa.update(StaffAlert).values(next_attempt_at=old))
    runtime = Runtime(Settings(home=tmp_path, database_url=pg_url), engine)
    assert runtime.relay() == 3
    assert runtime.relay() == 0  # their jobs wait: the queueing lock refuses a second
    assert {(j["task"], j["lock"]) for j in job_rows(engine)} == {
        ("send_notice", f"notice:{pending.id}"), ("send_notice", f"notice:{claimed.id}"),
        ("post_alert", f"alert:{alert.id}")}
    engine.dispose()
