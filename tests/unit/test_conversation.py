"""flows.conversation: the flow stack as a domain object (push, pop, what counts as answered)."""

from __future__ import annotations

from flows.conversation import Conversation


def test_push_and_pop_resume_the_flow_below_as_it_was() -> None:
    conv = Conversation("intake", "profile", {"_x": 1}, [], "d1")
    assert conv.untouched_request
    assert conv.in_request
    conv.push("profiles")
    conv.move("menu", {"for_request": True})
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
