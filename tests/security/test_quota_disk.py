"""Issue 22, finding 3: the file quota did not limit the disk.

Every adapter stored a file's bytes first and checked the quota after, and a refused file
stayed on disk for 7 days: six 0.9 MB files over a 1 MB quota left 5.3 MB on disk after
`casebot db prune`. Now the chat layer reserves the quota (and a global disk budget) from the
size the platform declares before anything is fetched, the bytes are counted again as they
stream, and a file the request does not take is deleted at once. Each attack goes through the
real chat layer and adapters, against the Slack and Telegram stand-ins; the disk is measured
on the files folder.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot import quota
from bot.app import build_engine, build_service
from bot.cli.main import app as cli
from bot.processes import build_slack_bot
from bot.service import Service
from bot.settings import Settings
from store.uow import unit_of_work
from tests.e2e.fake_slack import (
    BOT_TOKEN,
    SECRET,
    Driver,
    FakeSlack,
    TrackingExecutor,
    link,
    make_profile,
    slack_rig,
)
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.telegram_driver import BotRun, add_profile

pytestmark = pytest.mark.timeout(120)

MB = 1024 * 1024
NEAR_MB = 9 * MB // 10  # "0.9 MB"
OVER_QUOTA = "the most one person may store in a day"


def on_disk(home: Path) -> int:
    """Bytes in the files folder, half-written files included."""
    folder = home / "attachments"
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) \
        if folder.exists() else 0


def counted(service: Service, email: str) -> int:
    """Bytes the quota counts (stored and reserved) for the contact."""
    with unit_of_work(service.engine) as s:
        contact = s.contacts.by_email(email)
        assert contact is not None
        assert contact.id is not None
        return quota.used(s, contact.id)


def to_attachments(service: Service, slack: Driver, user: str, email: str) -> None:
    """A linked contact's Product Issues request, at the review's "Edit Attachments"."""
    link(service, user, email)
    slack.command(user, "/case", "new")
    make_profile(slack, user)
    slack.press(user, "Windows 10")
    slack.press(user, "Product Issues")
    slack.say(user, "Agent offline")
    slack.say(user, "Since Monday the agent shows offline.")
    slack.press(user, "Low")
    slack.press(user, "Edit Attachments")
    assert "Attach any files" in slack.last(user).args["text"]


def attached(service: Service, email: str) -> list[str]:
    """The names of the files the contact's draft holds (before "done" too)."""
    with unit_of_work(service.engine) as s:
        contact = s.contacts.by_email(email)
        assert contact is not None
        assert contact.id is not None
        conv = s.conversations.load(contact.id)
        assert conv is not None
        answers, form = conv.draft  # files attached so far wait in the step's selection
        files = form.pending.get("attachments") or answers.get("attachments") or []
        return [f["name"] for f in files]


@pytest.mark.parametrize("together", [False, True], ids=["one message each", "one message"])
def test_six_files_over_a_1_mb_quota_leave_at_most_the_quota_on_disk(
        tmp_path: Path, together: bool) -> None:
    """The finding's attack: six 0.9 MB files (Slack's partial file objects, whose size
    only files.info tells) over a 1 MB quota. Only the first is downloaded; the disk holds
    0.9 MB before and after `casebot db prune` (was 5.3 MB)."""
    with slack_rig(tmp_path) as rig:
        rig.service.file_quota_bytes = MB
        to_attachments(rig.service, rig.slack, "U2", "pat@acme.example")
        partials = [rig.fake.add_file(f"F{n}", f"dump{n}.bin", os.urandom(NEAR_MB))
                    for n in range(6)]
        if together:
            rig.slack.say("U2", "", files=partials)
        else:
            for partial in partials:
                rig.slack.say("U2", "", files=[partial])

        assert [path for path, _ in rig.fake.downloads] == ["/files/F0/download/dump0.bin"]
        refusals = [m.args["text"] for m in rig.slack.messages("U2")
                    if OVER_QUOTA in m.args.get("text", "")]
        assert len(refusals) == 5
        assert refusals[0].startswith("I didn't take dump1.bin:")
        assert attached(rig.service, "pat@acme.example") == ["dump0.bin"]
        assert counted(rig.service, "pat@acme.example") == NEAR_MB
        assert on_disk(rig.settings.home) == NEAR_MB

        result = CliRunner().invoke(cli, ["db", "prune"])
        assert result.exit_code == 0, result.output
        assert on_disk(rig.settings.home) == NEAR_MB


async def test_a_file_larger_than_telegram_declared_is_cut_off_while_streaming(
        fake: FakeTelegram, settings: Settings) -> None:
    """Telegram's message says 100 KB; the download sends 3 MB against a 1 MB quota. The
    stream stops once it passes the quota: nothing of it stays on disk, nothing is counted."""
    async with BotRun(fake, settings, "polling") as run:
        run.service.file_quota_bytes = MB
        run.link(4401, "liz@acme.example")
        add_profile(run, "liz@acme.example")
        user = run.user(4401)
        await user.say("/newcase")
        if "operating system" in user.keyboard_message()["text"]:
            await user.press("Windows 10", exact=True)
        await user.press("Product Issues")
        await user.say("Agent offline")
        await user.say("Since Monday the agent shows offline.")
        await user.press("Low", exact=True)
        await user.press("Edit Attachments")
        await user.document("agent.log", os.urandom(3 * MB), size=100_000)

        assert fake.of("download")  # it was fetched: its declared size fitted
        assert OVER_QUOTA in user.last_text or any(
            OVER_QUOTA in t for t in fake.texts(4401))
        assert on_disk(settings.home) == 0
        assert counted(run.service, "liz@acme.example") == 0

        honest = os.urandom(NEAR_MB // 2)  # one that fits is stored and counted as it is
        await user.document("small.log", honest, size=1000)
        assert on_disk(settings.home) == len(honest)
        assert counted(run.service, "liz@acme.example") == len(honest)


def test_a_full_disk_budget_refuses_before_fetching_and_says_so(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """CASEBOT_FILES_BUDGET_MB: everyone's files together. Two contacts fill a 2 MB budget;
    the next file is not downloaded, its sender is told, and operators get a log line."""
    with slack_rig(tmp_path) as rig:
        rig.service.files_budget_bytes = 2 * MB
        to_attachments(rig.service, rig.slack, "U2", "pat@acme.example")
        to_attachments(rig.service, rig.slack, "U3", "sue@acme.example")
        rig.slack.say("U2", "", files=[rig.fake.add_file("F1", "a.bin", os.urandom(NEAR_MB))])
        rig.slack.say("U3", "", files=[rig.fake.add_file("F2", "b.bin", os.urandom(NEAR_MB))])
        with caplog.at_level(logging.WARNING, logger="bot.quota"):
            rig.slack.say("U2", "", files=[rig.fake.add_file("F3", "c.bin",
                                                             os.urandom(NEAR_MB))])
        assert len(rig.fake.downloads) == 2
        assert "I can't take c.bin right now: casebot's storage for attachments is full." \
            in rig.slack.text("U2")
        assert any("attachment storage full" in r.getMessage() for r in caplog.records)
        assert on_disk(rig.settings.home) == 2 * NEAR_MB <= 2 * MB


def test_a_file_the_request_refuses_is_deleted_at_once(tmp_path: Path) -> None:
    """A file stored and then refused by the request (over the per-case limit) does not
    wait 7 days for `db prune`: it is deleted once the event is handled."""
    with slack_rig(tmp_path) as rig:
        rig.service.max_attachment_bytes = 3 * MB // 2  # per case; a file may be larger
        to_attachments(rig.service, rig.slack, "U2", "pat@acme.example")
        rig.slack.say("U2", "", files=[rig.fake.add_file("F1", "a.bin", os.urandom(NEAR_MB))])
        rig.slack.say("U2", "", files=[rig.fake.add_file("F2", "b.bin", os.urandom(NEAR_MB))])
        assert "over the 1.5 MB limit per case" in rig.slack.text("U2")
        assert attached(rig.service, "pat@acme.example") == ["a.bin"]
        assert on_disk(rig.settings.home) == NEAR_MB


# -- several workers on one database (PostgreSQL, and SQLite) -----------------------------


@dataclass
class Worker:
    service: Service
    slack: Driver


@contextmanager
def workers(tmp_path: Path, db_url: str, count: int) -> Iterator[tuple[FakeSlack,
                                                                        list[Worker]]]:
    """`count` Slack worker processes' worth of casebot (each its own engine, chat layer and
    Bolt app) on one database and one files folder, behind one stand-in Slack."""
    with FakeSlack() as fake:
        settings = Settings(home=tmp_path / "home", database_url=db_url,
                            slack_bot_token=BOT_TOKEN, slack_signing_secret=SECRET,
                            slack_api_url=fake.api_url, slack_allowed_teams="T1",
                            file_quota_mb=1)
        build_engine(settings, migrate=True).dispose()
        made: list[tuple[Worker, TrackingExecutor]] = []
        for _ in range(count):
            service = build_service(settings)
            executor = TrackingExecutor()
            bot = build_slack_bot(settings, service, listener_executor=executor)
            made.append((Worker(service, Driver(bot.app, fake, SECRET, executor)), executor))
        try:
            yield fake, [w for w, _ in made]
        finally:
            for worker, executor in made:
                executor.shutdown(wait=True)
                worker.service.engine.dispose()


def test_concurrent_uploads_from_one_contact_never_pass_the_quota(
        tmp_path: Path, db_url: str) -> None:
    """Eight workers each get a 0.9 MB file from the same person at the same moment (Slack
    declares each file's size in the event). One is stored; seven are refused before being
    downloaded; the quota and the disk hold 0.9 MB. (Before: 7.2 MB on disk. Without the
    lock around the decision, PostgreSQL counted 2.8-5.7 MB.)"""
    count = 8
    with workers(tmp_path, db_url, count) as (fake, crew):
        to_attachments(crew[0].service, crew[0].slack, "U2", "pat@acme.example")
        files: list[dict[str, Any]] = []
        for n in range(count):
            partial = fake.add_file(f"F{n}", f"dump{n}.bin", os.urandom(NEAR_MB))
            files.append({**partial, "name": f"dump{n}.bin", "size": NEAR_MB})
        start = threading.Barrier(count)

        def send(n: int) -> None:
            start.wait()
            crew[n].slack.say("U2", "", files=[files[n]], event_id=f"EvUpload{n}")

        with ThreadPoolExecutor(count) as pool:
            list(pool.map(send, range(count)))

        service = crew[0].service
        assert counted(service, "pat@acme.example") <= MB
        assert on_disk(tmp_path / "home") <= MB
        assert service.files.usage(0).bytes <= MB  # the database's store, on PostgreSQL
        assert len(attached(service, "pat@acme.example")) == 1
        assert len(fake.downloads) == 1
        texts = "\n".join(m.args.get("text", "") for m in crew[0].slack.messages("U2"))
        assert texts.count(OVER_QUOTA) == count - 1
