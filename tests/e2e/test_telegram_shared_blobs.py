"""Issue 26: attachments in the shared store. On PostgreSQL a file's bytes live in the
database (store/blobs), so each process may run on its own machine with its own
CASEBOT_HOME: a file received by one bot process is checked there, a case made by another
carries it, and a web console on a third reads it byte for byte. The real PTB application
against the stand-in Bot API, the real console behind Starlette's TestClient."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

import pytest

from bot.app import build_engine, build_service
from bot.mailer import Sender, SmtpConfig
from bot.settings import Settings
from store.db import make_engine, upgrade
from store.tables import OutboxMail
from store.uow import unit_of_work
from tests.e2e.fake_telegram import FakeTelegram
from tests.e2e.telegram_driver import BotRun, add_profile, linked, quick_case
from tests.e2e.test_telegram_conversation import acked, operator
from tests.e2e.test_telegram_native import ALERT, submit_product_case
from tests.web.desk import Desk
from tests.zipfactory import make_aes_zip

pytestmark = pytest.mark.timeout(90)
ROOT = Path(__file__).resolve().parents[2]


def machine(settings: Settings, home: Path, pg_url: str) -> Settings:
    """The same bot on another machine: its own CASEBOT_HOME, the one PostgreSQL."""
    return settings.model_copy(update={"home": home, "database_url": pg_url})


@pytest.fixture
def pg(pg_url: str) -> str:
    engine = make_engine(pg_url)
    upgrade(engine)
    engine.dispose()
    return pg_url


@contextmanager
def job_worker(pg_url: str, home: Path, **extra: str) -> Iterator[None]:
    """`casebot worker` on yet another machine: on PostgreSQL sample checks are its jobs, and
    chat notices (given the platform's settings in `extra`)."""
    env = {**os.environ, "CASEBOT_DATABASE_URL": pg_url, "CASEBOT_HOME": str(home),
           "PYTHONPATH": str(ROOT), **extra}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


async def test_a_sample_zip_is_checked_from_the_database(fake: FakeTelegram, settings: Settings,
                                                         pg: str, tmp_path: Path) -> None:
    """The zip check needs a seekable file: a private copy made from the database under the
    worker's CASEBOT_HOME/blob-temp, gone once the check is done; no folder is written."""
    here = machine(settings, tmp_path / "a", pg)
    with job_worker(pg, tmp_path / "w"):
        async with BotRun(fake, here, "polling") as run:
            assert run.service.files.kind == "database"
            run.service.samples.answer_wait = 30  # the worker may still be starting
            run.link(7206, "ann@acme.example")
            add_profile(run, "ann@acme.example")
            user = run.user(7206)
            await user.say("Collected a suspicious file sample from a laptop")
            await user.press("Collected Threat Sample Analysis")
            await user.press("Conventional Scan")
            await user.press("infected")
            zipped = make_aes_zip(tmp_path / "s.zip", {"a.exe": b"MZ" + b"\0" * 300},
                                  "infected").read_bytes()
            await user.forward(caption="from the SOC", document=("sample.zip", zipped))
            assert "Attached sample.zip" in "\n".join(fake.texts(7206))
            sha = hashlib.sha256(zipped).hexdigest()
            with unit_of_work(run.service.engine, read_only=True) as s:  # checked once, passed
                check = s.sample_checks.find((sha, hashlib.sha256(b"infected").hexdigest(), ""))
            assert (check.status, check.verdict) == ("done", None)
            assert b"".join(run.service.files.chunks(sha)) == zipped
    assert not (tmp_path / "a" / "attachments").exists()
    assert not any((tmp_path / "a" / "blob-temp").glob("*"))
    assert not any((tmp_path / "w" / "blob-temp").glob("*"))


async def test_a_file_received_on_one_machine_is_read_on_the_others(
        fake: FakeTelegram, settings: Settings, pg: str, tmp_path: Path) -> None:
    """Machine A sees the forward (the person is not linked yet), machine B links them,
    fetches the file and makes the case, a console on machine C downloads it."""
    email = "cy@acme.example"
    log = b"error 42: agent lost its server\n" * 5000  # 160 KB
    async with BotRun(fake, machine(settings, tmp_path / "a", pg), "polling") as first_run:
        user = first_run.user(7207)
        await user.forward(caption=ALERT, document=("agent.log", log))
        await user.say(email)
    async with BotRun(fake, machine(settings, tmp_path / "b", pg), "polling") as second_run:
        add_profile(second_run, email)
        with unit_of_work(second_run.service.engine) as s:
            mail = next(m for m in s.outbox.recent() if m.kind == "verification" and m.to == email)
        user = second_run.user(7207)
        found = re.search(r"\b(\d{8})\b", mail.body_text)
        assert found is not None
        await user.say(found.group(1))
        case = await submit_product_case(user)
    sha = hashlib.sha256(log).hexdigest()
    assert [(a["name"], a["sha256"]) for a in case["attachments"]] == [("agent.log", sha)]

    console = Desk(tmp_path / "c", pg)  # a console on a third machine
    got = console.client().get(f"/cases/{case['number']}/files/{sha}")
    assert got.status_code == 200
    assert got.content == log
    assert got.headers["content-disposition"] == 'attachment; filename="agent.log"'
    for home in "abc":
        assert not (tmp_path / home / "attachments").exists(), home
    console.close()


async def test_an_operators_file_reaches_the_chat_and_the_mail_from_the_database(
        fake: FakeTelegram, settings: Settings, pg: str, tmp_path: Path) -> None:
    """An operator's file stored by a console elsewhere: a job worker on another machine sends
    it as a document from a private copy (gone after), and the mail carries it too."""
    with job_worker(pg, tmp_path / "w", TELEGRAM_BOT_TOKEN=fake.token,
                    TELEGRAM_API_URL=fake.url):
        async with BotRun(fake, machine(settings, tmp_path / "a", pg), "webhook") as run:
            user = await linked(run, 7301, "dee@acme.example")
            number = await quick_case(user)
            data = b"%PDF-1.4 fix instructions\n" * 50_000  # 1.3 MB: two chunks
            elsewhere = machine(settings, tmp_path / "c", pg)
            fix = build_service(elsewhere, build_engine(elsewhere)).files.put_bytes(
                data, "fix-steps.pdf")
            assert fix.path == ""  # no local file anywhere
            operator(run, number, "Please follow the attached steps.", files=(fix,))
            await run.until(lambda: bool(fake.documents))
            await run.until(lambda: acked(run))
            ((_, (name, body)),) = fake.documents.items()
            assert (name, body) == ("fix-steps.pdf", data)
            with unit_of_work(run.service.engine, read_only=True) as s:
                mail = next(m for m in s.session.query(OutboxMail) if m.files)
            sender = Sender(run.service.engine, SmtpConfig.parse("smtp://127.0.0.1:25"),
                            "casebot@localhost", files=run.service.files)
            message: EmailMessage = sender.message(mail)
            (part,) = list(message.iter_attachments())
            assert (part.get_filename(), part.get_content()) == ("fix-steps.pdf", data)
    for home in "aw":
        assert not any((tmp_path / home / "blob-temp").glob("*")), home
        assert not (tmp_path / home / "attachments").exists(), home
