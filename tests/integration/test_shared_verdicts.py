"""A sample verdict read back from PostgreSQL's shared check table (bot/sample_jobs.py) is the
message it was, so the person who uploads the same file later reads it in their own language
(issue 27); a row written before verdicts were kept as messages reads as it was written."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.app import build_service
from bot.sample_jobs import run_check
from bot.settings import Settings
from flows.errors import Invalid
from flows.model import Inbound
from store.db import make_engine, upgrade
from store.tables import SampleCheck
from store.uow import unit_of_work
from tests.unit.flowkit import EMAIL, PROFILES, Talk, fixed_clock, profile_lines
from tests.zipfactory import make_zipcrypto_zip

# the wrong password's verdict (ZipCrypto's check byte decides which of its two wordings)
OPENS_NOT = "入力されたパスワードでは 'bad.zip' の 'a.bin' を"


@pytest.mark.timeout(120)
def test_a_cached_verdict_is_shown_in_the_contacts_language(
        pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    service = build_service(Settings(home=tmp_path / "home", database_url=pg_url), engine,
                            clock=fixed_clock)
    service.samples.answer_wait = 0.1  # no worker runs here: the job is run below
    talk = Talk(service)
    talk.start()
    talk.say(*profile_lines(*PROFILES[0]), "/cancel")
    talk.start()
    talk.say("Windows 10", "Collected Threat Sample Analysis",
             "Conventional Scan (Virus Pattern)", "Sample from HR", "It spreads.", "infected")
    assert talk.prompt.step == "attachments"
    bad = make_zipcrypto_zip(tmp_path / "bad.zip", {"a.bin": b"x" * 1000}, "not-infected")
    ref = service.files.put_path(bad, "bad.zip")
    told = talk.send(Inbound(kind="file", file=ref))  # the first upload: being checked
    assert "being checked" in told[0].text
    with unit_of_work(engine, read_only=True) as s:
        check_id = int(s.conn.execute(sa.select(SampleCheck.id)).scalar_one())  # type: ignore[call-overload]
    assert run_check(engine, service.files, check_id, 60)  # the job, as a worker runs it

    with unit_of_work(engine) as s:  # the contact chooses Japanese
        contact = s.contacts.by_email(EMAIL)
        assert contact is not None
        assert contact.id is not None
        s.contacts.choose_language(contact.id, "ja")
    again = talk.say("done")  # the file attached is checked again: the cached verdict
    shown = "\n".join(p.text + (p.error or "") for p in again)
    assert OPENS_NOT in shown, shown
    assert "password you gave" not in shown
    with unit_of_work(engine, read_only=True) as s:
        row = s.sample_checks.get(check_id)
    assert "password you gave" in row.verdict  # the English text is kept too

    # a row written before 0021: only the English text, shown as it is
    with unit_of_work(engine) as s:
        s.conn.execute(sa.update(SampleCheck).values(verdict="bad.zip is broken (old row).",
                                                     verdict_msg=None))
    members = tuple(m for m in row.members.split(",") if m) or None
    with pytest.raises(Invalid, match=r"^bad\.zip is broken \(old row\)\.$"):
        service.samples.check(ref.sha256, ref.path, "bad.zip", "infected", members, wait=0)
    engine.dispose()
