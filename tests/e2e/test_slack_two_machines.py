"""Issue 26, "Done when": two machines on one PostgreSQL. A sample zip sent to the Slack
receiver on machine A (its own CASEBOT_HOME) is checked by `casebot worker` on machine B (a
separate process, another CASEBOT_HOME), and a web console on a third home downloads it
byte for byte. The real Bolt app against the stand-in Web API, a real worker process, the real
console behind Starlette's TestClient."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from bot.app import build_service
from bot.processes import build_slack_bot
from bot.settings import Settings
from store.tables import SampleCheck
from store.uow import unit_of_work
from tests.e2e.fake_slack import BOT_TOKEN, SECRET, Driver, FakeSlack, TrackingExecutor, link
from tests.e2e.test_telegram_shared_blobs import job_worker, pg  # noqa: F401 - the fixture
from tests.web.desk import Desk
from tests.zipfactory import make_aes_zip

pytestmark = pytest.mark.timeout(120)
EMAIL = "ann@acme.example"


def on_machine(home: Path, pg_url: str, api_url: str) -> Settings:
    return Settings(home=home, database_url=pg_url, slack_bot_token=BOT_TOKEN,
                    slack_signing_secret=SECRET, slack_api_url=api_url,
                    slack_allowed_teams="T1")


def test_a_zip_sent_on_one_machine_is_checked_on_another_and_read_on_a_third(
        pg: str, tmp_path: Path) -> None:  # noqa: F811 - the fixture
    zipped = make_aes_zip(tmp_path / "sample.zip", {"dropper.exe": b"MZ" + b"\0" * 4000},
                          "infected").read_bytes()
    sha = hashlib.sha256(zipped).hexdigest()
    with FakeSlack() as fake, job_worker(pg, tmp_path / "b"):
        settings = on_machine(tmp_path / "a", pg, fake.api_url)
        service = build_service(settings)
        assert service.files.kind == "database"
        service.samples.answer_wait = 60  # the worker process may still be starting
        executor = TrackingExecutor()
        bot = build_slack_bot(settings, service, listener_executor=executor)
        slack = Driver(bot.app, fake, SECRET, executor)
        link(service, "U1", EMAIL)
        with unit_of_work(service.engine) as s:
            contact = s.contacts.ensure(EMAIL)
            s.profiles.save(contact, {"name": "HQ Apex One", "product": "Apex One",
                                      "version": "2019", "operating_systems": ["Windows 10"],
                                      "activation_code": {"new": "AB-CD12-EFGH3-IJKL4-MNOP5-"
                                                                 "QRST6-UVWX7"},
                                      "settings": [], "language": "English"})
            s.commit()
        slack.say("U1", "Collected a suspicious file sample from a laptop")
        slack.press("U1", "Collected Threat Sample Analysis")
        slack.press("U1", "Conventional Scan (Virus Pattern)")
        slack.press("U1", "infected")
        slack.say("U1", "", files=[fake.add_file("F1", "sample.zip", zipped)])
        slack.press("U1", "Done")
        slack.press("U1", "Low")
        slack.press("U1", "Submit")
        found = re.search(r"Case number: (\d+)", slack.text("U1"))
        assert found is not None, slack.text("U1")[-2000:]
        number = found.group(1)
        with unit_of_work(service.engine, read_only=True) as s:
            checks = [(c.status, c.verdict, c.password)
                      for c in s.session.query(SampleCheck) if c.sha256 == sha]
            case = s.cases.as_json(s.cases.by_number(number))  # type: ignore[arg-type]
        # checked (by the worker: on PostgreSQL a chat process only asks), passed, and the
        # password it needed to decrypt no longer kept
        assert checks
        assert set(checks) == {("done", None, None)}
        assert [(f["name"], f["sha256"]) for f in case["attachments"]] == [("sample.zip", sha)]
        executor.shutdown(wait=True)
        service.engine.dispose()

    console = Desk(tmp_path / "c", pg)  # a console on a third machine
    got = console.client().get(f"/cases/{number}/files/{sha}")
    assert (got.status_code, got.content) == (200, zipped)
    for home in "abc":  # no machine kept the bytes on its own disk
        assert not (tmp_path / home / "attachments").exists(), home
    console.close()
