"""Issue 26: on PostgreSQL chat work is jobs of `casebot worker` (bot/chat_jobs.py). A real
worker process posts an operator's reply to the customer's Slack DM and Telegram chat, and a
staff alert to the staff channel, through the stand-ins' real HTTP APIs; a failed post is
retried; a worker SIGKILLed while Slack holds its post loses nothing (the one duplicate it can
cause is the message Slack had already taken)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot import alerts
from bot.app import build_service
from bot.jobs import job_rows
from bot.service import Service
from bot.settings import Settings
from bot.updates import reply_case
from store.db import make_engine, upgrade
from store.tables import ChatNotice
from store.uow import unit_of_work
from tests.e2e import pseudo
from tests.e2e.fake_slack import BOT_TOKEN, FakeSlack
from tests.e2e.fake_telegram import FakeTelegram

pytestmark = pytest.mark.timeout(90)
ROOT = Path(__file__).resolve().parents[2]
STAFF = "CSTAFF"
STALLED = 2.0  # seconds without a heartbeat before a killed worker's job goes to another


@dataclass
class Rig:
    slack: FakeSlack
    telegram: FakeTelegram
    service: Service
    env: dict[str, str]
    workers: list[subprocess.Popen[bytes]]

    def worker(self) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], env=self.env,
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.workers.append(proc)
        return proc

    def case(self, channel: str, external_id: str, chat_ref: str | None = None,
             severity: str = "Medium") -> str:
        with unit_of_work(self.service.engine) as s:
            contact = s.contacts.ensure(f"{external_id.replace(':', '.')}@acme.example")
            s.contacts.link_identity(contact, channel, external_id, chat_ref)
            case, _ = s.cases.create(contact, f"k-{external_id}", channel, {
                "subject": pseudo.noted("VPN client drops"), "severity": severity})
            alerts.case_opened(s, case, self.service.staff)
            s.commit()
            return str(case.number)

    def reply(self, number: str, text: str) -> None:
        """What `casebot cases reply` and the console's reply form run."""
        reply_case(self.service, number, actor="cli:op", text=pseudo.noted(text))

    def update(self, number: str, note: str) -> None:
        """`casebot cases update NUMBER --note …`, in a process of its own."""
        subprocess.run([sys.executable, "-m", "bot.cli", "cases", "update", number, "--note",
                        pseudo.noted(note)], env=self.env, cwd=ROOT, check=True,
                       capture_output=True,
                       timeout=60)

    def posts(self, channel: str, text: str) -> int:
        return sum(1 for c in self.slack.of("chat.postMessage")
                   if c.args.get("channel") == channel and text in str(c.args.get("text"))
                   and c.result.get("ok"))

    def idle(self) -> bool:
        """No job waiting or running but the periodic ones."""
        return not [r for r in job_rows(self.service.engine)
                    if r["task"] in ("send_notice", "post_alert", "publish_home")
                    and r["status"] in ("todo", "doing")]

    def notices(self) -> list[ChatNotice]:
        with unit_of_work(self.service.engine, read_only=True) as s:
            return list(s.session.exec(select(ChatNotice).order_by(col(ChatNotice.id))))


def until(check: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def rig(pg_url: str, tmp_path: Path) -> Iterator[Rig]:
    engine = make_engine(pg_url)
    upgrade(engine)
    engine.dispose()
    telegram = FakeTelegram().start()
    with FakeSlack() as slack:
        slack.operator_channels.add(STAFF)
        settings = Settings(home=tmp_path / "a", database_url=pg_url,
                            staff_slack_channel=STAFF)
        env = {**os.environ, "CASEBOT_DATABASE_URL": pg_url, "CASEBOT_HOME": str(tmp_path / "w"),
               "PYTHONPATH": str(ROOT), "SLACK_BOT_TOKEN": BOT_TOKEN,
               "SLACK_API_URL": slack.api_url, "TELEGRAM_BOT_TOKEN": telegram.token,
               "TELEGRAM_API_URL": telegram.url, "CASEBOT_STAFF_SLACK_CHANNEL": STAFF,
               "CASEBOT_JOB_STALLED_SECONDS": str(STALLED),
               "CASEBOT_NOTICE_RETRY_SECONDS": "0.2"}
        r = Rig(slack, telegram, build_service(settings), env, [])
        try:
            yield r
        finally:
            for p in r.workers:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in r.workers:
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
            r.service.engine.dispose()
            telegram.close()


def test_a_reply_reaches_slack_and_telegram_once_and_an_alert_the_staff_channel(
        rig: Rig) -> None:
    slack_case = rig.case("slack", "T1:U1", "DU1", severity="Critical")
    telegram_case = rig.case("telegram", "4242")
    rig.worker()
    rig.reply(slack_case, "Please try client 2.1")
    rig.update(telegram_case, "Please try client 2.2")
    until(lambda: rig.posts("DU1", "Please try client 2.1"), "the Slack DM")
    until(lambda: any("Please try client 2.2" in t for t in rig.telegram.texts(4242)),
          "the Telegram chat")
    until(lambda: rig.posts(STAFF, f"New Critical case {slack_case}"), "the staff alert")
    until(lambda: rig.slack.of("views.publish"), "the App Home refresh")
    until(rig.idle, "the jobs to finish")
    assert rig.posts("DU1", "Please try client 2.1") == 1
    assert sum("Please try client 2.2" in t for t in rig.telegram.texts(4242)) == 1
    assert rig.posts(STAFF, slack_case) == 1
    [home] = rig.slack.of("views.publish")
    assert home.args["user_id"] == "U1"
    assert {(n.channel, n.status, n.attempts) for n in rig.notices()} == {
        ("slack", "sent", 0), ("telegram", "sent", 0)}
    assert not job_rows(rig.service.engine, failed=True)


def test_a_failed_post_is_retried_with_backoff(rig: Rig) -> None:
    number = rig.case("slack", "T1:U2", "DU2")
    rig.slack.fail("chat.postMessage", "internal_error")
    rig.worker()
    rig.reply(number, "Reboot once more")
    until(lambda: rig.posts("DU2", "Reboot once more"), "the post after the failure")
    until(rig.idle, "the job to finish")
    tries = [c for c in rig.slack.of("chat.postMessage") if c.args.get("channel") == "DU2"]
    assert [c.result.get("ok") for c in tries] == [False, True]
    assert tries[1].at - tries[0].at >= 0.2  # backed off (CASEBOT_NOTICE_RETRY_SECONDS)
    [notice] = rig.notices()
    assert (notice.status, notice.attempts) == ("sent", 1)


def test_a_worker_killed_mid_post_loses_nothing(rig: Rig) -> None:
    """Slack has the message but the worker dies before hearing so: the notice stays claimed,
    the queue hands the job to the next worker once the lease ends, and it posts again. That
    one duplicate (Slack took the first) is the documented at-least-once window; nothing is
    lost, and the next reply goes out once."""
    number = rig.case("slack", "T1:U3", "DU3")
    rig.slack.hold("chat.postMessage")
    first = rig.worker()
    rig.reply(number, "First answer")
    assert rig.slack.holding.wait(30), "the worker never posted"
    first.kill()
    first.wait()
    rig.slack.release.set()
    rig.worker()
    rig.reply(number, "Second answer")
    until(lambda: rig.posts("DU3", "First answer") >= 2, "the post again, after the lease")
    until(lambda: rig.posts("DU3", "Second answer"), "the next reply")
    until(rig.idle, "the jobs to finish")
    assert rig.posts("DU3", "First answer") == 2
    assert rig.posts("DU3", "Second answer") == 1
    assert [n.status for n in rig.notices()] == ["sent", "sent"]


def test_a_worker_without_a_platforms_settings_says_so_in_the_jobs_list(rig: Rig) -> None:
    del rig.env["TELEGRAM_BOT_TOKEN"]
    number = rig.case("telegram", "4243")
    rig.worker()
    rig.reply(number, "Any luck?")

    def waiting() -> list[dict[str, object]]:
        # the error is written while the job is still "doing"; wait until it is handed back
        return [r for r in job_rows(rig.service.engine)
                if r["task"] == "send_notice" and r["last_error"] and r["status"] != "doing"]

    until(waiting, "the job's error")
    [job] = waiting()
    assert job["status"] == "todo"  # tried again later, by any worker
    assert "cannot post to telegram" in str(job["last_error"])
    assert "TELEGRAM_BOT_TOKEN" in str(job["last_error"])
    assert [n.status for n in rig.notices()] == ["pending"]  # not claimed, not lost
    assert not rig.telegram.texts(4243)
