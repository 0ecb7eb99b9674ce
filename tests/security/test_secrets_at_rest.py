"""Finding 8: secrets at rest. The verification code stayed in the outbox and `mail list
--json` printed it; the outbox was never pruned; the data folder was 0755 and the database
(full activation codes, Slack bot tokens) 0644; STARTTLS only when offered, even with a
password in CASEBOT_SMTP_URL."""

from __future__ import annotations

import json
import os
import re
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.app import build_service
from bot.cli.main import app
from bot.mailer import Sender, SmtpConfig
from bot.maintenance import prune_outbox
from bot.settings import Settings
from bot.verification import start_verification
from store.tables import OutboxMail
from store.uow import unit_of_work
from tests.smtpsink import SmtpSink


def _mode(path: str | Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_home_database_and_files_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual umask: without care, 0755 and 0644
    try:
        home = tmp_path / "casebot-home"
        service = build_service(Settings(home=home))
        ref = service.files.put_bytes(b"sample", "x.zip")
    finally:
        os.umask(old)
    assert _mode(home) == 0o700
    assert _mode(home / "casebot.db") == 0o600
    assert _mode(ref.path) == 0o600
    assert _mode(home / "attachments") == 0o700


def test_the_code_is_not_shown_and_not_kept_after_sending(tmp_path: Path) -> None:
    home = tmp_path / "h"
    service = build_service(Settings(home=home))
    start_verification(service, "telegram", "42", "ann@acme.example")
    with unit_of_work(service.engine) as s:
        found = re.search(r"\d{8}", s.outbox.recent()[0].body_text)
        assert found is not None
        code = found.group(0)
    listed = CliRunner().invoke(app, ["mail", "list", "--json"], env={"CASEBOT_HOME": str(home)})
    assert listed.exit_code == 0
    assert code not in listed.output
    sink = SmtpSink().start()
    try:
        import asyncio

        sender = Sender(service.engine, SmtpConfig.parse(sink.url), "casebot@localhost")
        assert asyncio.run(sender.send_due()).sent == 1
    finally:
        sink.stop()
    assert code in sink.received[0].message.get_content()  # the mail itself carries it
    with unit_of_work(service.engine) as s:
        [mail] = s.session.exec(select(OutboxMail)).all()
        assert mail.status == "sent"
        assert code not in mail.body_text
    # and the sent mail goes after the retention
    assert prune_outbox(service.engine, timedelta(0)) == 1


def test_a_password_in_the_smtp_url_requires_tls() -> None:
    assert SmtpConfig.parse("smtp://u:p@mail.example:587").start_tls is True
    with pytest.raises(ValueError, match="in the clear"):
        SmtpConfig.parse("smtp://u:p@mail.example:587?starttls=0")
    insecure = SmtpConfig.parse("smtp+insecure://u:p@127.0.0.1:2525")
    assert insecure.start_tls is None
    assert insecure.username == "u"
    assert SmtpConfig.parse("smtp://mail.example:25").start_tls is None  # no password: as before


def test_mail_list_json_still_lists_other_mail(tmp_path: Path) -> None:
    home = tmp_path / "h"
    service = build_service(Settings(home=home))
    with unit_of_work(service.engine) as s:
        s.outbox.queue(kind="confirmation", to="a@acme.example", subject="s", body_text="b")
        s.commit()
    rows = json.loads(CliRunner().invoke(app, ["mail", "list", "--json"],
                                         env={"CASEBOT_HOME": str(home)}).output)
    assert rows[0]["body_text"] == "b"
