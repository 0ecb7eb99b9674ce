"""flows.conversation: the flow stack as a domain object (push, pop, what counts as answered)."""

from __future__ import annotations

from flows.conversation import Conversation
from flows.formstate import FormState, join, split


def test_push_and_pop_resume_the_flow_below_as_it_was() -> None:
    conv = Conversation("intake", "profile", {"_x": 1}, [], "d1")
    assert conv.untouched_request
    assert conv.in_request
    conv.push("profiles")
    conv.move("menu", {"for_request": True}, FormState())
    assert conv.flow == "profiles"
    assert conv.in_request
    assert conv.answered
    conv.pop()
    assert (conv.flow, conv.state, conv.answers, conv.stack) == ("intake", "profile",
                                                                 {"_x": 1}, [])


def test_an_answer_makes_a_request_touched() -> None:
    conv = Conversation("intake", "subject", {"subject": "Agents offline"}, [], "d2")
    assert conv.answered
    assert not conv.untouched_request
    assert not Conversation("myprofile", "review", {}, [], "d3").in_request


def test_what_casebot_filled_in_is_not_an_answer() -> None:
    conv = Conversation("intake", "issue", {"profile": "1", "_filled": ["profile"]}, [], "d4")
    assert conv.untouched_request
    conv.move("issue", {"profile": "1", "issue": "Spam"}, FormState(filled=["profile"]))
    assert conv.answered


def test_the_form_state_is_stored_in_the_shape_drafts_always_had() -> None:
    stored = {"profile": "1", "cc_emails": ["a@b.example"], "_filled": ["profile"],
              "_pending": {"cc_emails": ["a@b.example", "c@d.example"]}, "_editing": True}
    answers, form = split(stored)
    assert answers == {"profile": "1", "cc_emails": ["a@b.example"]}
    assert form == FormState({"cc_emails": ["a@b.example", "c@d.example"]}, ["profile"], True)
    assert join(answers, form) == stored
    assert join({"subject": "x"}, FormState()) == {"subject": "x"}  # no empty bookkeeping
