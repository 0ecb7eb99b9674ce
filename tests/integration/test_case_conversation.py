"""The rules of a case after Submit (intake.md, "After Submit"), through `Service.handle` as
every chat calls it: a reply reaches its own case and no other, a redelivery is stored once,
a message that replies to nothing is held until the customer says which case, status follows
the conversation, the survey is asked once per resolution, and an internal note goes nowhere.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot import replies
from bot.protocol import Who, pressed
from bot.service import Service
from bot.updates import update_case
from flows.model import Inbound, Prompt
from store.files import BlobStore
from store.tables import ChatNotice, OutboxMail, utcnow
from store.uow import unit_of_work

EMAIL = "ann@acme.example"
ANN = Who("telegram", "501", chat_ref="501")
BOB = Who("telegram", "777", chat_ref="777")


@pytest.fixture
def service(engine: Engine, tmp_path: Path) -> Service:
    svc = Service(engine, BlobStore(tmp_path / "files", 10 * 2**20))
    with unit_of_work(engine) as s:
        ann = s.contacts.ensure(EMAIL, "Ann")
        s.contacts.link_identity(ann, ANN.channel, ANN.external_id, ANN.chat_ref)
        bob = s.contacts.ensure("bob@other.example", "Bob")
        s.contacts.link_identity(bob, BOB.channel, BOB.external_id, BOB.chat_ref)
    return svc


def open_case(svc: Service, subject: str, *, email: str = EMAIL, ref: str | None = None,
              who: Who = ANN) -> str:
    """A case of `email`, its confirmation remembered as chat message `ref`."""
    with unit_of_work(svc.engine) as s:
        contact = s.contacts.by_email(email)
        assert contact is not None
        case, _ = s.cases.create(contact, f"k:{subject}:{email}", who.channel,
                                 {"subject": subject, "cc_emails": ["cc@acme.example"]})
        assert case.id is not None
        assert case.number is not None
        s.case_refs.remember(who.channel, who.external_id, ref or f"conf-{case.number}",
                             case.id)
        return case.number


def reply_to(svc: Service, ref: str, text: str, *, who: Who = ANN, own: str = "") -> list[Prompt]:
    return svc.handle(who, Inbound(kind="text", text=text, thread=ref, ref=own))


def case(svc: Service, number: str) -> dict[str, Any]:
    with unit_of_work(svc.engine) as s:
        found = s.cases.by_number(number)
        assert found is not None
        return s.cases.as_json(found, internal=True)


def ask(svc: Service, number: str, text: str, **kw: object) -> None:
    with unit_of_work(svc.engine) as s:
        found = s.cases.by_number(number)
        assert found is not None
        replies.operator_message(s, found, operator="eve@support.example", text=text,
                                 **kw)  # type: ignore[arg-type]


def test_a_reply_in_a_thread_lands_on_its_case_with_author_and_channel(service: Service) -> None:
    number = open_case(service, "Agents offline")
    ask(service, number, "Which version?", status="waiting for customer")
    said = reply_to(service, f"conf-{number}", "Version 2019", own="m1")
    assert said[-1].text.startswith(f"Added to case {number}")
    data = case(service, number)
    assert [(m["author"], m["author_kind"], m["channel"], m["text"]) for m in data["messages"]] \
        == [("eve@support.example", "operator", "cli", "Which version?"),
            (EMAIL, "customer", "telegram", "Version 2019")]
    assert data["status"] == replies.CUSTOMER_REPLIED


def test_a_redelivered_message_is_stored_once(service: Service) -> None:
    number = open_case(service, "Agents offline")
    for _ in range(3):
        reply_to(service, f"conf-{number}", "Version 2019", own="same-id")
    assert len(case(service, number)["messages"]) == 1


def test_every_message_lands_on_its_own_case_in_a_random_walk(service: Service) -> None:
    """Three open cases, 240 replies to random messages about them, in random order."""
    numbers = [open_case(service, f"Case {i}") for i in range(3)]
    refs: dict[str, list[str]] = {n: [f"conf-{n}"] for n in numbers}
    with unit_of_work(service.engine) as s:  # more messages about each case, as notices add
        for n in numbers:
            found = s.cases.by_number(n)
            assert found is not None
            assert found.id is not None
            for k in range(3):
                s.case_refs.remember(ANN.channel, ANN.external_id, f"{n}-n{k}", found.id)
                refs[n].append(f"{n}-n{k}")
    rng = random.Random(23)
    sent: dict[str, list[str]] = {n: [] for n in numbers}
    for i in range(240):
        n = rng.choice(numbers)
        text = f"message {i} for {n}"
        reply_to(service, rng.choice(refs[n]), text, own=f"id{i}")
        sent[n].append(text)
    for n in numbers:
        assert [m["text"] for m in case(service, n)["messages"]] == sent[n]


def test_someone_elses_thread_reaches_nothing(service: Service) -> None:
    number = open_case(service, "Agents offline")
    said = reply_to(service, f"conf-{number}", "hijack", who=BOB)
    assert not any("Added to case" in p.text for p in said)
    assert case(service, number)["messages"] == []


def test_a_message_outside_any_thread_is_held_until_the_customer_says_which_case(
        service: Service) -> None:
    first = open_case(service, "First")
    second = open_case(service, "Second")
    for n in (first, second):
        ask(service, n, "Any news?", status="waiting for customer")
    [question] = service.handle(ANN, Inbound(kind="text", text="It works now"))
    labels = [c.label for c in question.choices]
    assert labels == [f"Add to case {second}", f"Add to case {first}", "New case"]
    assert all(case(service, n)["status"] == replies.WAITING for n in (first, second))
    found = pressed(question.choices[1].id)
    assert found is not None
    said = service.handle(ANN, Inbound(kind="command", command=found[0], args=found[1]))
    assert said[-1].text.startswith(f"Added to case {first}")
    assert [m["text"] for m in case(service, first)["messages"]][-1] == "It works now"
    again = service.handle(ANN, Inbound(kind="command", command=found[0], args=found[1]))
    assert "already handled" in again[-1].text
    assert len(case(service, first)["messages"]) == 2


def test_resolved_asks_solved_or_still_broken_and_the_survey_once(service: Service) -> None:
    number = open_case(service, "Agents offline")
    update_case(service, number, actor="cli:eve", status="resolved")
    with unit_of_work(service.engine) as s:
        notes = list(s.session.exec(select(ChatNotice).order_by(col(ChatNotice.id))))
    [resolved, survey] = notes
    assert [b["label"] for b in resolved.buttons] == ["Solved", "Still broken"]
    assert [b["label"] for b in survey.buttons] == ["1", "2", "3", "4", "5"]
    rate = pressed(survey.buttons[3]["id"])
    assert rate is not None
    said = service.handle(ANN, Inbound(kind="command", command=rate[0], args=rate[1]))
    assert "4/5" in said[-1].text
    service.handle(ANN, Inbound(kind="text", text="Quick and kind."))
    assert case(service, number)["satisfaction"] == {"rating": 4, "comment": "Quick and kind."}
    solved = pressed(resolved.buttons[0]["id"])
    assert solved is not None
    service.handle(ANN, Inbound(kind="command", command=solved[0], args=solved[1]))
    assert case(service, number)["status"] == "closed"


def test_still_broken_reopens_and_withdraws_the_survey(service: Service) -> None:
    number = open_case(service, "Agents offline")
    update_case(service, number, actor="cli:eve", status="resolved")
    with unit_of_work(service.engine) as s:
        notes = list(s.session.exec(select(ChatNotice).order_by(col(ChatNotice.id))))
    broken = pressed(notes[0].buttons[1]["id"])
    rate = pressed(notes[1].buttons[4]["id"])
    assert broken is not None
    assert rate is not None
    said = service.handle(ANN, Inbound(kind="command", command=broken[0], args=broken[1]))
    assert "reopened" in said[-1].text
    assert case(service, number)["status"] == replies.CUSTOMER_REPLIED
    late = service.handle(ANN, Inbound(kind="command", command=rate[0], args=rate[1]))
    assert "withdrawn" in late[-1].text
    assert case(service, number)["satisfaction"] is None


def test_a_reply_within_the_reopen_window_reopens_and_later_opens_a_linked_request(
        service: Service) -> None:
    number = open_case(service, "Agents offline")
    update_case(service, number, actor="cli:eve", status="resolved")
    reply_to(service, f"conf-{number}", "It is back", own="r1")
    assert case(service, number)["status"] == replies.CUSTOMER_REPLIED
    update_case(service, number, actor="cli:eve", status="resolved")
    with unit_of_work(service.engine) as s:
        found = s.cases.by_number(number)
        assert found is not None
        found.resolved_at = utcnow() - timedelta(days=service.reopen_days + 1)
        s.cases.save(found)
    said = reply_to(service, f"conf-{number}", "The agents are offline again since Monday "
                    "and the console shows error 0x1f", own="r2")
    assert any(f"resolved more than {service.reopen_days} days ago" in p.text for p in said)
    assert case(service, number)["status"] == replies.RESOLVED
    assert len(case(service, number)["messages"]) == 1


def test_an_internal_note_goes_to_no_chat_and_no_mail(service: Service) -> None:
    number = open_case(service, "Agents offline")
    ask(service, number, "Customer seems confused; check licence.", internal=True)
    with unit_of_work(service.engine) as s:
        assert list(s.session.exec(select(ChatNotice))) == []
        assert list(s.session.exec(select(OutboxMail))) == []
        found = s.cases.by_number(number)
        assert found is not None
        assert s.cases.as_json(found)["messages"] == []  # the customer's view
    [note] = case(service, number)["messages"]
    assert note["visibility"] == "internal"
    shown = service.handle(ANN, Inbound(kind="command", command="case", args=number))
    assert "licence" not in " ".join(p.text for p in shown)


def test_a_public_reply_goes_to_the_chat_and_by_mail_to_contact_and_cc(service: Service) -> None:
    number = open_case(service, "Agents offline")
    ask(service, number, "Please send the logs.", status="waiting for customer")
    with unit_of_work(service.engine) as s:
        [notice] = list(s.session.exec(select(ChatNotice)))
        [mail] = list(s.session.exec(select(OutboxMail)))
        assert notice.message_id is not None
        deliveries = s.messages.deliveries([notice.message_id])
    assert "Please send the logs." in notice.text
    assert "Reply to this message" in notice.text
    assert (mail.to, mail.cc) == (EMAIL, ["cc@acme.example"])
    assert deliveries[notice.message_id] == ["telegram: pending", "mail: pending"]


def test_a_comment_in_a_thread_goes_to_that_cases_survey(service: Service) -> None:
    """Two cases rated one after the other: a comment typed in the first one's thread is the
    first one's, not the newest survey's."""
    first, second = open_case(service, "First"), open_case(service, "Second")
    for number in (first, second):
        update_case(service, number, actor="cli:eve", status="resolved")
    with unit_of_work(service.engine) as s:
        surveys = [n for n in s.session.exec(select(ChatNotice).order_by(col(ChatNotice.id)))
                   if [b["label"] for b in n.buttons][:1] == ["1"]]
    for notice in surveys:
        rate = pressed(notice.buttons[4]["id"])
        assert rate is not None
        service.handle(ANN, Inbound(kind="command", command=rate[0], args=rate[1]))
    reply_to(service, f"conf-{first}", "The first one went well.", own="c1")
    assert case(service, first)["satisfaction"] == {"rating": 5,
                                                    "comment": "The first one went well."}
    assert case(service, second)["satisfaction"] == {"rating": 5, "comment": None}
