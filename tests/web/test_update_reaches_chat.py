"""An update made in the browser is the CLI's update: the contact's Telegram chat gets a notice
(delivered by the running `casebot telegram`), the contact and CC list a mail."""

from __future__ import annotations

from sqlmodel import select

from bot.app import build_engine
from bot.settings import Settings
from store.tables import ChatNotice, OutboxMail
from store.uow import unit_of_work
from tests.web.conftest import Console, fresh


def test_update_from_the_browser_queues_the_chat_notice_and_mail(console: Console) -> None:
    engine = build_engine(Settings(home=console.home))
    with unit_of_work(engine) as s:
        contact = s.contacts.ensure("tg@acme.example")
        s.contacts.link_identity(contact, "telegram", "4242")
        case, _ = s.cases.create(contact, "tg-1", "telegram", {
            "subject": "VPN client drops", "severity": "High", "cc_emails": ["it@acme.example"]})
        number = str(case.number)
        s.commit()
    c = console.signed_in()
    r = c.post(f"/cases/{number}", data={**fresh(c, number), "status": "waiting for customer",
                                          "note": "Which client version do you run?"})
    assert r.status_code == 303
    with unit_of_work(engine) as s:
        [notice] = s.session.exec(select(ChatNotice)).all()
        assert (notice.channel, notice.external_id, notice.status) == (
            "telegram", "4242", "pending")
        assert "Which client version do you run?" in notice.text
        assert "Status: waiting for customer" in notice.text
        [mail] = s.session.exec(select(OutboxMail).where(OutboxMail.kind == "update")).all()
        assert (mail.to, mail.cc) == ("tg@acme.example", ["it@acme.example"])
    engine.dispose()
