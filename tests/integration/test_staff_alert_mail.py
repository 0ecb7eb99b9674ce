"""A customer's reply by mail on a case with an owner alerts staff like a chat reply does
(bot/inbound_mail.py passes the same `staff` to bot/replies.py), and the owner's alert mail
carries no customer reply address: answering it adds nothing to the case."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from bot.alerts import MAIL_KIND, REPLY
from bot.app import build_service
from bot.inbound_mail import receive
from bot.mailer import Sender, SmtpConfig
from bot.reply_address import ReplyAddresses
from bot.settings import Settings
from store.uow import unit_of_work
from tests.mailreplies import MAIL_FROM, SECRET, make_case, reply

ANN = "ann@acme.example"
OWNER = "sam@support.example"


def test_a_mailed_reply_on_an_owned_case_alerts_the_channel_and_its_owner(
        tmp_path: Path, engine: Engine) -> None:
    settings = Settings(home=tmp_path / "home", mail_from=MAIL_FROM, mail_secret=SECRET,
                        staff_slack_channel="CSTAFF", staff_mail="oncall@support.example")
    service = build_service(settings, engine)
    addresses = ReplyAddresses.of(settings)
    sender = Sender(engine, SmtpConfig.parse("smtp://127.0.0.1:1"), MAIL_FROM,
                    files=service.files, addresses=addresses)
    number = make_case(service, ANN)
    with unit_of_work(engine) as uow:
        case = uow.cases.by_number(number)
        assert case is not None
        case.assignee = OWNER  # set through the store: the desk's "Take it" is not the subject
        uow.cases.save(case)
        confirmation = next(m for m in uow.outbox.of_case(case.id) if m.kind == "confirmation")
        case_id = case.id
        assert case_id is not None
    answer = reply(sender.message(confirmation), ANN, "The agent is on 14.0.1234 now.")
    assert receive(service, answer.as_bytes(), addresses).line() == f"Added to case {number}."
    with unit_of_work(engine, read_only=True) as uow:
        assert [a.kind for a in uow.alerts.of_case(case_id)] == [REPLY]
        (mail,) = [m for m in uow.outbox.of_case(case_id) if m.kind == MAIL_KIND]
    assert mail.to == OWNER
    assert "> The agent is on 14.0.1234 now." in mail.body_text
    wire = sender.message(mail)
    assert wire["Reply-To"] is None  # staff answer in the console, not to the customer's case
    assert wire["Subject"] == f"[casebot] {ANN} replied on case {number}: Agent does not update"
