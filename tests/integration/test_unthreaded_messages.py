"""A chat message that replies to nothing (no thread, no reply-to, no `/reply`) from a contact
with live cases (bot/replies.py `unthreaded`), through `Service.handle` as every chat calls it,
on both databases: the one case whose engineer spoke last gets it at once with a **New case**
way out that moves it, files and all, into a new request; other live cases get one question;
a contact without a live conversation, a form in progress and a typed "new case" are as before.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot import alerts, replies
from bot.alerts import Staff
from bot.protocol import Who, pressed
from bot.service import Service
from bot.updates import update_case
from flows.commands import ADD_TO, NEW_FROM, SPLIT
from flows.conversation import REQUEST
from flows.formstate import split
from flows.model import FileRef, Inbound, Prompt
from store.files import BlobStore
from store.tables import CaseMessage, HeldMessage, StaffAlert, utcnow
from store.uow import unit_of_work

EMAIL = "ann@acme.example"
ANN = Who("telegram", "501", chat_ref="501")
ANSWER = "The version is 20 LTS, log attached"


@pytest.fixture
def service(engine: Engine, tmp_path: Path) -> Service:
    svc = Service(engine, BlobStore(tmp_path / "files", 10 * 2**20),
                  staff=Staff(slack_channel="C-STAFF"))
    with unit_of_work(engine) as s:
        ann = s.contacts.ensure(EMAIL, "Ann")
        s.contacts.link_identity(ann, ANN.channel, ANN.external_id, ANN.chat_ref)
    return svc


def open_case(svc: Service, subject: str, status: str = "in progress") -> str:
    with unit_of_work(svc.engine) as s:
        contact = s.contacts.by_email(EMAIL)
        assert contact is not None
        case, _ = s.cases.create(contact, f"k:{subject}", ANN.channel, {"subject": subject})
        assert case.number is not None
        number = case.number
    if status != "open":
        update_case(svc, number, actor="cli:eve", status=status)
    return number


def engineer_asks(svc: Service, number: str, text: str = "Which version do you run?") -> None:
    """An engineer's public question that leaves the status as it is ("in progress")."""
    with unit_of_work(svc.engine) as s:
        case = s.cases.by_number(number)
        assert case is not None
        replies.operator_message(s, case, operator="eve@support.example", text=text)


def say(svc: Service, text: str, files: tuple[FileRef, ...] = (), ref: str = "") -> list[Prompt]:
    return svc.handle(ANN, Inbound(kind="text" if text or not files else "file", text=text,
                                   files=files, ref=ref))


def press(svc: Service, prompt: Prompt, label: str) -> list[Prompt]:
    [choice] = [c for c in prompt.choices if c.label == label]
    found = pressed(choice.id)
    assert found is not None
    return svc.handle(ANN, Inbound(kind="command", command=found[0], args=found[1]))


def case(svc: Service, number: str) -> dict[str, Any]:
    with unit_of_work(svc.engine) as s:
        found = s.cases.by_number(number)
        assert found is not None
        return s.cases.as_json(found, internal=True)


def customer_texts(svc: Service, number: str) -> list[str]:
    return [m["text"] for m in case(svc, number)["messages"] if m["author_kind"] == "customer"]


def draft(svc: Service) -> dict[str, Any] | None:
    """The answers of the request in progress (None: no request)."""
    with unit_of_work(svc.engine) as s:
        found = s.conversations.load_for_identity(ANN.channel, ANN.external_id)
        assert found is not None
        conv = found[1]
    if conv is None:
        return None
    if conv.flow == REQUEST:
        return conv.draft[0]
    # a contact without profiles is asked for one first: the request waits underneath
    return next(split(f["answers"])[0] for f in conv.stack if f["flow"] == REQUEST)


def held(svc: Service) -> int:
    with unit_of_work(svc.engine) as s:
        return len(s.session.exec(select(HeldMessage)).all())


def backdate(svc: Service, number: str, by: timedelta) -> None:
    """Every message and the opening of the case `by` earlier."""
    with unit_of_work(svc.engine) as s:
        found = s.cases.by_number(number)
        assert found is not None
        found.created_at = utcnow() - by
        for m in s.session.exec(select(CaseMessage).where(CaseMessage.case_id == found.id)):
            m.at = m.at - by
            s.session.add(m)
        s.session.add(found)


def test_the_answer_to_an_engineer_lands_on_the_case_and_says_how_to_undo(
        service: Service) -> None:
    number = open_case(service, "Agents offline")
    engineer_asks(service, number)
    log = service.files.put_bytes(b"agent 20 LTS\n" * 20, "agent.log")
    [said] = say(service, ANSWER, (log,), ref="m1")
    assert said.text == (f"Added to case {number} (Agents offline) with agent.log. The support "
                         "team will see it.\nNot about this case? It can be a new request "
                         "instead.")
    assert [c.label for c in said.choices] == ["New case"]
    assert pressed(said.choices[0].id) is not None
    assert pressed(said.choices[0].id)[0] == SPLIT  # type: ignore[index]
    assert said.choices[0].hint.startswith("Type /split ")
    data = case(service, number)
    assert customer_texts(service, number) == [ANSWER]
    assert data["messages"][-1]["attachments"][0]["name"] == "agent.log"
    assert data["status"] == replies.CUSTOMER_REPLIED
    assert draft(service) is None
    assert held(service) == 0
    # the same platform message again: stored once, said once
    assert say(service, ANSWER, (log,), ref="m1") == []
    assert customer_texts(service, number) == [ANSWER]


def test_new_case_moves_the_message_into_a_new_request_and_restores_the_status(
        service: Service) -> None:
    number = open_case(service, "Agents offline")
    engineer_asks(service, number)
    log = service.files.put_bytes(b"printer driver trace\n" * 20, "printer.log")
    text = "Separate problem: the printer driver crashes when scanning"
    [said] = say(service, text, (log,))
    prompts = press(service, said, "New case")
    assert prompts[0].text == f"Taken out of case {number}; it starts a new request."
    assert any(p.kind != "info" for p in prompts)  # the new request's first question
    answers = draft(service)
    assert answers is not None
    assert answers["description"] == text
    assert [a["name"] for a in answers["attachments"]] == ["printer.log"]
    data = case(service, number)
    assert customer_texts(service, number) == []
    assert data["attachments"] == []
    assert data["status"] == "in progress"
    assert "moved to a new request" in data["timeline"][-2]["text"]
    again = press(service, said, "New case")
    assert again[0].text == "That message was already handled."


def test_new_case_after_the_engineer_answered_leaves_the_message_where_it_is(
        service: Service) -> None:
    number = open_case(service, "Agents offline")
    engineer_asks(service, number)
    [said] = say(service, ANSWER)
    engineer_asks(service, number, "Thanks, trying 20 LTS here.")
    [refused] = press(service, said, "New case")
    assert refused.text == (f"The support team answered after your message, so it stays on "
                            f"case {number}. /newcase starts a new request.")
    assert customer_texts(service, number) == [ANSWER]
    assert draft(service) is None


def test_waiting_for_the_customer_is_answered_at_once_too(service: Service) -> None:
    number = open_case(service, "Agents offline", status=replies.WAITING)
    engineer_asks(service, number)
    [said] = say(service, ANSWER)
    assert said.text.startswith(f"Added to case {number} (Agents offline).")
    [back] = press(service, said, "New case")[:1]
    assert case(service, number)["status"] == replies.WAITING
    assert back.text.startswith(f"Taken out of case {number}")


def test_two_live_cases_get_one_question_and_the_held_message_follows_the_choice(
        service: Service) -> None:
    first = open_case(service, "First")
    second = open_case(service, "Second")
    engineer_asks(service, second)
    engineer_asks(service, first)  # spoken on last: first
    log = service.files.put_bytes(b"trace\n" * 20, "trace.txt")
    [asked] = say(service, ANSWER, (log,))
    assert asked.text == (f"Is this about one of your open cases?\n{first} · First\n"
                          f"{second} · Second")
    assert [c.label for c in asked.choices] == [f"Add to case {first}", f"Add to case {second}",
                                                "New case"]
    assert [pressed(c.id)[0] for c in asked.choices] == [ADD_TO, ADD_TO, NEW_FROM]  # type: ignore[index]
    assert customer_texts(service, first) == customer_texts(service, second) == []
    said = press(service, asked, f"Add to case {second}")
    assert said[-1].text == f"Added to case {second} with trace.txt. The support team will see it."
    assert case(service, second)["messages"][-1]["attachments"][0]["name"] == "trace.txt"
    # "New case" on the next question: a new request described by the message
    [asked] = say(service, "And the console is slow since Monday for every admin")
    press(service, asked, "New case")
    answers = draft(service)
    assert answers is not None
    assert answers["description"] == "And the console is slow since Monday for every admin"


def test_a_case_where_the_customer_spoke_last_is_asked_about(service: Service) -> None:
    number = open_case(service, "Agents offline")  # nobody answered yet
    [asked] = say(service, "Also: it started after the update on Monday")
    assert [c.label for c in asked.choices] == [f"Add to case {number}", "New case"]
    assert held(service) == 1


def test_a_second_message_right_after_the_answer_goes_on_with_it(service: Service) -> None:
    number = open_case(service, "Agents offline")
    engineer_asks(service, number)
    say(service, ANSWER)
    log = service.files.put_bytes(b"agent 20 LTS\n" * 20, "agent.log")
    [said] = say(service, "", (log,))  # the file, sent alone a moment later
    assert said.text.startswith(f"Added to case {number} (Agents offline) with agent.log.")
    assert len(customer_texts(service, number)) == 2
    backdate(service, number, replies.ANSWER_BURST)  # later on, the customer spoke last
    [asked] = say(service, "One more thing about the agents")
    assert [c.label for c in asked.choices] == [f"Add to case {number}", "New case"]


def test_an_old_conversation_does_not_catch_a_new_request(service: Service) -> None:
    number = open_case(service, "Agents offline")
    engineer_asks(service, number)
    backdate(service, number, timedelta(days=service.followup_days, minutes=1))
    prompts = say(service, "The console shows error 0x1f when I open the policy page")
    assert draft(service) is not None  # a new request, as for a contact without cases
    assert not any(c.label.startswith("Add to case") for p in prompts for c in p.choices)
    assert customer_texts(service, number) == []


def test_an_old_question_still_waiting_is_asked_about_not_taken(service: Service) -> None:
    number = open_case(service, "Agents offline", status=replies.WAITING)
    engineer_asks(service, number)
    backdate(service, number, timedelta(days=service.followup_days + 1))
    [asked] = say(service, ANSWER)
    assert [c.label for c in asked.choices] == [f"Add to case {number}", "New case"]


def test_no_live_case_form_in_progress_and_typed_new_case_are_unchanged(
        service: Service) -> None:
    number = open_case(service, "Agents offline", status="resolved")
    prompts = say(service, "The console shows error 0x1f when I open the policy page")
    assert draft(service) is not None
    assert held(service) == 0
    assert not any(p.text.startswith("Added to case") for p in prompts)
    # a form in progress keeps its answers, with a live case whose engineer spoke last
    other = open_case(service, "Second problem")
    engineer_asks(service, other)
    say(service, ANSWER)
    assert customer_texts(service, other) == []
    assert customer_texts(service, number) == []
    for _ in range(2):  # the profile form asked first, then the request
        service.handle(ANN, Inbound(kind="command", command="cancel"))
    assert draft(service) is None
    say(service, "new case")
    assert draft(service) is not None
    assert customer_texts(service, other) == []


def test_an_owned_case_alerts_its_owner_as_a_reply_does(service: Service) -> None:
    number = open_case(service, "Agents offline")
    with unit_of_work(service.engine) as s:
        found = s.cases.by_number(number)
        assert found is not None
        found.assignee = "eve@support.example"
        s.session.add(found)
    engineer_asks(service, number)
    say(service, ANSWER)
    with unit_of_work(service.engine) as s:
        kinds = [a.kind for a in s.session.exec(select(StaffAlert))]
    assert kinds == [alerts.REPLY]


def test_someone_elses_message_is_not_moved(service: Service) -> None:
    bob = Who("telegram", "777", chat_ref="777")
    with unit_of_work(service.engine) as s:
        contact = s.contacts.ensure("bob@other.example", "Bob")
        s.contacts.link_identity(contact, bob.channel, bob.external_id, bob.chat_ref)
    number = open_case(service, "Agents offline")
    engineer_asks(service, number)
    [said] = say(service, ANSWER)
    found = pressed(said.choices[0].id)
    assert found is not None
    [refused] = service.handle(bob, Inbound(kind="command", command=found[0], args=found[1]))
    assert refused.text == "That message was already handled."
    assert customer_texts(service, number) == [ANSWER]
    assert case(service, number)["status"] == replies.CUSTOMER_REPLIED


def speaks_japanese(svc: Service) -> None:
    with unit_of_work(svc.engine) as s:
        ann = s.contacts.by_email(EMAIL)
        assert ann is not None
        assert ann.id is not None
        s.contacts.choose_language(ann.id, "ja")


def test_files_alone_make_a_request_described_in_the_contacts_language(
        service: Service) -> None:
    """A description casebot writes for files sent without words is the case's text, written
    on the customer's behalf: in their language (issue 27), plain text from then on."""
    speaks_japanese(service)
    number = open_case(service, "Agents offline")
    engineer_asks(service, number)
    log = service.files.put_bytes(b"printer driver trace\n" * 20, "printer.log")
    [said] = say(service, "", (log,))
    [way_out] = said.choices
    found = pressed(way_out.id)
    assert found is not None
    assert found[0] == SPLIT
    service.handle(ANN, Inbound(kind="command", command=found[0], args=found[1]))
    answers = draft(service)
    assert answers is not None
    assert answers["description"] == "メッセージのファイル"
    assert [a["name"] for a in answers["attachments"]] == ["printer.log"]


def test_a_follow_up_of_a_long_resolved_case_is_described_in_the_contacts_language(
        service: Service) -> None:
    speaks_japanese(service)
    number = open_case(service, "Agents offline")
    update_case(service, number, actor="cli:eve", status="resolved")
    with unit_of_work(service.engine) as s:
        found = s.cases.by_number(number)
        assert found is not None
        found.resolved_at = utcnow() - timedelta(days=service.reopen_days + 1)
        s.cases.save(found)
    with unit_of_work(service.engine) as s:
        found = s.cases.by_number(number)
        assert found is not None
        assert found.id is not None
        s.case_refs.remember(ANN.channel, ANN.external_id, "conf", found.id)
    log = service.files.put_bytes(b"agent trace\n" * 20, "agent.log")
    said = service.handle(ANN, Inbound(kind="file", files=(log,), thread="conf", ref="late"))
    assert f"ケース {number}" in said[0].text  # "resolved long ago", in Japanese too
    answers = draft(service)
    assert answers is not None
    assert answers["description"] == f"ケース {number} のフォローアップ"
