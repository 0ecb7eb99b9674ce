"""Finding 2, the aftermath: a chat identity linked to a contact is told to the address, and an
operator can undo the link."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from bot.app import build_service
from bot.cli.main import app
from bot.settings import Settings
from bot.verification import confirm_verification, start_verification
from store.uow import unit_of_work


def test_a_new_link_is_mailed_with_how_to_undo_it_and_unlink_works(tmp_path: Path) -> None:
    home = tmp_path / "h"
    service = build_service(Settings(home=home))
    start_verification(service, "telegram", "4242", "ann@acme.example")
    with unit_of_work(service.engine) as s:
        found = re.search(r"\d{8}", s.outbox.recent()[0].body_text)
        assert found is not None
        code = found.group(0)
    confirm_verification(service, "telegram", "4242", code)
    with unit_of_work(service.engine) as s:
        notice = next(m for m in s.outbox.recent() if m.kind == "identity_linked")
    assert notice.to == "ann@acme.example"
    assert code not in notice.body_text
    assert ("casebot contacts unlink --email ann@acme.example --telegram 4242"
            in notice.body_text)
    env = {"CASEBOT_HOME": str(home)}
    done = CliRunner().invoke(app, ["contacts", "unlink", "--email", "ann@acme.example",
                                    "--telegram", "4242"], env=env)
    assert done.exit_code == 0
    assert "Unlinked telegram 4242" in done.output
    with unit_of_work(service.engine) as s:
        assert s.contacts.for_identity("telegram", "4242") is None
    again = CliRunner().invoke(app, ["contacts", "unlink", "--email", "ann@acme.example",
                                     "--telegram", "4242"], env=env)
    assert again.exit_code == 2
    assert "is not linked" in again.output
    audit = CliRunner().invoke(app, ["audit", "list", "--json"], env=env).output
    assert '"action": "unlink"' in audit


def test_a_link_by_a_platform_vouched_email_is_mailed_too(tmp_path: Path) -> None:
    from tests.security.test_slack_identity import linked_email, slack

    with slack(tmp_path, allowed="T1") as (fake, driver, service):
        fake.add_user("U70", "kim@acme.example", "Kim", confirmed=True)
        driver.say("U70", "hello")
        driver.press("U70", "Yes")
        assert linked_email(service, "U70") == "kim@acme.example"
        with unit_of_work(service.engine) as s:
            [notice] = [m for m in s.outbox.recent() if m.kind == "identity_linked"]
        assert notice.to == "kim@acme.example"
        assert "--slack T1:U70" in notice.body_text
