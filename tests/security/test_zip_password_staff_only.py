"""Issue 24: the sample zip's password, given at intake (stored in the case's details as
`archive_password`), is shown to staff on the case page and to nobody else: not in the case
JSON, not in the customer's `/case` view, not in the mails the customer gets."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from bot.app import build_engine
from bot.settings import Settings
from store.tables import OutboxMail
from store.uow import unit_of_work
from tests.e2e.conftest import Script, submitted
from tests.web.conftest import Console
from tests.zipfactory import make_aes_zip

PASSWORD = "Unguessable-7-pw"


def test_the_zip_password_is_shown_to_staff_only(console: Console, tmp_path: Path) -> None:
    sample = make_aes_zip(tmp_path / "sample.zip", {"dropper.exe": b"MZ" + b"\0" * 200},
                          PASSWORD)
    s = Script().first_profile("HQ Apex One", "Apex One", "2019", ["Windows 10"],
                               settings=["Smart Scan Server"])
    s.say("Collected Threat Sample Analysis", "Conventional Scan (Virus Pattern)")
    s.common("Sample from HR laptop", password=PASSWORD, files=[sample])
    [number] = submitted(console.chat.run(s))

    staff = console.signed_in().get(f"/cases/{number}").text
    assert f'Sample zip password: <code class="mono">{PASSWORD}</code>' in staff

    assert PASSWORD not in str(console.chat.case(number))  # the case JSON
    customer = console.chat.run(Script().say(f"/case {number}")).stdout
    assert "Sample from HR laptop" in customer
    assert PASSWORD not in customer.split(f"/case {number}", 1)[-1]
    engine = build_engine(Settings(home=console.home))
    with unit_of_work(engine, read_only=True) as u:
        mails = list(u.session.exec(select(OutboxMail)))
    engine.dispose()
    assert mails
    assert not [m.id for m in mails if PASSWORD in m.body_text + (m.body_html or "")]
