"""A draft saved before the form's bookkeeping moved out of the answers (issue 21) resumes.

Conversations store the answers and the form's bookkeeping (`_pending`, `_filled`,
`_editing`) in one JSON object; `flows.formstate` reads and writes that same shape, so a
draft written by the earlier code resumes at the same question with the same answers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from flows.model import Inbound
from store.tables import Conversation
from tests.unit.flowkit import Talk, fresh_service, profile_views_of, seeded_home


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_home(tmp_path_factory.mktemp("drafts"))


def test_an_old_shape_draft_resumes_at_its_question_with_its_answers(seed: Path,
                                                                   tmp_path: Path) -> None:
    # the seeded contact has a personal account (no domain): outside CCs allowed here
    service = fresh_service(seed, tmp_path / "home", cc_outside_domains=True)
    talk = Talk(service)
    talk.start()
    pid = next(p.id for p in profile_views_of(service) if p.name == "HQ Apex One")
    answers = {"profile": str(pid), "operating_system": "Windows 10",
               "issue": "Product Issues", "subject": "Agents offline",
               "description": "Agents stopped reporting after the update",
               "attachments": [], "severity": "Low", "cc_emails": [],
               "contact_method": "Email"}
    stored = {**answers, "_filled": ["attachments", "contact_method"],
              "_pending": {"cc_emails": ["bob@acme.example"]}, "_editing": True}
    with Session(service.engine) as s:  # as the earlier code saved it: editing the CC list
        row = s.exec(select(Conversation)).one()
        row.state, row.answers = "cc_emails", stored
        s.add(row)
        s.commit()

    where = service.view(talk.who).question
    assert where is not None
    assert where.step == "cc_emails"
    assert where.selected == ("bob@acme.example",)
    assert talk.state() == ("intake", "cc_emails", stored)  # a read leaves it as it was

    [review] = talk.send(Inbound.from_text("done"))
    assert review.kind == "review"  # editing: straight back to the review
    shown = {i.label: i.value for i in review.summary}
    assert shown["CC emails"] == "bob@acme.example"
    assert shown["Contact method"] == "Email"
    assert shown["Subject"] == "Agents offline"
    assert shown["Case severity"] == "Low"
    flow, state, saved = talk.state()
    assert (flow, state) == ("intake", "review")
    assert saved == {**answers, "cc_emails": ["bob@acme.example"],
                     "_filled": ["attachments", "contact_method"]}


def test_an_old_shape_edit_in_progress_goes_back_to_the_review(seed: Path,
                                                              tmp_path: Path) -> None:
    service = fresh_service(seed, tmp_path / "home")
    talk = Talk(service)
    talk.start()
    pid = next(p.id for p in profile_views_of(service) if p.name == "HQ Apex One")
    stored = {"profile": str(pid), "operating_system": "Windows 10",
              "issue": "Product Issues", "subject": "Agents offline", "description": "Down",
              "attachments": [], "severity": "Low", "cc_emails": [], "contact_method": "Email",
              "_filled": ["attachments", "cc_emails", "contact_method"], "_editing": True}
    with Session(service.engine) as s:
        row = s.exec(select(Conversation)).one()
        row.state, row.answers = "subject", stored
        s.add(row)
        s.commit()
    [review] = talk.send(Inbound(kind="command", command="back"))
    assert review.kind == "review"  # not the question before the subject
    assert talk.state()[2] == {k: v for k, v in stored.items() if k != "_editing"}
